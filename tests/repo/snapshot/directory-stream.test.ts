// The streaming directory reader must yield exactly what readDirectory's whole-object parse
// yields, wherever the object's chunks happen to split the JSON, and reject malformed objects.
import { describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { ObjectManager } from "../../../lib/repo/object/index.ts";
import { fixedSplitter } from "../../../lib/repo/object/splitters.ts";
import { encodeDirectory, summarize, type DirEntry } from "../../../lib/repo/snapshot/dir-entry.ts";
import { findDirectoryEntry, iterateDirectory, iterateDirectoryBytes, readDirectory, writeDirectory } from "../../../lib/repo/snapshot/directory.ts";
import { MemoryContentManager } from "../helpers/memory-content.ts";

const file = (name: string, i: number): DirEntry => ({
  name, type: "f", mode: 0o644, size: 100 + i, mtimeNs: 1_700_000_000_123_456_789n + BigInt(i), uid: 0, gid: 0, obj: `${(i + 1).toString(16).padStart(32, "0")}`,
});
const dir = (name: string): DirEntry => ({
  name, type: "d", mode: 0o755, size: 0, mtimeNs: 0n, uid: 0, gid: 0, obj: "k" + "ab".repeat(16),
  summ: { size: 5, files: 2, symlinks: 0, dirs: 1, maxTimeNs: 1_700_000_000_000_000_000n, numFailed: 1, numIgnoredErrors: 0, errors: [{ path: 'a"b{c}[d]', error: "bad \\ thing ,]}" }] },
});

// names that contain every character the scanner treats specially
const tricky = ['plain', 'quote"inside', 'back\\slash', 'brace{open', 'brace}close', 'brack[et]', 'comma,colon:', 'é😀 unicode', 'tab\there', 'ctl\u0001'];

function sample(): Uint8Array {
  const entries = [dir("sub}dir"), dir('a"dir'), ...tricky.map(file)];
  const sorted = [...entries].sort((a, b) => (a.type === "d") !== (b.type === "d") ? (a.type === "d" ? -1 : 1) : Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return encodeDirectory(sorted, summarize(sorted, 0n));
}

function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    out.push(data.subarray(prev, c));
    prev = c;
  }
  return out;
}

async function collect(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, opts = {}): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  for await (const e of iterateDirectoryBytes(chunks, "test", opts)) out.push(e);
  return out;
}

describe("iterateDirectoryBytes", () => {
  test("same entries as the whole-object parse, for every single split point", async () => {
    const data = sample();
    const { decodeDirectory } = await import("../../../lib/repo/snapshot/dir-entry.ts");
    const want = decodeDirectory(data, "test").entries;
    expect(want.length).toBe(tricky.length + 2);
    expect(await collect([data])).toEqual(want);
    for (let cut = 1; cut < data.length; cut++) expect(await collect(splitAt(data, [cut]))).toEqual(want);
  });

  test("byte-by-byte chunks and an async source", async () => {
    const data = sample();
    const want = await collect([data]);
    const bytes = Array.from({ length: data.length - 1 }, (_, i) => i + 1);
    expect(await collect(splitAt(data, bytes))).toEqual(want);
    async function* slow() {
      for (const c of splitAt(data, [7, 100, 101, 333])) yield c;
    }
    expect(await collect(slow())).toEqual(want);
  });

  test("dirsOnly stops at the first file entry", async () => {
    const got = await collect([sample()], { dirsOnly: true });
    expect(got.map((e) => e.name)).toEqual(['a"dir', "sub}dir"]);
  });

  test("empty directory (entries null) and whitespace between tokens", async () => {
    const empty = encodeDirectory([], summarize([], 5n));
    expect(new TextDecoder().decode(empty)).toContain('"entries":null');
    expect(await collect([empty])).toEqual([]);
    const spaced = Buffer.from(' {\n "stream" : "kopia:directory" ,\t"entries" : [ {"name":"x","type":"f","obj":""} , {"name":"y","type":"f","obj":""} ] , "summary" : {"size":0} }\n');
    expect((await collect([spaced])).map((e) => e.name)).toEqual(["x", "y"]);
    expect(await collect([Buffer.from('{"stream":"kopia:directory","entries":[]}')])).toEqual([]);
  });

  test("malformed objects are CorruptDataError", async () => {
    const bad = [
      '{"stream":"kopia:other","entries":[]}',
      '{"entries":[]}',
      '{"stream":"kopia:directory","entries":[{"name":"x"}',
      '{"stream":"kopia:directory","entries":[{"name":"x"} {"name":"y"}]}',
      '{"stream":"kopia:directory","entries":[{"name":"x",}]}',
      '{"stream":"kopia:directory","entries":[{"name":"x","mtime":"garbage"}]}',
      '["stream"]',
      "",
    ];
    for (const b of bad) {
      await expect(collect([Buffer.from(b)])).rejects.toBeInstanceOf(CorruptDataError);
    }
  });
});

describe("iterateDirectory / findDirectoryEntry over a stored object", () => {
  test("a multi-chunk directory object streams the same entries as readDirectory", async () => {
    const cm = new MemoryContentManager();
    const objects = new ObjectManager(cm, () => fixedSplitter(1000));
    const entries = [dir("d1"), dir("d2"), ...Array.from({ length: 3000 }, (_, i) => file(`item-${i}-${tricky[i % tricky.length]}`, i))];
    const { objectId } = await writeDirectory(objects, entries, 0n);
    const r = await objects.open(objectId);
    expect(r.chunkCount).toBeGreaterThan(100);
    const want = await readDirectory(objects, objectId);
    const got: DirEntry[] = [];
    for await (const e of iterateDirectory(objects, objectId)) got.push(e);
    expect(got).toEqual(want);
    expect((await findDirectoryEntry(objects, objectId, "d2", "d"))?.obj).toBe(entries[1].obj);
    expect(await findDirectoryEntry(objects, objectId, "item-4-brace}close", "d")).toBeUndefined();
    expect((await findDirectoryEntry(objects, objectId, "item-4-brace}close"))?.size).toBe(104);
    expect(await findDirectoryEntry(objects, objectId, "nope")).toBeUndefined();
  });
});
