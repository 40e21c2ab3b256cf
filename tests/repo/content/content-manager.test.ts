import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptDataError, InvalidPasswordError, UsageError } from "../../../lib/errors.ts";
import { randomBytes } from "../../../lib/crypto/random.ts";
import { createContentRepository, openContentRepository } from "../../../lib/repo/content-repository.ts";
import { ContentNotFoundError } from "../../../lib/repo/content/content-manager.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { listAll } from "../../../lib/storage/types.ts";
import { hkdfSha256 } from "../../../lib/crypto/hkdf.ts";
import { MemStorage } from "./mem-storage.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function memRepo() {
  const st = new MemStorage();
  await createContentRepository(st, "pw");
  return { st, repo: await openContentRepository(st, "pw", { hostname: "h", username: "u" }) };
}

const text = (s: string) => new TextEncoder().encode(s);

describe("content manager", () => {
  test("write/read round trip, content IDs, dedup against pending and committed", async () => {
    const { st, repo } = await memRepo();
    const cm = repo.contents;
    const data = randomBytes(5000);
    const id = await cm.writeContent(data, { prefix: "" });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(id).toBe(Buffer.from(repo.hash(data)).toString("hex"));
    expect(await cm.getContent(id)).toEqual(data); // from the pending pack
    expect(await cm.writeContent(data, { prefix: "" })).toBe(id);
    const kid = await cm.writeContent(text("{\"dir\":" + "1".repeat(2000) + "}"), { prefix: "k" });
    expect(kid.startsWith("k")).toBe(true);
    await cm.flush();
    const packs = (await listAll(st, "p")).length;
    const qpacks = (await listAll(st, "q")).length;
    expect([packs, qpacks]).toEqual([1, 1]);
    expect(await cm.writeContent(data, { prefix: "" })).toBe(id);
    await cm.flush();
    expect((await listAll(st, "p")).length).toBe(1);
    expect((await listAll(st, "xn0_")).length).toBe(1);

    const repo2 = await openContentRepository(st, "pw");
    expect(await repo2.contents.getContent(id)).toEqual(data);
    const ki = (await repo2.contents.getContentInfo(kid))!;
    expect(ki.compressionHeaderId).toBe(0x1101); // prefixed → zstd-fastest
    expect(ki.originalLength).toBe(2008);
    expect(ki.packBlobId.startsWith("q")).toBe(true);
    const di = (await repo2.contents.getContentInfo(id))!;
    expect(di.compressionHeaderId).toBe(0);
    expect(di.packedLength).toBe(5000 + 28);
    expect(di.packOffset).toBe(32);
    expect(di.formatVersion).toBe(3);
    const all = [];
    for await (const i of repo2.contents.iterateContents()) all.push(i.contentId);
    expect(all).toEqual([id, kid]);
  });

  test("compression per options; dropped when not smaller", async () => {
    const { repo } = await memRepo();
    const cm = repo.contents;
    const a = await cm.writeContent(text("a".repeat(10000)), { prefix: "", compression: "zstd-better-compression" });
    const b = await cm.writeContent(randomBytes(10000), { prefix: "", compression: "zstd-better-compression" });
    await cm.flush();
    expect((await cm.getContentInfo(a))!.compressionHeaderId).toBe(0x1102);
    expect((await cm.getContentInfo(a))!.packedLength).toBeLessThan(1000);
    expect((await cm.getContentInfo(b))!.compressionHeaderId).toBe(0);
    expect(await cm.getContent(a)).toEqual(text("a".repeat(10000)));
  });

  test("flush order: session marker, packs, index blob, marker deleted", async () => {
    const { st, repo } = await memRepo();
    const order: string[] = [];
    const put = st.putBlob.bind(st);
    const del = st.deleteBlob.bind(st);
    st.putBlob = async (id, d, o) => { order.push("put " + id[0] + id[1]); return put(id, d, o); };
    st.deleteBlob = async (id) => { order.push("del " + id[0]); return del(id); };
    await repo.contents.writeContent(randomBytes(100), { prefix: "" });
    await repo.contents.writeContent(randomBytes(100), { prefix: "m" });
    expect((await listAll(st, "s")).length).toBe(1);
    await repo.contents.flush();
    expect(order[0]).toBe("put s" + order[0][5]);
    const idx = (k: string) => order.findIndex((o) => o.startsWith(k));
    expect(idx("put s")).toBeLessThan(idx("put p"));
    expect(Math.max(idx("put p"), idx("put q"))).toBeLessThan(idx("put x"));
    expect(idx("put x")).toBeLessThan(idx("del s"));
    expect((await listAll(st, "s")).length).toBe(0);
    const packId = (await listAll(st, "p"))[0].id;
    expect(packId).toMatch(/^p[0-9a-f]{32}-s[0-9a-f]{16}[0-9a-f]+$/);
    const idxId = (await listAll(st, "xn"))[0].id;
    expect(idxId).toMatch(new RegExp(`^xn0_[0-9a-f]{32}-${packId.split("-")[1]}-c1$`));
  });

  test("packs rotate at maxPackSize and are uploaded as they seal", async () => {
    const { st, repo } = await memRepo();
    repo.contents.config.maxPackSize = 1 << 20;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await repo.contents.writeContent(randomBytes(300_000), { prefix: "" }));
    const before = (await listAll(st, "p")).length;
    expect(before).toBeGreaterThanOrEqual(1); // sealed packs already written before flush
    expect(repo.contents.stats().pendingPacks).toBe(1);
    await repo.contents.flush();
    const packs = await listAll(st, "p");
    // sealed before a content would take a pack past maxPackSize: 3 contents per pack (3,3,3,1)
    expect(packs.length).toBe(4);
    for (const p of packs) expect(p.length).toBeLessThan((1 << 20) + 8192);
    const repo2 = await openContentRepository(st, "pw");
    for (const id of ids) expect((await repo2.contents.getContent(id)).length).toBe(300_000);
  });

  test("delete, undelete, watermark, rewrite", async () => {
    const { st, repo } = await memRepo();
    const cm = repo.contents;
    const d = randomBytes(1000);
    const id = await cm.writeContent(d, { prefix: "" });
    await cm.flush();
    const t0 = (await cm.getContentInfo(id))!.timestampSeconds;
    await cm.deleteContent(id);
    await cm.flush();
    const r2 = await openContentRepository(st, "pw");
    const di = (await r2.contents.getContentInfo(id))!;
    expect(di.deleted).toBe(true);
    expect(di.timestampSeconds).toBeGreaterThan(t0);
    expect(di.packBlobId).toBe((await cm.getContentInfo(id))!.packBlobId);
    const live = [];
    for await (const i of r2.contents.iterateContents()) live.push(i);
    expect(live.length).toBe(0);
    expect(await r2.contents.getContent(id)).toEqual(d); // deleted contents stay readable until GC
    await r2.contents.undeleteContent(id);
    await r2.contents.flush();
    const ui = (await r2.contents.getContentInfo(id))!;
    expect(ui.deleted).toBe(false);
    expect(ui.timestampSeconds).toBeGreaterThan(di.timestampSeconds);
    // watermark hides old deleted entries
    const id2 = await r2.contents.writeContent(randomBytes(10), { prefix: "" });
    await r2.contents.flush();
    await r2.contents.deleteContent(id2);
    await r2.contents.flush();
    const t2 = (await r2.contents.getContentInfo(id2))!.timestampSeconds;
    await r2.contents.writeDeletionWatermark(new Date((t2 + 1) * 1000));
    await r2.contents.refresh();
    expect(await r2.contents.getContentInfo(id2)).toBeUndefined();
    await expect(r2.contents.getContent(id2)).rejects.toBeInstanceOf(ContentNotFoundError);
    // rewrite moves a content into a new pack
    const p1 = (await r2.contents.getContentInfo(id))!.packBlobId;
    await r2.contents.rewriteContent(id);
    await r2.contents.flush();
    expect((await r2.contents.getContentInfo(id))!.packBlobId).not.toBe(p1);
    expect(await r2.contents.getContent(id)).toEqual(d);
    await expect(r2.contents.deleteContent("f".repeat(32))).rejects.toBeInstanceOf(ContentNotFoundError);
  });

  test("corrupt pack: other packs stay readable, error names content and pack", async () => {
    const { st, repo } = await memRepo();
    repo.contents.config.maxPackSize = 1 << 20;
    const a = await repo.contents.writeContent(randomBytes(1_100_000), { prefix: "" });
    const b = await repo.contents.writeContent(randomBytes(5000), { prefix: "" });
    await repo.contents.flush();
    const ia = (await repo.contents.getContentInfo(a))!;
    const ib = (await repo.contents.getContentInfo(b))!;
    expect(ia.packBlobId).not.toBe(ib.packBlobId);
    const blob = st.blobs.get(ia.packBlobId)!;
    blob.data[ia.packOffset + 500_000] ^= 0x55;
    const r = await openContentRepository(st, "pw");
    const err = await r.contents.getContent(a).catch((e) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(err.message).toContain(a);
    expect(err.message).toContain(ia.packBlobId);
    expect((await r.contents.getContent(b)).length).toBe(5000);
    st.blobs.delete(ia.packBlobId);
    const err2 = await r.contents.getContent(a).catch((e) => e);
    expect(err2).toBeInstanceOf(CorruptDataError);
    expect(err2.message).toContain("not found");
  });

  test("truncated index blob → open fails with CorruptDataError naming it", async () => {
    const { st, repo } = await memRepo();
    await repo.contents.writeContent(randomBytes(10), { prefix: "" });
    await repo.contents.flush();
    const ix = (await listAll(st, "xn"))[0].id;
    st.set(ix, st.blobs.get(ix)!.data.slice(0, 40));
    const err = await openContentRepository(st, "pw").catch((e) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(err.message).toContain(ix);
  });

  test("failed pack upload: nothing indexed, retried on the next flush", async () => {
    const { st, repo } = await memRepo();
    const id = await repo.contents.writeContent(randomBytes(100), { prefix: "" });
    st.failPut = (bid) => bid.startsWith("p");
    await expect(repo.contents.flush()).rejects.toThrow();
    expect((await listAll(st, "xn")).length).toBe(0);
    st.failPut = undefined;
    await repo.contents.flush();
    expect((await listAll(st, "xn")).length).toBe(1);
    const r = await openContentRepository(st, "pw");
    expect((await r.contents.getContent(id)).length).toBe(100);
  });

  test("two writers on one storage: refresh sees both; no blob rewritten", async () => {
    const st = new MemStorage();
    await createContentRepository(st, "pw");
    const w1 = await openContentRepository(st, "pw");
    const w2 = await openContentRepository(st, "pw");
    const shared = randomBytes(777);
    const a = await w1.contents.writeContent(randomBytes(100), { prefix: "" });
    const b = await w2.contents.writeContent(randomBytes(100), { prefix: "" });
    const s1 = await w1.contents.writeContent(shared, { prefix: "" });
    const s2 = await w2.contents.writeContent(shared, { prefix: "" });
    expect(s1).toBe(s2);
    await Promise.all([w1.contents.flush(), w2.contents.flush()]);
    const seen = new Set<string>();
    for (const p of st.puts) {
      if (p.id.startsWith("kopia.")) continue;
      expect(seen.has(p.id)).toBe(false);
      seen.add(p.id);
    }
    await w1.contents.refresh();
    expect((await w1.contents.getContent(b)).length).toBe(100);
    expect((await w1.contents.getContent(s1))).toEqual(shared);
    expect((await w2.contents.getContentInfo(a))).toBeUndefined();
    await w2.contents.refresh();
    expect((await w2.contents.getContent(a)).length).toBe(100);
  });

  test("concurrent writes, reads and flushes in one process lose nothing", async () => {
    const { st, repo } = await memRepo();
    repo.contents.config.maxPackSize = 64 * 1024;
    const datas = Array.from({ length: 200 }, (_, i) => randomBytes(3000 + i * 37));
    const ids = await Promise.all(
      datas.map(async (d, i) => {
        const id = await repo.contents.writeContent(d, { prefix: i % 3 ? "" : "k" });
        expect(await repo.contents.getContent(id)).toEqual(d);
        if (i % 17 === 0) await repo.contents.flush();
        return id;
      }),
    );
    await repo.contents.flush();
    expect((await listAll(st, "s")).length).toBe(0);
    const r = await openContentRepository(st, "pw", { readOnly: true });
    for (let i = 0; i < ids.length; i++) expect(await r.contents.getContent(ids[i])).toEqual(datas[i]);
  });

  test("retention from kopia.blobcfg is applied to locked prefixes only", async () => {
    const st = new MemStorage();
    await createContentRepository(st, "pw", { retentionMode: "GOVERNANCE", retentionPeriodMs: 48 * 3600_000 });
    const repo = await openContentRepository(st, "pw");
    expect(repo.blobCfg).toEqual({ retentionMode: "GOVERNANCE", retentionPeriod: 48 * 3600e9 });
    await repo.contents.writeContent(randomBytes(100), { prefix: "" });
    await repo.contents.writeContent(randomBytes(100), { prefix: "k" });
    await repo.contents.flush();
    const byPrefix = (p: string) => st.puts.filter((x) => x.id.startsWith(p));
    for (const p of ["kopia.repository", "kopia.blobcfg", "p", "q", "xn"]) {
      expect(byPrefix(p).length).toBeGreaterThan(0);
      for (const x of byPrefix(p)) expect([x.opts?.retentionMode, x.opts?.retentionPeriodMs]).toEqual(["GOVERNANCE", 48 * 3600_000]);
    }
    for (const x of byPrefix("s")) expect(x.opts?.retentionMode).toBeUndefined();
    await expect(createContentRepository(new MemStorage(), "pw", { retentionMode: "GOVERNANCE", retentionPeriodMs: 3600_000 })).rejects.toBeInstanceOf(UsageError);
  });

  test("read-only open refuses writes and never writes", async () => {
    const { st } = await memRepo();
    const n = st.puts.length;
    const r = await openContentRepository(st, "pw", { readOnly: true });
    await expect(r.contents.writeContent(randomBytes(1), { prefix: "" })).rejects.toBeInstanceOf(UsageError);
    await r.close();
    expect(st.puts.length).toBe(n);
    await expect(r.contents.writeContent(randomBytes(1), { prefix: "A" })).rejects.toBeInstanceOf(UsageError);
    const w = await openContentRepository(st, "pw");
    await expect(w.contents.writeContent(randomBytes(1), { prefix: "kk" })).rejects.toBeInstanceOf(UsageError);
    await expect(w.contents.writeContent(new Uint8Array(2 ** 28), { prefix: "" })).rejects.toBeInstanceOf(UsageError);
  });
});

describe("content repository on the filesystem", () => {
  test("create, write, reopen, change password, deriveKey", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corso-cr-"));
    dirs.push(dir);
    const st = await openFilesystemStorage({ path: join(dir, "repo"), create: true });
    await createContentRepository(st, "secret");
    const repo = await openContentRepository(st, "secret");
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(await repo.contents.writeContent(randomBytes(1000 + i), { prefix: i % 2 ? "k" : "" }));
    await repo.close();
    await repo.changePassword("secret2");
    await expect(openContentRepository(st, "secret")).rejects.toBeInstanceOf(InvalidPasswordError);
    const r2 = await openContentRepository(st, "secret2");
    for (let i = 0; i < 20; i++) expect((await r2.contents.getContent(ids[i])).length).toBe(1000 + i);
    expect(r2.deriveKey("maintenance schedule", 32)).toEqual(hkdfSha256(r2.config.masterKey, r2.uniqueId, "maintenance schedule", 32));
    await r2.setParameters({ minEpochDurationMs: 8 * 3600_000 });
    const r3 = await openContentRepository(st, "secret2");
    expect(r3.config.epochParameters.MinEpochDuration).toBe(8 * 3600e9);
    await st.close();
  });

  test("large contents read through recycled buffers: concurrent reads exact, a corrupt one fails alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corso-cr-"));
    dirs.push(dir);
    const st = await openFilesystemStorage({ path: join(dir, "repo"), create: true });
    expect(typeof st.getBlobInto).toBe("function");
    await createContentRepository(st, "pw");
    const w = await openContentRepository(st, "pw");
    // 60 KB … 3.5 MB; even ones compressible (stored zstd), odd ones random (stored raw)
    const datas = Array.from({ length: 24 }, (_, i) => {
      const n = 60_000 + i * 150_000;
      if (i % 2) return randomBytes(n);
      const t = new TextEncoder().encode(`line ${i} of a compressible content `.repeat(Math.ceil(n / 30)));
      return t.subarray(0, n);
    });
    const ids: string[] = [];
    for (const d of datas) ids.push(await w.contents.writeContent(d, { prefix: "", compression: "zstd-fastest" }));
    await w.close();
    const r = await openContentRepository(st, "pw");
    const infos = await Promise.all(ids.map((id) => r.contents.getContentInfo(id)));
    expect(infos.filter((x) => x!.compressionHeaderId !== 0).length).toBe(12);
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(ids.map((id) => r.contents.getContent(id)));
      for (let i = 0; i < ids.length; i++) expect(Buffer.compare(got[i], datas[i])).toBe(0);
    }
    // flip one byte inside the biggest content's ciphertext on disk
    const info = (await r.contents.getContentInfo(ids[23]))!;
    const file = (st as unknown as { pathOf(i: string): { file: string } }).pathOf(info.packBlobId).file;
    const { openSync, readSync, writeSync, closeSync } = await import("node:fs");
    const fd = openSync(file, "r+");
    const b = new Uint8Array(1);
    readSync(fd, b, 0, 1, info.packOffset + 1000);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, info.packOffset + 1000);
    closeSync(fd);
    const r2 = await openContentRepository(st, "pw");
    const results = await Promise.allSettled(ids.map((id) => r2.contents.getContent(id)));
    for (let i = 0; i < ids.length; i++) {
      if (i === 23) {
        expect(results[i].status).toBe("rejected");
        expect((results[i] as PromiseRejectedResult).reason).toBeInstanceOf(CorruptDataError);
      } else {
        expect(results[i].status).toBe("fulfilled");
        expect(Buffer.compare((results[i] as PromiseFulfilledResult<Uint8Array>).value, datas[i])).toBe(0);
      }
    }
    await st.close();
  });
});
