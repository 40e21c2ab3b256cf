import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobNotFoundError, StorageError } from "../../lib/errors.ts";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import { openStorage } from "../../lib/storage/open.ts";
import { withRetention } from "../../lib/storage/locking.ts";
import { StorageNotFoundError, listAll, type BlobStorage } from "../../lib/storage/types.ts";
import { packId, runConformance } from "./conformance.ts";

// Real MinIO/kopia processes on a shared 2-core machine: be generous with time, not with retries.
setDefaultTimeout(120_000);

let base: string;
let n = 0;
const fresh = () => join(base, `repo-${++n}`);
const enc = (s: string) => new TextEncoder().encode(s);
const roots = new WeakMap<BlobStorage, string>();

beforeAll(async () => {
  base = await fsp.mkdtemp(join(tmpdir(), "corso-fs-storage-"));
}, 120_000);
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
}, 120_000);

runConformance("filesystem", {
  async open() {
    const path = fresh();
    const st = await openFilesystemStorage({ path, create: true });
    roots.set(st, path);
    return st;
  },
  async writeRaw(st, name, data) {
    await fsp.writeFile(join(roots.get(st)!, name), data);
  },
});

async function mode(p: string): Promise<number> {
  return (await fsp.stat(p)).mode & 0o777;
}

async function walkFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walkFiles(join(dir, e.name), r)));
    else out.push(r);
  }
  return out.sort();
}

describe("filesystem layout", () => {
  const pack = "p0123456789abcdef0123456789abcdef-s0123456789abcdef12a";
  const qpack = "qfedcba9876543210fedcba9876543210-s0011223344556677130";
  const index = "xn12_0123456789abcdef0123456789abcdef-s0011223344556677130-c1";

  test("new repository: .shards [1,3] written byte-exactly, kopia paths", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    expect(await fsp.readFile(join(root, ".shards"), "utf8")).toBe('{"default":[1,3],"maxNonShardedLength":20}\n');
    for (const id of ["kopia.repository", "kopia.blobcfg", "kopia.maintenance", "xe5", "xw1700000000", pack, qpack, index]) {
      await st.putBlob(id, enc(id));
    }
    expect(await walkFiles(root)).toEqual(
      [
        ".shards",
        "kopia.blobcfg.f",
        "kopia.maintenance.f",
        "kopia.repository.f",
        "p/012/3456789abcdef0123456789abcdef-s0123456789abcdef12a.f",
        "q/fed/cba9876543210fedcba9876543210-s0011223344556677130.f",
        "x/n12/_0123456789abcdef0123456789abcdef-s0011223344556677130-c1.f",
        "xe5.f",
        "xw1700000000.f",
      ].sort(),
    );
    expect(await fsp.readFile(join(root, "p/012/3456789abcdef0123456789abcdef-s0123456789abcdef12a.f"), "utf8")).toBe(pack);
    // Exactly 20 characters is still unsharded, 21 is sharded.
    await st.putBlob("a".repeat(20), enc("20"));
    await st.putBlob("b".repeat(21), enc("21"));
    expect(existsSync(join(root, "a".repeat(20) + ".f"))).toBe(true);
    expect(existsSync(join(root, "b", "bbb", "b".repeat(17) + ".f"))).toBe(true);
    const listed = (await listAll(st, "")).map((m) => m.id).sort();
    expect(listed).toEqual(["kopia.repository", "kopia.blobcfg", "kopia.maintenance", "xe5", "xw1700000000", pack, qpack, index, "a".repeat(20), "b".repeat(21)].sort());
  });

  test("existing directory without .shards opened without create: legacy [3,3]", async () => {
    const root = fresh();
    await fsp.mkdir(root);
    const st = await openFilesystemStorage({ path: root });
    expect(JSON.parse(await fsp.readFile(join(root, ".shards"), "utf8"))).toEqual({ default: [3, 3], maxNonShardedLength: 20 });
    await st.putBlob(pack, enc("legacy"));
    expect(existsSync(join(root, "p01/234/56789abcdef0123456789abcdef-s0123456789abcdef12a.f"))).toBe(true);
    // Reopening (even with create) keeps the persisted layout.
    const again = await openFilesystemStorage({ path: root, create: true });
    expect(new TextDecoder().decode(await again.getBlob(pack))).toBe("legacy");
  });

  test("existing .shards with overrides is honoured", async () => {
    const root = fresh();
    await fsp.mkdir(root);
    await fsp.writeFile(join(root, ".shards"), JSON.stringify({ default: [2], maxNonShardedLength: 4, overrides: [{ prefix: "xn", shards: [3, 1, 1] }] }));
    const st = await openFilesystemStorage({ path: root, create: true });
    await st.putBlob("abcdefgh", enc("1"));
    await st.putBlob("xn0_abcdef", enc("2"));
    await st.putBlob("abc", enc("3"));
    expect(await walkFiles(root)).toEqual([".shards", "ab/cdefgh.f", "abc.f", "xn0/_/a/bcdef.f"]);
    expect((await listAll(st, "xn0_a")).map((m) => m.id)).toEqual(["xn0_abcdef"]);
    expect((await listAll(st, "ab")).map((m) => m.id).sort()).toEqual(["abc", "abcdefgh"]);
  });

  test("corrupt .shards is a one-line StorageError naming the file", async () => {
    const root = fresh();
    await fsp.mkdir(root);
    await fsp.writeFile(join(root, ".shards"), "{not json");
    const err = await openFilesystemStorage({ path: root }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toContain(join(root, ".shards"));
  });

  test("modes are exactly 0600/0700 whatever the umask; custom modes honoured", async () => {
    const old = process.umask(0o000);
    try {
      const root = join(fresh(), "nested", "repo");
      const st = await openFilesystemStorage({ path: root, create: true });
      await st.putBlob(pack, enc("m"));
      expect(await mode(root)).toBe(0o700);
      expect(await mode(join(root, "..")) ).toBe(0o700);
      expect(await mode(join(root, "p"))).toBe(0o700);
      expect(await mode(join(root, "p", "012"))).toBe(0o700);
      expect(await mode(join(root, "p/012/3456789abcdef0123456789abcdef-s0123456789abcdef12a.f"))).toBe(0o600);
      expect(await mode(join(root, ".shards"))).toBe(0o600);

      process.umask(0o077);
      const root2 = fresh();
      const st2 = await openFilesystemStorage({ path: root2, create: true, fileMode: 0o644, dirMode: 0o755 });
      await st2.putBlob(qpack, enc("m"));
      expect(await mode(root2)).toBe(0o755);
      expect(await mode(join(root2, "q", "fed"))).toBe(0o755);
      expect(await mode(join(root2, "q/fed/cba9876543210fedcba9876543210-s0011223344556677130.f"))).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

  test("temporary and foreign files are never listed; temp files don't survive a write", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    await st.putBlob(pack, enc("real"));
    const dir = join(root, "p", "012");
    await fsp.writeFile(join(dir, "3456789abcdef0123456789abcdef-s0123456789abcdef12b.f.tmp.0011223344556677"), "partial");
    await fsp.writeFile(join(root, "kopia.repository.f.tmp.8899aabbccddeeff"), "partial");
    await fsp.writeFile(join(root, "README.txt"), "hi");
    await fsp.mkdir(join(root, "zz"));
    await fsp.writeFile(join(root, "zz", "notablob"), "x");
    expect((await listAll(st, "")).map((m) => m.id)).toEqual([pack]);
    await expect(st.getBlob("kopia.repository")).rejects.toBeInstanceOf(BlobNotFoundError);
    const files = await walkFiles(root);
    expect(files.filter((f) => f.includes(".tmp.")).length).toBe(2); // only the ones planted above
  });

  test("concurrent writers of the same blob: one complete version wins, no temp files left", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    const versions = Array.from({ length: 24 }, (_, i) => enc(`version-${i}-`.repeat(1000 + i)));
    await Promise.all(versions.map((v) => st.putBlob(index, v)));
    const got = Buffer.from(await st.getBlob(index));
    expect(versions.some((v) => Buffer.from(v).equals(got))).toBe(true);
    expect((await listAll(st, "x")).length).toBe(1);
    expect((await walkFiles(root)).filter((f) => f.includes(".tmp."))).toEqual([]);
  });

  test("doNotRecreate races: exactly one of many exclusive writers succeeds", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => st.putBlob("kopia.repository", enc(`w${i}`), { doNotRecreate: true })));
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
    const winner = results.findIndex((r) => r.status === "fulfilled");
    expect(new TextDecoder().decode(await st.getBlob("kopia.repository"))).toBe(`w${winner}`);
  });

  test("mtime is the blob timestamp", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    await st.putBlob("xe0", enc("epoch-marker"));
    const when = new Date("2024-03-22T18:09:47Z");
    await fsp.utimes(join(root, "xe0.f"), when, when);
    expect((await st.getMetadata("xe0")).timestamp.getTime()).toBe(when.getTime());
    expect((await listAll(st, "xe"))[0].timestamp.getTime()).toBe(when.getTime());
  });

  test("retention put options are rejected clearly; withRetention on filesystem fails for p, not s", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    const err = await st.putBlob(pack, enc("x"), { retentionMode: "GOVERNANCE", retentionPeriodMs: 86_400_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toMatch(/retention.*not supported by filesystem/);
    const locked = withRetention(st, "COMPLIANCE", 86_400_000);
    await expect(locked.putBlob(pack, enc("x"))).rejects.toBeInstanceOf(StorageError);
    await locked.putBlob("s0123456789abcdef12a", enc("session"));
    expect((await listAll(st, "")).map((m) => m.id)).toEqual(["s0123456789abcdef12a"]);
  });

  test("invalid blob IDs cannot escape the root", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    for (const id of ["", "../../etc/passwd", "a/b", "p.." + "x".repeat(30)]) {
      const e = await st.putBlob(id, enc("x")).catch((e) => e);
      // "p.." + …: 1-char shard "p", then ".xx" – legal; everything else must be refused.
      if (id.startsWith("p..")) expect(e).toBeUndefined();
      else expect(e).toBeInstanceOf(StorageError);
    }
    const custom = fresh();
    await fsp.mkdir(custom);
    await fsp.writeFile(join(custom, ".shards"), JSON.stringify({ default: [2], maxNonShardedLength: 0 }));
    const st3 = await openFilesystemStorage({ path: custom });
    await expect(st3.putBlob("..abc", enc("x"))).rejects.toBeInstanceOf(StorageError);
  });
});

describe("filesystem open errors", () => {
  test("missing directory without create names the path", async () => {
    const missing = join(base, "does", "not", "exist");
    const err = await openFilesystemStorage({ path: missing }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageNotFoundError);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toBe(`repository not found at ${missing}: directory does not exist (run 'corso repo init' first)`);
    expect(existsSync(missing)).toBe(false);
  });

  test("path that is a file, or below a file, is a StorageError naming it", async () => {
    const file = join(base, "plainfile");
    await fsp.writeFile(file, "x");
    const e1 = await openFilesystemStorage({ path: file }).catch((e) => e);
    expect(e1).toBeInstanceOf(StorageError);
    expect(e1.message).toBe(`repository path ${file} is not a directory`);
    const e2 = await openFilesystemStorage({ path: join(file, "repo"), create: true }).catch((e) => e);
    expect(e2).toBeInstanceOf(StorageError);
    expect(e2.message).toContain(join(file, "repo"));
    expect(e2.message).not.toContain("\n");
  });

  test("unwritable location is a StorageError naming the blob and path", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    // A regular file where the "p" shard directory must go: fails for root too (unlike chmod).
    await fsp.writeFile(join(root, "p"), "in the way");
    const e = await st.putBlob("p0123456789abcdef0123456789abcdef-x", enc("x")).catch((e) => e);
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toContain("p0123456789abcdef0123456789abcdef-x");
    expect(e.message).toContain(root);
    expect(e.message).not.toContain("\n");
    if (process.getuid?.() !== 0) {
      const ro = fresh();
      await fsp.mkdir(ro, { mode: 0o500 });
      const e3 = await openFilesystemStorage({ path: ro, create: true }).catch((e) => e);
      expect(e3).toBeInstanceOf(StorageError);
      expect(e3.message).toContain(ro);
    }
  });

  test("empty path is rejected", async () => {
    await expect(openFilesystemStorage({ path: "  " })).rejects.toBeInstanceOf(StorageError);
  });

  test("openStorage dispatches to the filesystem backend", async () => {
    const root = fresh();
    const st = await openStorage({ provider: "filesystem", path: root }, { create: true });
    await st.putBlob("kopia.repository", enc("{}"));
    expect(existsSync(join(root, "kopia.repository.f"))).toBe(true);
    expect(st.displayName).toBe(root);
    await expect(openStorage({ provider: "filesystem", path: join(root, "nope") }, { create: false })).rejects.toBeInstanceOf(StorageNotFoundError);
  });
});

describe("filesystem: ranged pack reads through kept-open descriptors", () => {
  const fdCount = () => require("node:fs").readdirSync("/proc/self/fd").length as number;
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

  test("many packs read concurrently (more than the cache holds): every range exact", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    const packs = Array.from({ length: 40 }, (_, i) => ({ id: `p${i.toString(16).padStart(32, "0")}-s1`, data: bytes(3_000_000 + i, i) }));
    for (const p of packs) await st.putBlob(p.id, p.data);
    const reads: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const p of packs) {
        // small (sync) and large (async, > 1 MiB) ranges interleaved, so evictions happen mid-read
        for (const [off, len] of [[0, 100], [1234, 2_000_000], [p.data.length - 10, 10], [p.data.length, 0]]) {
          reads.push(st.getBlob(p.id, off, len).then((got) => {
            expect(got.length).toBe(len);
            expect(Buffer.compare(got, p.data.subarray(off, off + len))).toBe(0);
          }));
        }
      }
    }
    await Promise.all(reads);
    await st.close();
  });

  test("bad ranges, missing packs, truncation and deletion are reported as before", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    const id = "p00000000000000000000000000000001-s1";
    const data = bytes(10_000, 1);
    await st.putBlob(id, data);
    expect(Buffer.compare(await st.getBlob(id, 5, 10), data.subarray(5, 15))).toBe(0);
    await expect(st.getBlob(id, 9_995, 10)).rejects.toThrow(/invalid range for blob p0+1-s1: offset 9995 length 10 exceeds blob size 10000/);
    await expect(st.getBlob(id, 20_000, 0)).rejects.toThrow(StorageError);
    await expect(st.getBlob("p0000000000000000000000000000000f-s1", 0, 10)).rejects.toBeInstanceOf(BlobNotFoundError);
    // truncated behind our back after the descriptor was cached: a short read is an error
    const root = (st as unknown as { root: string }).root;
    const file = (st as unknown as { pathOf(i: string): { file: string } }).pathOf(id).file;
    expect(file.startsWith(root)).toBe(true);
    await fsp.truncate(file, 100);
    await expect(st.getBlob(id, 50, 1000)).rejects.toThrow(/truncated while reading/);
    // deleted: the kept descriptor is dropped, so the pack is gone for readers too
    await st.deleteBlob(id);
    await expect(st.getBlob(id, 0, 10)).rejects.toBeInstanceOf(BlobNotFoundError);
    // rewritten with other bytes (a retried upload): read through a fresh descriptor
    await st.putBlob(id, bytes(500, 9));
    await st.getBlob(id, 0, 1);
    await st.putBlob(id, bytes(500, 3));
    expect(Buffer.compare(await st.getBlob(id, 0, 500), bytes(500, 3))).toBe(0);
    await st.close();
  });

  test("close() closes the kept descriptors", async () => {
    const st = await openFilesystemStorage({ path: fresh(), create: true });
    for (let i = 0; i < 10; i++) await st.putBlob(`q${i.toString(16).padStart(32, "0")}-s1`, bytes(100, i));
    const before = fdCount();
    for (let i = 0; i < 10; i++) await st.getBlob(`q${i.toString(16).padStart(32, "0")}-s1`, 0, 10);
    expect(fdCount()).toBe(before + 10);
    await st.close();
    expect(fdCount()).toBe(before);
  });
});

describe("page cache", () => {
  // resident bytes of a file, from util-linux's fincore (mincore(2) under the hood)
  const resident = (file: string): number => {
    const r = Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", file]);
    if (r.exitCode !== 0) throw new Error(`fincore failed: ${r.stderr}`);
    return Number(r.stdout.toString().trim());
  };
  const fileOf = async (root: string, id: string): Promise<string> => {
    const all = await fsp.readdir(root, { recursive: true });
    const rel = all.find((p) => p.endsWith(`${id.slice(-8)}.f`) || p.endsWith(`${id}.f`));
    if (!rel) throw new Error(`no file for ${id}`);
    return join(root, rel);
  };

  test.if(process.platform === "linux")("data pack blobs leave the page cache once written; metadata packs and indexes stay", async () => {
    const root = fresh();
    const st = await openFilesystemStorage({ path: root, create: true });
    const pack = packId("p");
    const body = new Uint8Array(4 << 20).map((_, i) => (i * 7) & 0xff);
    await st.putBlob(pack, body);
    await st.putBlob("xn0_0123456789abcdef0123456789abcdef", body);
    const metaPack = packId("q");
    await st.putBlob(metaPack, body);
    const packFile = await fileOf(root, pack);
    const indexFile = await fileOf(root, "xn0_0123456789abcdef0123456789abcdef");
    expect(resident(packFile)).toBe(0);
    expect(resident(indexFile)).toBeGreaterThan(0);
    expect(resident(await fileOf(root, metaPack))).toBeGreaterThan(0);
    // dropped pages are re-read from the disk, byte for byte
    expect(Buffer.from(await st.getBlob(pack)).equals(Buffer.from(body))).toBe(true);
    await st.close();
  });
});
