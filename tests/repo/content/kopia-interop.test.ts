// Interop with the real kopia 0.15 binary, both directions.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "../../../lib/crypto/random.ts";
import { createContentRepository, openContentRepository } from "../../../lib/repo/content-repository.ts";
import { loadIndexBlob } from "../../../lib/repo/content/index-blobs.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { listAll } from "../../../lib/storage/types.ts";
import { KopiaTool } from "./kopia-tool.ts";
import { decryptWithFormatKey, parseFormatBlob, serializeFormatBlob } from "../../../lib/repo/format/format-blob.ts";
import { parseRepositoryConfig, repositoryConfigToJson } from "../../../lib/repo/format/repository-config.ts";
import { goMarshal } from "../../../lib/repo/format/go-json.ts";

const root = mkdtempSync(join(tmpdir(), "corso-kopia-interop-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function makeSource(dir: string): void {
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "small.txt"), "hello kopia\n");
  writeFileSync(join(dir, "sub", "big.bin"), randomBytes(3_000_000));
  writeFileSync(join(dir, "sub", "text.txt"), "lorem ipsum ".repeat(50_000));
}

async function checkKopiaRepoReadable(name: string, formatArgs: string[]): Promise<number> {
  const w = join(root, name);
  const k = new KopiaTool(join(w, "kopia"), "interop-pw");
  const repoPath = join(w, "repo");
  k.create(repoPath, formatArgs);
  makeSource(join(w, "src"));
  k.run(["snapshot", "create", join(w, "src")]);
  const list: any[] = k.json(["content", "list", "--json", "--deleted"]);
  expect(list.length).toBeGreaterThan(3);
  const st = await openFilesystemStorage({ path: repoPath });
  const repo = await openContentRepository(st, "interop-pw", { readOnly: true });
  // golden: our serialisers reproduce kopia's kopia.repository and its inner config byte for byte
  const raw = await st.getBlob("kopia.repository");
  const fb = parseFormatBlob(raw);
  expect(new TextDecoder().decode(serializeFormatBlob(fb))).toBe(new TextDecoder().decode(raw));
  const plain = new TextDecoder().decode(decryptWithFormatKey(fb.encryptedBlockFormat, repo.formatEncryptionKey, fb.uniqueID));
  expect(goMarshal(repositoryConfigToJson(parseRepositoryConfig(JSON.parse(plain))))).toBe(plain);
  const ours = [];
  for await (const i of repo.contents.iterateContents({ includeDeleted: true })) ours.push(i.contentId);
  expect(ours.sort()).toEqual(list.map((c) => c.contentID).sort());
  for (const c of list) {
    const info = (await repo.contents.getContentInfo(c.contentID))!;
    expect(info.packBlobId).toBe(c.packFile);
    expect(info.packOffset).toBe(c.packOffset);
    expect(info.packedLength).toBe(c.length);
    expect(info.originalLength).toBe(c.originalLength);
    expect(info.timestampSeconds).toBe(c.time);
    expect(info.deleted).toBe(c.deleted);
    expect(info.compressionHeaderId).toBe(c.compression ?? 0);
    expect(info.formatVersion).toBe(c.formatVersion);
    const bytes = await repo.contents.getContent(c.contentID);
    expect(bytes.length).toBe(c.originalLength);
    expect(Buffer.from(bytes).equals(Buffer.from(k.run(["content", "show", c.contentID]).stdout))).toBe(true);
  }
  // every index blob parses to exactly the entries `kopia index inspect --all` shows for it
  const inspect = k.text(["index", "inspect", "--all"]).trim().split("\n").filter(Boolean);
  const byBlob = new Map<string, string[]>();
  const re = /^\S+ \S+ UTC (\S+) (\S+) (created|deleted) \S+ \S+ UTC (\S+) (\d+) (\d+)$/;
  for (const line of inspect) {
    const m = re.exec(line.trim());
    if (!m) continue;
    const blob = m[1];
    const rec = [m[2], m[3], m[4], m[5], m[6]].join(" ");
    byBlob.set(blob, [...(byBlob.get(blob) ?? []), rec]);
  }
  expect(byBlob.size).toBeGreaterThan(0);
  for (const [blob, recs] of byBlob) {
    const r = await loadIndexBlob(st, repo.crypter, blob);
    const mine = Array.from({ length: r.entryCount }, (_, i) => r.entryAt(i)).map((e) =>
      [e.contentId, e.deleted ? "deleted" : "created", e.packBlobId, e.packOffset, e.packedLength].join(" "),
    );
    expect(mine.sort()).toEqual(recs.sort());
  }
  await st.close();
  return list.length;
}

describe("reading repositories written by kopia 0.15", () => {
  test("format v3 (epochs, index v2, compressed metadata)", async () => {
    expect(await checkKopiaRepoReadable("v3", [])).toBeGreaterThan(3);
  }, 120_000);

  test("non-default algorithms (BLAKE3-256 32-byte hashes, ChaCha20-Poly1305)", async () => {
    expect(await checkKopiaRepoReadable("alt", ["--block-hash=BLAKE3-256", "--encryption=CHACHA20-POLY1305-HMAC-SHA256"])).toBeGreaterThan(3);
  }, 120_000);

  test("format v1 (legacy n index blobs, index v1, format bytes in packs)", async () => {
    expect(await checkKopiaRepoReadable("v1", ["--format-version=1"])).toBeGreaterThan(3);
  }, 120_000);
});

describe("kopia 0.15 reading repositories written by us", () => {
  test("contents, deletions, compression; content verify --full passes", async () => {
    const w = join(root, "ours");
    const repoPath = join(w, "repo");
    const st = await openFilesystemStorage({ path: repoPath, create: true });
    await createContentRepository(st, "our-pw");
    const repo = await openContentRepository(st, "our-pw", { hostname: "host", username: "user" });
    const written = new Map<string, Uint8Array>();
    for (let i = 0; i < 30; i++) {
      const d = i % 3 === 0 ? new TextEncoder().encode(`{"entries":[${'"x",'.repeat(200 + i)}"y"]}`) : randomBytes(1000 * i + 1);
      const id = await repo.contents.writeContent(d, { prefix: i % 3 === 0 ? "k" : "", compression: i % 5 === 0 ? "zstd-better-compression" : undefined });
      written.set(id, d);
    }
    const big = randomBytes(4_000_000);
    written.set(await repo.contents.writeContent(big, { prefix: "" }), big);
    await repo.contents.flush();
    const toDelete = [...written.keys()][1];
    await repo.contents.deleteContent(toDelete);
    await repo.close();

    const k = new KopiaTool(join(w, "kopia"), "our-pw");
    k.connect(repoPath);
    const verify = k.run(["content", "verify", "--full"], { allowFail: true });
    expect(verify.stderr).toContain("Finished verifying 30 contents, found 0 errors.");
    expect(verify.exitCode).toBe(0);
    const list: any[] = k.json(["content", "list", "--json", "--deleted"]);
    expect(list.map((c) => c.contentID).sort()).toEqual([...written.keys()].sort());
    expect(list.find((c) => c.contentID === toDelete).deleted).toBe(true);
    for (const [id, d] of written) {
      if (id === toDelete) continue;
      expect(Buffer.from(k.run(["content", "show", id]).stdout).equals(Buffer.from(d))).toBe(true);
    }
    const compressed = list.filter((c) => c.compression);
    expect(compressed.length).toBeGreaterThan(0);
    const idx = k.text(["index", "list"]);
    for (const b of await listAll(st, "xn")) expect(idx).toContain(b.id);
    // kopia can also write into our repository and we read its writes
    writeFileSync(join(w, "f.txt"), "written by kopia");
    mkdirSync(join(w, "snapsrc"), { recursive: true });
    writeFileSync(join(w, "snapsrc", "f.txt"), "written by kopia");
    k.run(["snapshot", "create", join(w, "snapsrc")]);
    const list2: any[] = k.json(["content", "list", "--json"]);
    const r2 = await openContentRepository(st, "our-pw", { readOnly: true });
    for (const c of list2) expect((await r2.contents.getContent(c.contentID)).length).toBe(c.originalLength);
    await st.close();
  }, 180_000);

  test("non-default algorithms written by us: kopia verifies and reads", async () => {
    const w = join(root, "ours-alt");
    const repoPath = join(w, "repo");
    const st = await openFilesystemStorage({ path: repoPath, create: true });
    await createContentRepository(st, "alt-pw", { hash: "BLAKE3-256", encryption: "CHACHA20-POLY1305-HMAC-SHA256" });
    const repo = await openContentRepository(st, "alt-pw");
    const written = new Map<string, Uint8Array>();
    for (let i = 0; i < 10; i++) {
      const d = randomBytes(500 + i);
      written.set(await repo.contents.writeContent(d, { prefix: i % 2 ? "k" : "" }), d);
    }
    await repo.close();
    expect([...written.keys()][0]).toMatch(/^[0-9a-f]{64}$/);
    const k = new KopiaTool(join(w, "kopia"), "alt-pw");
    k.connect(repoPath);
    expect(k.run(["content", "verify", "--full"]).stderr).toContain("found 0 errors");
    for (const [id, d] of written) expect(Buffer.from(k.run(["content", "show", id]).stdout).equals(Buffer.from(d))).toBe(true);
    await st.close();
  }, 120_000);

  test("epoch advance + single-epoch and range compaction: kopia reads the result", async () => {
    const w = join(root, "epochs");
    const repoPath = join(w, "repo");
    const st = await openFilesystemStorage({ path: repoPath, create: true });
    await createContentRepository(st, "ep-pw");
    const repo = await openContentRepository(st, "ep-pw");
    const em = repo.contents.epochManager!;
    const ids: string[] = [];
    for (let e = 0; e < 11; e++) {
      for (let j = 0; j < 3; j++) {
        ids.push(await repo.contents.writeContent(randomBytes(200 + e * 10 + j), { prefix: "" }));
        await repo.contents.flush();
      }
      await em.forceAdvance();
    }
    await repo.contents.flush();
    await em.compactSettledEpochs();
    expect((await listAll(st, "xs")).length).toBeGreaterThan(0);
    expect((await listAll(st, "xr")).length).toBeGreaterThan(0);
    expect((await listAll(st, "xe")).length).toBe(11);
    const r2 = await openContentRepository(st, "ep-pw");
    for (const id of ids) expect((await r2.contents.getContent(id)).length).toBeGreaterThan(0);
    const active = (await r2.contents.listIndexBlobs()).map((b) => b.id);
    expect(active.some((id) => id.startsWith("xr0_"))).toBe(true);
    await r2.close();

    const k = new KopiaTool(join(w, "kopia"), "ep-pw");
    k.connect(repoPath);
    const list: any[] = k.json(["content", "list", "--json"]);
    expect(list.map((c) => c.contentID).sort()).toEqual([...ids].sort());
    expect(k.run(["content", "verify", "--full"], { allowFail: true }).exitCode).toBe(0);
    // kopia's own view of the active index set is the same as ours
    const kopiaActive = k.text(["index", "list"]).trim().split("\n").map((l) => l.split(/\s+/)[0]);
    expect(kopiaActive.sort()).toEqual(active.sort());
    // kopia's own full maintenance on our repository (index compaction, rewrites, deletes)
    k.run(["maintenance", "set", "--owner=me"], { allowFail: true });
    k.run(["maintenance", "run", "--full", "--safety=none", "--force"]);
    const r3 = await openContentRepository(st, "ep-pw", { readOnly: true });
    for (const id of ids) expect((await r3.contents.getContent(id)).length).toBeGreaterThan(0);
    await st.close();
  }, 240_000);
});
