import { afterAll, describe, expect, test } from "bun:test";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptDataError, UsageError } from "../../../lib/errors.ts";
import { ManifestManager } from "../../../lib/repo/manifest/index.ts";
import { ObjectManager } from "../../../lib/repo/object/index.ts";
import { fixedSplitter } from "../../../lib/repo/object/splitters.ts";
import {
  SnapshotNotFoundError,
  SnapshotTreeBuilder,
  decodeDirectory,
  decodeSnapshotManifest,
  deleteSnapshot,
  encodeDirectory,
  encodeSnapshotManifest,
  listSnapshots,
  loadSnapshot,
  permissionsFromUnixMode,
  readDirectory,
  restoreSnapshot,
  saveSnapshot,
  snapshotDirectory,
  summarize,
  unixModeFromPermissions,
  emptyStats,
  type DirEntry,
} from "../../../lib/repo/snapshot/index.ts";
import { MemoryContentManager } from "../helpers/memory-content.ts";

const temps: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "corso-snap-"));
  temps.push(d);
  return d;
}
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

function repo(chunk = 64 * 1024) {
  const cm = new MemoryContentManager();
  const objects = new ObjectManager(cm, () => fixedSplitter(chunk));
  const manifests = new ManifestManager(cm);
  return { cm, objects, manifests, hostname: "host1", username: "user1" };
}

const file = (name: string, size: number, mtimeNs: bigint, obj = "0123456789abcdef0123456789abcdef"): DirEntry => ({
  name,
  type: "f",
  mode: 0o644,
  size,
  mtimeNs,
  uid: 1000,
  gid: 1000,
  obj,
});

describe("directory JSON", () => {
  test("golden bytes match kopia's json.Encoder output", () => {
    const sub: DirEntry = {
      name: "sub",
      type: "d",
      mode: 0o755,
      size: 0,
      mtimeNs: 1_700_000_000_500_000_000n,
      uid: 0,
      gid: 0,
      obj: "kabcdef0123456789abcdef0123456789",
      summ: summarize([], 1_700_000_000_500_000_000n),
    };
    const entries = [file("b<&>.txt", 5, 1_700_000_000_000_000_001n), sub, { ...file("a", 0, 0n), uid: 0, gid: 0, mode: 0 }];
    entries.sort((x, y) => (x.type === "d" ? -1 : y.type === "d" ? 1 : x.name < y.name ? -1 : 1));
    const summary = summarize(entries, 0n);
    const text = Buffer.from(encodeDirectory(entries, summary)).toString();
    expect(text).toBe(
      '{"stream":"kopia:directory","entries":[' +
        '{"name":"sub","type":"d","mode":"0755","mtime":"2023-11-14T22:13:20.5Z","obj":"kabcdef0123456789abcdef0123456789",' +
        '"summ":{"size":0,"files":0,"symlinks":0,"dirs":1,"maxTime":"2023-11-14T22:13:20.5Z","numFailed":0}},' +
        '{"name":"a","type":"f","obj":"0123456789abcdef0123456789abcdef"},' +
        '{"name":"b\\u003c\\u0026\\u003e.txt","type":"f","mode":"0644","size":5,"mtime":"2023-11-14T22:13:20.000000001Z","uid":1000,"gid":1000,"obj":"0123456789abcdef0123456789abcdef"}],' +
        '"summary":{"size":5,"files":2,"symlinks":0,"dirs":2,"maxTime":"2023-11-14T22:13:20.5Z","numFailed":0}}\n',
    );
    const back = decodeDirectory(new TextEncoder().encode(text), "k1");
    expect(back.entries.map((e) => e.name)).toEqual(["sub", "a", "b<&>.txt"]);
    expect(back.entries[2].mtimeNs).toBe(1_700_000_000_000_000_001n);
    expect(back.entries[0].summ!.dirs).toBe(1);
    expect(back.summary!.files).toBe(2);
  });
  test("empty directory encodes entries as null; wrong stream type is rejected", () => {
    const text = Buffer.from(encodeDirectory([], summarize([], 5n))).toString();
    expect(text).toBe(
      '{"stream":"kopia:directory","entries":null,"summary":{"size":0,"files":0,"symlinks":0,"dirs":1,"maxTime":"1970-01-01T00:00:00.000000005Z","numFailed":0}}\n',
    );
    expect(decodeDirectory(new TextEncoder().encode(text), "k").entries).toEqual([]);
    expect(() => decodeDirectory(new TextEncoder().encode('{"stream":"kopia:indirect"}'), "k")).toThrow(CorruptDataError);
    expect(() => decodeDirectory(new TextEncoder().encode("{"), "k")).toThrow(CorruptDataError);
  });
  test("special permission bits use Go's FileMode layout", () => {
    expect(permissionsFromUnixMode(0o104755)).toBe(0o755 | (1 << 23));
    expect(unixModeFromPermissions(permissionsFromUnixMode(0o7777))).toBe(0o7777);
  });
});

describe("snapshot manifests", () => {
  test("payload field order and omitempty follow Go", () => {
    const m = {
      id: "x",
      source: { host: "h", userName: "u", path: "/p" },
      description: "",
      startTimeNs: 1_000_000_000n,
      endTimeNs: 2_000_000_000n,
      stats: emptyStats(),
      rootEntry: null,
    };
    expect(encodeSnapshotManifest(m)).toBe(
      '{"id":"","source":{"host":"h","userName":"u","path":"/p"},"description":"","startTime":"1970-01-01T00:00:01Z","endTime":"1970-01-01T00:00:02Z",' +
        '"stats":{"totalSize":0,"excludedTotalSize":0,"fileCount":0,"cachedFiles":0,"nonCachedFiles":0,"dirCount":0,"excludedFileCount":0,"excludedDirCount":0,"ignoredErrorCount":0,"errorCount":0},' +
        '"rootEntry":null}',
    );
    const withTags = encodeSnapshotManifest({ ...m, tags: { "tag:b": "0", "tag:a": "1" }, pins: ["corso"] });
    expect(withTags.endsWith(',"rootEntry":null,"tags":{"tag:a":"1","tag:b":"0"},"pins":["corso"]}')).toBe(true);
    expect(decodeSnapshotManifest(JSON.parse(withTags), "id1").tags).toEqual({ "tag:a": "1", "tag:b": "0" });
  });

  test("save, list by source, load, delete", async () => {
    const r = repo();
    const base = {
      id: "",
      description: "d",
      endTimeNs: 0n,
      stats: emptyStats(),
      rootEntry: file("root", 1, 1n),
    };
    const a = await saveSnapshot(r.manifests, { ...base, source: { host: "h", userName: "u", path: "/a" }, startTimeNs: 20n });
    const b = await saveSnapshot(r.manifests, { ...base, source: { host: "h", userName: "u", path: "/a" }, startTimeNs: 10n });
    await saveSnapshot(r.manifests, { ...base, source: { host: "h", userName: "u", path: "/b" }, startTimeNs: 5n, tags: { "tag:x": "0" } });
    await r.manifests.flush();
    const mm = new ManifestManager(r.cm);
    expect((await listSnapshots(mm, { host: "h", userName: "u", path: "/a" })).map((s) => s.id)).toEqual([b, a]);
    expect((await listSnapshots(mm)).length).toBe(3);
    const got = await loadSnapshot(mm, a);
    expect(got.rootEntry!.name).toBe("root");
    expect((await mm.getMetadata(a)).labels).toEqual({ type: "snapshot", hostname: "h", username: "u", path: "/a" });
    await deleteSnapshot(mm, a);
    await expect(loadSnapshot(mm, a)).rejects.toThrow(SnapshotNotFoundError);
    await expect(deleteSnapshot(mm, "f".repeat(32))).rejects.toThrow(SnapshotNotFoundError);
    await expect(
      saveSnapshot(mm, { ...base, source: { host: "h", userName: "", path: "/a" }, startTimeNs: 1n }),
    ).rejects.toThrow(UsageError);
    await expect(
      saveSnapshot(mm, { ...base, source: { host: "h", userName: "u", path: "/a" }, startTimeNs: 1n, tags: { path: "x" } }),
    ).rejects.toThrow(UsageError);
    const pol = await mm.put({ type: "policy" }, {});
    await expect(loadSnapshot(mm, pol)).rejects.toThrow(SnapshotNotFoundError);
  });
});

describe("SnapshotTreeBuilder", () => {
  test("builds a virtual tree from items in arbitrary order", async () => {
    const r = repo(1024);
    const b = new SnapshotTreeBuilder(r, { rootName: "tenant", compression: "zstd-better-compression" });
    const t = new Date("2024-05-06T07:08:09.123Z");
    await b.addFile(["svc", "user", "mail", "f1", "item2"], new TextEncoder().encode("two"), { mtime: t });
    async function* body() {
      for (let i = 0; i < 5; i++) yield new Uint8Array(1000).fill(i);
    }
    const big = await b.addFile(["svc", "user", "mail", "item1"], body(), { mtime: t });
    expect(big.size).toBe(5000);
    expect(big.objectId.startsWith("Ix")).toBe(true);
    await b.addFile(["svc", "user", "mail", "f1", "item3"], new Uint8Array(0), { mtime: new Date(0) });
    await expect(b.addFile(["svc", "user", "mail", "f1"], new Uint8Array(1), { mtime: t })).rejects.toThrow(UsageError);
    await expect(b.addFile(["svc", "..", "x"], new Uint8Array(1), { mtime: t })).rejects.toThrow(UsageError);
    await expect(b.addFile([], new Uint8Array(1), { mtime: t })).rejects.toThrow(UsageError);
    const { root, stats } = await b.finish();
    expect(root.name).toBe("tenant");
    expect(root.mode).toBe(0o777);
    expect(root.summ).toMatchObject({ files: 3, size: 5003, dirs: 5 });
    expect(stats).toMatchObject({ fileCount: 3, totalSize: 5003, nonCachedFiles: 3, dirCount: 5 });
    let dir = root.obj;
    for (let i = 0; i < 3; i++) dir = (await readDirectory(r.objects, dir))[0].obj; // svc/user/mail
    const mail = await readDirectory(r.objects, dir);
    expect(mail.map((e) => `${e.type}:${e.name}`)).toEqual(["d:f1", "f:item1"]);
    expect(mail[1].mode).toBe(0o777);
    expect(mail[1].mtimeNs).toBe(BigInt(t.getTime()) * 1_000_000n);
    const dest = join(await tmp(), "out");
    await restoreSnapshot(r, root, dest);
    expect((await readFile(join(dest, "svc/user/mail/item1"))).length).toBe(5000);
    expect((await readFile(join(dest, "svc/user/mail/f1/item2"))).toString()).toBe("two");
    await expect(b.addFile(["x"], new Uint8Array(1), { mtime: t })).rejects.toThrow(UsageError);
  });

  test("carries over files and directories of a previous tree without reading data", async () => {
    const r = repo(1024);
    const t = { mtime: new Date("2024-01-01T00:00:00Z") };
    const b1 = new SnapshotTreeBuilder(r, { rootName: "r" });
    await b1.addFile(["a", "keep"], new TextEncoder().encode("keep"), t);
    await b1.addFile(["a", "old"], new TextEncoder().encode("old"), t);
    await b1.addFile(["b", "x", "y"], new TextEncoder().encode("y"), t);
    const first = (await b1.finish()).root;
    const top = await readDirectory(r.objects, first.obj);
    const aDir = top.find((e) => e.name === "a")!;
    const bDir = top.find((e) => e.name === "b")!;
    const aEntries = await readDirectory(r.objects, aDir.obj);

    const writesBefore = r.cm.writes;
    const b2 = new SnapshotTreeBuilder(r, { rootName: "r" });
    await b2.addExistingDirectory(["b"], bDir);
    await b2.addExistingFile(["a", "keep"], aEntries.find((e) => e.name === "keep")!);
    await b2.addFile(["a", "new"], new TextEncoder().encode("new"), t);
    await b2.addExistingDirectory(["c"], aDir); // merged with an addition below
    await b2.addFile(["c", "extra"], new TextEncoder().encode("extra"), t);
    const { root, stats } = await b2.finish();
    expect(stats.cachedFiles).toBe(4); // keep, b/x/y, c/keep, c/old
    expect(stats.nonCachedFiles).toBe(2);
    expect(stats.fileCount).toBe(6);
    const top2 = await readDirectory(r.objects, root.obj);
    expect(top2.find((e) => e.name === "b")!.obj).toBe(bDir.obj); // reused as is
    const c = await readDirectory(r.objects, top2.find((e) => e.name === "c")!.obj);
    expect(c.map((e) => e.name)).toEqual(["extra", "keep", "old"]);
    expect(r.cm.writes - writesBefore).toBeLessThan(10);
    const dest = join(await tmp(), "out");
    await restoreSnapshot(r, root, dest);
    expect((await readFile(join(dest, "c/old"))).toString()).toBe("old");
    expect((await readFile(join(dest, "b/x/y"))).toString()).toBe("y");
  });

  test("100k small files: only metadata is retained, bodies never accumulate", async () => {
    const r = repo(4096);
    const b = new SnapshotTreeBuilder(r, { rootName: "root" });
    const mtime = { mtime: new Date("2024-01-01T00:00:00Z") };
    let maxInFlight = 0;
    const N = 100_000;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      // arbitrary order across 100 folders, 4 at a time
      const folder = `f${(i * 7919) % 100}`;
      const body = new TextEncoder().encode(`item ${i} ${"x".repeat(i % 50)}`);
      pending.push(b.addFile(["svc", folder, `item${i}`], body, mtime));
      if (pending.length >= 4) {
        await Promise.all(pending);
        pending.length = 0;
        maxInFlight = Math.max(maxInFlight, b.internalStats().bodiesInFlight);
      }
    }
    await Promise.all(pending);
    const s = b.internalStats();
    expect(s.fileEntries).toBe(N);
    expect(s.dirNodes).toBe(102);
    expect(s.bodiesInFlight).toBe(0);
    // bodies are ~60 bytes each; the builder never held more than a few of them at once
    expect(s.maxBufferedBodyBytes).toBeLessThan(4 * 4096 + 4 * 64 * 1024);
    const { root, stats } = await b.finish();
    expect(stats.fileCount).toBe(N);
    expect(root.summ!.files).toBe(N);
    // finishing releases the per-entry metadata
    expect(b.internalStats().fileEntries).toBe(0);
  }, 120_000);
});

describe("filesystem snapshot and restore", () => {
  test("round trip with modes, mtimes, symlinks, empty files and previous-snapshot cache", async () => {
    const r = repo(8192);
    const src = join(await tmp(), "src");
    await mkdir(join(src, "d1/d2"), { recursive: true });
    await mkdir(join(src, "empty"));
    const big = new Uint8Array(50_000).map((_, i) => (i * 31) & 0xff);
    await writeFile(join(src, "big.bin"), big);
    await writeFile(join(src, "empty.txt"), "");
    await writeFile(join(src, "d1/d2/x.txt"), "hello");
    await chmod(join(src, "d1/d2/x.txt"), 0o640);
    await symlink("d1/d2/x.txt", join(src, "link"));
    await utimes(join(src, "big.bin"), 1_600_000_000.123456, 1_600_000_000.123456);

    const m1 = await snapshotDirectory(r, src);
    expect(m1.id).toMatch(/^[0-9a-f]{32}$/);
    expect(m1.source).toMatchObject({ host: "host1", userName: "user1" });
    expect(m1.stats).toMatchObject({ fileCount: 3, nonCachedFiles: 3, cachedFiles: 0, totalSize: 50_005, dirCount: 4 });
    expect(m1.rootEntry!.summ).toMatchObject({ files: 3, symlinks: 1, dirs: 4 });

    const dest = join(await tmp(), "dest");
    const rs = await restoreSnapshot(r, m1, dest);
    expect(rs).toMatchObject({ files: 3, symlinks: 1, dirs: 4, bytes: 50_005 });
    expect(Buffer.from(await readFile(join(dest, "big.bin"))).equals(Buffer.from(big))).toBe(true);
    expect((await readFile(join(dest, "empty.txt"))).length).toBe(0);
    expect(await readlink(join(dest, "link"))).toBe("d1/d2/x.txt");
    const st = await lstat(join(dest, "d1/d2/x.txt"), { bigint: true });
    expect(Number(st.mode) & 0o7777).toBe(0o640);
    const so = await lstat(join(src, "big.bin"), { bigint: true });
    const sr = await lstat(join(dest, "big.bin"), { bigint: true });
    expect(Number(sr.mtimeNs / 1000n)).toBeCloseTo(Number(so.mtimeNs / 1000n), -1);
    expect((await lstat(join(dest, "empty"))).isDirectory()).toBe(true);

    // unchanged second snapshot reads nothing
    const writes = r.cm.writes;
    const m2 = await snapshotDirectory(r, src, undefined, { previous: m1 });
    expect(m2.stats).toMatchObject({ cachedFiles: 3, nonCachedFiles: 0 });
    expect(m2.rootEntry!.obj).toBe(m1.rootEntry!.obj);
    expect(r.cm.writes - writes).toBeLessThanOrEqual(10); // directories + symlink only
    // a changed file is re-read
    await writeFile(join(src, "d1/d2/x.txt"), "hello!");
    const m3 = await snapshotDirectory(r, src, undefined, { previous: m2 });
    expect(m3.stats).toMatchObject({ cachedFiles: 2, nonCachedFiles: 1 });
    await r.manifests.flush();
    expect((await listSnapshots(r.manifests, m1.source)).length).toBe(3);
  });

  test("restore replaces existing files and never writes through a symlink at the target", async () => {
    const r = repo();
    const src = join(await tmp(), "src");
    await mkdir(src);
    await writeFile(join(src, "a.txt"), "new content");
    const m = await snapshotDirectory(r, src);
    const dest = join(await tmp(), "dest");
    await mkdir(dest);
    const outside = join(await tmp(), "outside.txt");
    await writeFile(outside, "do not touch");
    await symlink(outside, join(dest, "a.txt"));
    await restoreSnapshot(r, m, dest);
    expect((await readFile(join(dest, "a.txt"))).toString()).toBe("new content");
    expect((await lstat(join(dest, "a.txt"))).isSymbolicLink()).toBe(false);
    expect((await readFile(outside)).toString()).toBe("do not touch");
    await expect(restoreSnapshot(r, m, dest, { overwrite: false })).rejects.toThrow();
  });

  test("restore overlaps large and small files across directories: exact bytes, directory metadata after children", async () => {
    const r = repo(1 << 20);
    const src = join(await tmp(), "src");
    const big = (seed: number, n: number) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
      return b;
    };
    // large files (≥ 8 MiB) early in the walk, many small ones in later directories
    await mkdir(join(src, "a-bin/inner"), { recursive: true });
    await writeFile(join(src, "a-bin/large1.bin"), big(1, (8 << 20) + 123));
    await writeFile(join(src, "a-bin/inner/large2.bin"), big(2, 9 << 20));
    await writeFile(join(src, "a-bin/large3.bin"), big(3, 8 << 20));
    for (let d = 0; d < 6; d++) {
      await mkdir(join(src, `m-${d}/sub`), { recursive: true });
      for (let i = 0; i < 9; i++) await writeFile(join(src, `m-${d}/${i}.txt`), `dir ${d} file ${i} `.repeat(50 + i * d));
      await writeFile(join(src, `m-${d}/sub/x.txt`), `sub ${d}`);
    }
    // directory mtimes that child creation would disturb if applied too early
    const when = new Date("2020-02-02T02:02:02Z");
    for (const d of ["a-bin/inner", "a-bin", "m-0/sub", "m-0", "m-5/sub", "m-5"]) await utimes(join(src, d), when, when);
    const m = await snapshotDirectory(r, src);
    const dest = join(await tmp(), "dest");
    const st = await restoreSnapshot(r, m, dest, { parallelFiles: 3 });
    expect(st.files).toBe(3 + 6 * 10);
    expect(st.dirs).toBe(1 + 2 + 6 * 2);
    for (const f of ["a-bin/large1.bin", "a-bin/inner/large2.bin", "a-bin/large3.bin", "m-3/8.txt", "m-5/sub/x.txt"]) {
      expect(Buffer.compare(await readFile(join(dest, f)), await readFile(join(src, f)))).toBe(0);
    }
    for (const d of ["a-bin/inner", "a-bin", "m-0/sub", "m-0", "m-5/sub", "m-5"]) {
      expect((await lstat(join(dest, d))).mtimeMs).toBe(when.getTime());
    }
  });

  test("a failing file stops the restore with its error, and nothing still runs after it returns", async () => {
    const r = repo(1 << 20);
    const src = join(await tmp(), "src");
    for (let d = 0; d < 4; d++) {
      await mkdir(join(src, `d${d}`), { recursive: true });
      for (let i = 0; i < 12; i++) await writeFile(join(src, `d${d}/${i}.txt`), `content ${d}/${i} `.repeat(20 + i));
    }
    const m = await snapshotDirectory(r, src);
    // lose one file's content in the middle of the tree
    const d1 = (await readDirectory(r.objects, m.rootEntry!.obj)).find((e) => e.name === "d1")!;
    const victim = (await readDirectory(r.objects, d1.obj)).find((e) => e.name === "5.txt")!;
    r.cm.data.delete(victim.obj);
    r.cm.info.delete(victim.obj);
    const dest = join(await tmp(), "dest");
    const err = await restoreSnapshot(r, m, dest).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toContain(victim.obj);
    const list = async () => {
      const out: string[] = [];
      for (let d = 0; d < 4; d++) out.push(...(await readdir(join(dest, `d${d}`)).catch(() => [] as string[])).map((f) => `d${d}/${f}`));
      return out.sort();
    };
    const after = await list();
    await new Promise((res) => setTimeout(res, 100));
    expect(await list()).toEqual(after);
    expect(after).not.toContain("d3/11.txt"); // the walk stopped: the last directory was not finished
  });

  test("small files read ahead: same tree as one-at-a-time reads, unchanged files are not read", async () => {
    const src = join(await tmp(), "src");
    for (let d = 0; d < 3; d++) {
      await mkdir(join(src, `d${d}`), { recursive: true });
      for (let i = 0; i < 30; i++) {
        const body = new Uint8Array(100 + ((i * 7919 + d * 131) % 20_000)).map((_, j) => (j * (i + 3) + d) & 0xff);
        await writeFile(join(src, `d${d}`, `f${String(i).padStart(2, "0")}.bin`), body);
      }
    }
    await writeFile(join(src, "d1", "big.bin"), new Uint8Array(3 << 20).map((_, j) => (j >> 9) & 0xff));
    const r1 = repo(8192);
    const r2 = repo(8192);
    const a = await snapshotDirectory(r1, src, undefined, { readAhead: 8 });
    const b = await snapshotDirectory(r2, src, undefined, { readAhead: 0 });
    expect(a.rootEntry!.obj).toBe(b.rootEntry!.obj);
    expect(a.stats).toMatchObject({ fileCount: 91, nonCachedFiles: 91, errorCount: 0 });
    const dest = join(await tmp(), "dest");
    await restoreSnapshot(r1, a, dest);
    for (const n of ["d0/f00.bin", "d2/f29.bin", "d1/big.bin"]) {
      expect(Buffer.from(await readFile(join(dest, n))).equals(await readFile(join(src, n)))).toBe(true);
    }
    // one changed file in a cached tree: only it is read (and stored) again
    await writeFile(join(src, "d2", "f05.bin"), "changed");
    const read: string[] = [];
    const c = await snapshotDirectory(r1, src, undefined, { previous: a, onFile: (rel, _n, cached) => !cached && read.push(rel) });
    expect(read).toEqual(["d2/f05.bin"]);
    expect(c.stats).toMatchObject({ cachedFiles: 90, nonCachedFiles: 1 });
  });

  test("a file that vanishes or grows past the small-file size after listing is handled like a direct read", async () => {
    const src = join(await tmp(), "src");
    await mkdir(src);
    for (let i = 0; i < 20; i++) await writeFile(join(src, `f${String(i).padStart(2, "0")}`), `body ${i}`);
    const grown = new Uint8Array((1 << 20) + 300_000).map((_, j) => (j * 13) & 0xff);
    let first = true;
    const r = repo(64 * 1024);
    // when the first file is done only the first ~9 reads have started: f18 and f19 are read later
    const m = await snapshotDirectory(r, src, undefined, {
      readAhead: 8,
      onFile: () => {
        if (!first) return;
        first = false;
        require("node:fs").rmSync(join(src, "f19"));
        require("node:fs").writeFileSync(join(src, "f18"), grown);
      },
    });
    expect(m.stats).toMatchObject({ fileCount: 19, errorCount: 1 });
    const dest = join(await tmp(), "dest");
    await restoreSnapshot(r, m, dest);
    expect(Buffer.from(await readFile(join(dest, "f18"))).equals(Buffer.from(grown))).toBe(true);
    expect((await readFile(join(dest, "f17"))).toString()).toBe("body 17");
    expect(await readdir(dest)).not.toContain("f19");
  });

  test("bad inputs are one-line typed errors", async () => {
    const r = repo();
    await expect(snapshotDirectory(r, "/nonexistent/dir")).rejects.toThrow(UsageError);
    const f = join(await tmp(), "file");
    await writeFile(f, "x");
    await expect(snapshotDirectory(r, f)).rejects.toThrow(UsageError);
    await expect(restoreSnapshot(r, { ...file("x", 1, 1n), obj: "Ix" + "0".repeat(32) }, join(await tmp(), "o"))).rejects.toThrow();
  });
});
