// The chunk worker pool (hash + compress + encrypt off the JS thread) and the content manager's
// use of it: same bytes and IDs as the in-thread path, dedup, fallback when workers fail.
import { afterAll, describe, expect, test } from "bun:test";
import { createHashFunc } from "../../../lib/crypto/hash.ts";
import { createEncryptor } from "../../../lib/crypto/encryption.ts";
import { randomBytes } from "../../../lib/crypto/random.ts";
import { decompress } from "../../../lib/repo/compression/index.ts";
import { createContentRepository, openContentRepository } from "../../../lib/repo/content-repository.ts";
import { ChunkPool, WorkerUnavailable, chunkPool } from "../../../lib/repo/content/chunk-pool.ts";
import { MemStorage } from "./mem-storage.ts";

const keys = { hashName: "BLAKE2B-256-128", secret: randomBytes(32), encName: "AES256-GCM-HMAC-SHA256", masterKey: randomBytes(32) };
const pools: ChunkPool[] = [];
afterAll(() => {
  for (const p of pools) (p as unknown as { disable(r: string): void }).disable("test done");
});

function textBytes(n: number): Uint8Array {
  const words = "alpha beta gamma delta epsilon zeta eta theta ".repeat(1 + Math.ceil(n / 40));
  const b = new TextEncoder().encode(words).subarray(0, n);
  if (b.length !== n) throw new Error("textBytes too short");
  return b;
}

describe("chunk pool", () => {
  test("workers start only after startAfterBytes of contents", () => {
    const pool = new ChunkPool(1);
    pool.startAfterBytes = 100;
    expect(pool.warm(60)).toBe(false);
    expect(pool.warm(60)).toBe(false); // 120 seen now
    expect(pool.warm(1)).toBe(true);
  });

  test("prepare = keyed hash + compression (when it shrinks) + encryption, decryptable in-thread", async () => {
    const pool = new ChunkPool(2);
    pools.push(pool);
    const k = pool.register(keys);
    const hash = await createHashFunc(keys.hashName, keys.secret);
    const enc = createEncryptor(keys.encName, keys.masterKey);
    const inputs = [textBytes(300_000), randomBytes(200_000), textBytes(5 << 20), randomBytes(40_000)];
    const results = await Promise.all(inputs.map((d) => pool.prepare(k, d, "zstd-fastest")));
    for (let i = 0; i < inputs.length; i++) {
      const r = results[i];
      expect(Buffer.from(r.hash).equals(Buffer.from(hash(inputs[i])))).toBe(true);
      const plain = enc.decrypt(r.packed, r.hash.subarray(r.hash.length - 16));
      if (i % 2 === 0) {
        expect(r.compressionHeaderId).toBe(0x1101); // text shrinks
        expect(Buffer.from(decompress(plain, 0x1101)).equals(Buffer.from(inputs[i]))).toBe(true);
      } else {
        expect(r.compressionHeaderId).toBe(0); // random data is stored as is
        expect(Buffer.from(plain).equals(Buffer.from(inputs[i]))).toBe(true);
      }
      r.release();
    }
    // the caller's buffers are untouched (copied, never transferred)
    expect(inputs[1].length).toBe(200_000);
  });

  test("saturated once every slot is taken (writers then work in-thread), free again after", async () => {
    const pool = new ChunkPool(1);
    pools.push(pool);
    const k = pool.register(keys);
    expect(pool.maxInFlight).toBe(3);
    expect(pool.saturatedFor(2 << 20)).toBe(false);
    // chunk-sized jobs: at most two at once (one per worker plus one queued)
    const big = [0, 1].map(() => pool.prepare(k, textBytes(2 << 20), "zstd-fastest"));
    expect(pool.saturatedFor(2 << 20)).toBe(true);
    expect(pool.saturatedFor(100_000)).toBe(false); // a small job still has a slot
    const small = pool.prepare(k, textBytes(100_000), "zstd-fastest");
    expect(pool.saturatedFor(100_000)).toBe(true);
    const done = [...(await Promise.all(big)), await small];
    expect(pool.saturatedFor(2 << 20)).toBe(false);
    expect(pool.saturatedFor(100_000)).toBe(false);
    for (const d of done) d.release();
  });

  test("waiting jobs of both kinds all complete (no lost wake-ups)", async () => {
    const pool = new ChunkPool(1);
    pools.push(pool);
    const k = pool.register(keys);
    const jobs = [0, 1, 2, 3].map(() => pool.prepare(k, textBytes(2 << 20), "zstd-fastest")); // two wait
    const small = [0, 1, 2].map(() => pool.prepare(k, textBytes(50_000), "zstd-fastest"));
    const all = await Promise.all([...jobs, ...small]);
    expect(all.length).toBe(7);
    for (const d of all) {
      expect(d.packed.length).toBeGreaterThan(0);
      d.release();
    }
  });

  test("a job error (unknown compressor) rejects that job only", async () => {
    const pool = new ChunkPool(1);
    pools.push(pool);
    const k = pool.register(keys);
    await expect(pool.prepare(k, textBytes(100_000), "no-such-compressor")).rejects.toThrow(/no-such-compressor/);
    const ok = await pool.prepare(k, textBytes(100_000), "none");
    expect(ok.compressionHeaderId).toBe(0);
    expect(pool.available).toBe(true);
  });

  test("a worker that cannot start disables the pool with WorkerUnavailable", async () => {
    const pool = new ChunkPool(1, new URL("./no-such-worker.ts", import.meta.url));
    pools.push(pool);
    const k = pool.register(keys);
    await expect(pool.prepare(k, textBytes(100_000), "zstd-fastest")).rejects.toBeInstanceOf(WorkerUnavailable);
    expect(pool.available).toBe(false);
    await expect(pool.prepare(k, textBytes(100_000), "zstd-fastest")).rejects.toBeInstanceOf(WorkerUnavailable);
  });

  test("a pool of size 0 is unavailable", async () => {
    const pool = new ChunkPool(0);
    expect(pool.available).toBe(false);
    await expect(pool.prepare(1, new Uint8Array(20_000), "")).rejects.toBeInstanceOf(WorkerUnavailable);
  });
});

describe("content manager with the chunk pool", () => {
  test("setUseWorkers(false) keeps every content on the calling thread; true uses the pool again", async () => {
    const st = new MemStorage();
    await createContentRepository(st, "pw");
    const repo = await openContentRepository(st, "pw", { hostname: "h", username: "u" });
    const pool = chunkPool();
    pool.startAfterBytes = 0;
    const orig = pool.prepare.bind(pool);
    let calls = 0;
    pool.prepare = (...a: Parameters<typeof orig>) => {
      calls++;
      return orig(...a);
    };
    try {
      repo.contents.setUseWorkers!(false);
      const a = textBytes(2 << 20);
      const idA = await repo.contents.writeContent(a, { prefix: "", compression: "zstd-fastest" });
      expect(calls).toBe(0);
      expect(Buffer.compare(await repo.contents.getContent(idA), a)).toBe(0);
      repo.contents.setUseWorkers!(true);
      const b = randomBytes(1 << 20);
      const idB = await repo.contents.writeContent(b, { prefix: "", compression: "zstd-fastest" });
      expect(calls).toBe(1);
      expect(Buffer.compare(await repo.contents.getContent(idB), b)).toBe(0);
    } finally {
      pool.prepare = orig;
    }
  });

  test("IDs, dedup, compression and reads are the same as in-thread; many concurrent writers", async () => {
    const st = new MemStorage();
    await createContentRepository(st, "pw");
    const repo = await openContentRepository(st, "pw", { hostname: "h", username: "u" });
    const cm = repo.contents;
    chunkPool().startAfterBytes = 0; // use the workers from the first write
    const datas = [textBytes(64 << 10), randomBytes(1 << 20), textBytes(3 << 20), randomBytes(20_000), new Uint8Array(100)];
    // every data twice, concurrently: dedup must keep one entry each
    const ids = await Promise.all([...datas, ...datas].map((d) => cm.writeContent(d, { prefix: "", compression: "zstd-fastest" })));
    expect(chunkPool().available).toBe(true); // the worker path was used
    for (let i = 0; i < datas.length; i++) {
      expect(ids[i]).toBe(Buffer.from(repo.hash(datas[i])).toString("hex"));
      expect(ids[i + datas.length]).toBe(ids[i]);
      expect(Buffer.from(await cm.getContent(ids[i])).equals(Buffer.from(datas[i]))).toBe(true);
    }
    const info = await cm.getContentInfo(ids[2]);
    expect(info?.compressionHeaderId).toBe(0x1101);
    expect(info?.originalLength).toBe(3 << 20);
    expect((await cm.getContentInfo(ids[1]))?.compressionHeaderId).toBe(0);
    await cm.flush();
    const entries: string[] = [];
    for await (const e of cm.iterateContents()) entries.push(e.contentId);
    expect(entries.sort()).toEqual([...new Set(ids)].sort());
    // a fresh reader sees the same bytes from storage
    const again = await openContentRepository(st, "pw");
    for (let i = 0; i < datas.length; i++) expect(Buffer.from(await again.contents.getContent(ids[i])).equals(Buffer.from(datas[i]))).toBe(true);
    // an unknown compressor still fails with the in-thread path's typed error
    await expect(cm.writeContent(textBytes(100_000), { prefix: "", compression: "bogus" })).rejects.toThrow(/bogus/);
    await repo.close();
    await again.close();
  });
});
