// Huge directories spilled to disk by the tree builder must give byte-identical directory
// objects to the in-memory path, keep "last add wins", and keep file/directory conflict checks.
import { describe, expect, test } from "bun:test";
import { UsageError } from "../../../lib/errors.ts";
import { ObjectManager } from "../../../lib/repo/object/index.ts";
import { fixedSplitter } from "../../../lib/repo/object/splitters.ts";
import type { DirEntry } from "../../../lib/repo/snapshot/dir-entry.ts";
import { DirectoryBuilder } from "../../../lib/repo/snapshot/directory-builder.ts";
import { readDirectory, writeDirectory } from "../../../lib/repo/snapshot/directory.ts";
import { compareNames } from "../../../lib/repo/snapshot/entry-spill.ts";
import { SnapshotTreeBuilder } from "../../../lib/repo/snapshot/tree-builder.ts";
import { MemoryContentManager } from "../helpers/memory-content.ts";

function repo() {
  const cm = new MemoryContentManager();
  return { cm, objects: new ObjectManager(cm, () => fixedSplitter(4096)) };
}

// names in an order that is not sorted, with non-ASCII ones (UTF-8 byte order matters)
const names = (n: number) => Array.from({ length: n }, (_, i) => `m${(i * 7919) % n}${i % 13 === 0 ? "é" : ""}${i % 29 === 0 ? "😀" : ""}`);

async function build(spillAt: number | undefined, n: number) {
  const r = repo();
  const b = new SnapshotTreeBuilder(r, { rootName: "root", spillAt });
  const ns = names(n);
  for (let i = 0; i < n; i++) {
    await b.addFile(["svc", "big", ns[i]], new TextEncoder().encode(`body ${i}`), { mtime: new Date(1700000000000 + i * 1000) });
  }
  // replacements: one of an early (spilled) entry, one of a late one, twice
  await b.addFile(["svc", "big", ns[3]], new TextEncoder().encode("replaced 3"), { mtime: new Date(1800000000000) });
  await b.addFile(["svc", "big", ns[n - 2]], new TextEncoder().encode("replaced a"), { mtime: new Date(1800000001000) });
  await b.addFile(["svc", "big", ns[n - 2]], new TextEncoder().encode("replaced b"), { mtime: new Date(1800000002000) });
  await b.addFile(["svc", "big", "sub", "x"], new TextEncoder().encode("in a subdirectory"), { mtime: new Date(1700000000000) });
  await b.addFile(["svc", "small", "y"], new TextEncoder().encode("y"), { mtime: new Date(1700000000000) });
  const fileEntries = b.internalStats().fileEntries;
  const out = await b.finish();
  return { ...out, r, fileEntries };
}

describe("tree builder: spilled directories", () => {
  test("same directory objects, summaries and stats as in memory", async () => {
    const n = 1500;
    const mem = await build(undefined, n);
    const spilled = await build(100, n);
    expect(mem.fileEntries).toBe(n + 2);
    // a replaced entry that was already spilled is counted until the merge drops it
    expect(spilled.fileEntries).toBeGreaterThan(n + 2);
    expect(spilled.root.obj).toBe(mem.root.obj);
    expect(spilled.root.summ).toEqual(mem.root.summ);
    expect(spilled.stats).toEqual(mem.stats);
    expect(spilled.stats.fileCount).toBe(n + 2);
    const svc = (await readDirectory(spilled.r.objects, spilled.root.obj))[0];
    const big = (await readDirectory(spilled.r.objects, svc.obj)).find((e) => e.name === "big")!;
    const entries = await readDirectory(spilled.r.objects, big.obj);
    expect(entries.length).toBe(n + 1);
    expect(entries[0].name).toBe("sub");
    const fileNames = entries.slice(1).map((e) => e.name);
    expect(fileNames).toEqual([...fileNames].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(new Set(fileNames).size).toBe(n);
    const third = entries.find((e) => e.name === names(n)[3])!;
    expect(third.size).toBe("replaced 3".length);
    const late = entries.find((e) => e.name === names(n)[n - 2])!;
    expect(late.size).toBe("replaced b".length);
    expect(big.summ!.files).toBe(n + 1);
  });

  test("a spilled file name cannot become a directory and vice versa", async () => {
    const b = new SnapshotTreeBuilder(repo(), { rootName: "root", spillAt: 10 });
    for (let i = 0; i < 50; i++) await b.addFile(["d", `f${i}`], new Uint8Array([i]), { mtime: new Date(0) });
    await expect(b.addFile(["d", "f3", "x"], new Uint8Array([1]), { mtime: new Date(0) })).rejects.toThrow(UsageError);
    await expect(b.addExistingDirectory(["d", "f4"], { name: "f4", type: "d", mode: 0o777, size: 0, mtimeNs: 0n, uid: 0, gid: 0, obj: "k0123" })).rejects.toThrow(UsageError);
    await b.addFile(["d", "g", "x"], new Uint8Array([1]), { mtime: new Date(0) });
    const { stats } = await b.finish();
    expect(stats.fileCount).toBe(51);
  });

  test("name order is UTF-8 byte order", () => {
    const xs = ["b", "a", "é", "😀", "\uffff", "ab", "a\u00e9", "Z"];
    const want = [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...xs].sort(compareNames)).toEqual(want);
  });
});

describe("DirectoryBuilder", () => {
  test("spilled or not, the same bytes as writeDirectory of the whole array", async () => {
    const r = repo();
    const entries: DirEntry[] = names(3000).map((name, i) => ({
      name, type: "f", mode: 0o777, size: i * 3, mtimeNs: BigInt(1700000000000 + i) * 1_000_000n, uid: 0, gid: 0, obj: `obj${i}`,
    }));
    const sub: DirEntry = {
      name: "zz-sub", type: "d", mode: 0o777, size: 0, mtimeNs: 0n, uid: 0, gid: 0, obj: "kabc",
      summ: { size: 10, files: 2, symlinks: 0, dirs: 1, maxTimeNs: 1900000000000000000n, numFailed: 1, numIgnoredErrors: 0, errors: [{ path: "p", error: "e" }] },
    };
    const whole = await writeDirectory(r.objects, [...entries, sub], 5n, { description: "x" });
    const b = new DirectoryBuilder(256);
    for (const e of entries.slice(0, 1000)) b.push(e);
    b.push(sub);
    for (const e of entries.slice(1000)) b.push(e);
    expect(b.length).toBe(3001);
    const spilled = await b.write(r.objects, 5n, { description: "x" });
    expect(spilled.objectId).toBe(whole.objectId);
    expect(spilled.summary).toEqual(whole.summary);
    expect(b.length).toBe(0);
    const small = DirectoryBuilder.of(entries.slice(0, 10));
    expect((await small.write(r.objects, 5n)).objectId).toBe((await writeDirectory(r.objects, entries.slice(0, 10), 5n)).objectId);
    const read = await readDirectory(r.objects, spilled.objectId);
    expect(read.length).toBe(3001);
    expect(read[0].name).toBe("zz-sub");
  });
});
