// Spill of a huge directory's file entries to disk: a mailbox folder of 1,000,000 messages
// would otherwise hold 1,000,000 DirEntry objects (names, object IDs, bigint mtimes ≈ 400 B
// each) until the tree is written. Entries are written in name-sorted runs to one unlinked temp
// file; the directory object is then produced by merging the runs (later runs win on equal
// names, i.e. the last add of a path replaces earlier ones, as in memory).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeDirEntry, type DirEntry } from "./dir-entry.ts";

/** Order of kopia's directory entries among files: names as UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // below the surrogates UTF-16 order is UTF-8 byte order
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  return a.length - b.length;
}

/** FNV-1a of a name: the in-memory membership filter of spilled names. */
export function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** What the merge needs of a spilled entry (the summary) plus its encoded JSON. */
export interface SpilledEntry {
  name: string;
  type: string;
  size: number;
  mtimeNs: bigint;
  json: string;
  /** Index of the run it came from (higher = added later). */
  run: number;
}

interface Run {
  off: number;
  len: number;
}

/** One temp file (already unlinked) shared by all spilled directories of a tree builder. */
export class SpillFile {
  private fd: number;
  size = 0;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), "corso-tree-"));
    const path = join(dir, "entries");
    this.fd = openSync(path, "w+");
    // unlinked at once: nothing is left behind whatever happens to the process
    rmSync(dir, { recursive: true, force: true });
  }

  append(b: Buffer): number {
    const off = this.size;
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, off + done);
    this.size += b.length;
    return off;
  }

  read(buf: Buffer, len: number, pos: number): number {
    return readSync(this.fd, buf, 0, len, pos);
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}

/** The spilled runs of one directory. */
export class DirSpill {
  private readonly runs: Run[] = [];
  /** Name hashes for `has` (a Set entry per spilled name: off when nobody asks). */
  private readonly hashes: Set<number> | undefined;
  count = 0;

  constructor(private readonly file: SpillFile, opts: { membership?: boolean } = {}) {
    this.hashes = opts.membership === false ? undefined : new Set<number>();
  }

  /** Writes entries (files/symlinks) as one sorted run. */
  spill(entries: DirEntry[]): void {
    entries.sort((a, b) => compareNames(a.name, b.name));
    const parts: Buffer[] = [];
    let len = 0;
    for (const e of entries) {
      const name = Buffer.from(e.name, "utf8");
      const json = Buffer.from(encodeDirEntry(e), "utf8");
      const head = Buffer.allocUnsafe(4 + 1 + 8 + 8 + 4);
      head.writeUInt32LE(name.length, 0);
      head.writeUInt8(e.type.charCodeAt(0) || 0, 4);
      head.writeDoubleLE(e.size, 5);
      head.writeBigInt64LE(e.mtimeNs, 13);
      head.writeUInt32LE(json.length, 21);
      parts.push(head, name, json);
      len += head.length + name.length + json.length;
      this.hashes?.add(nameHash(e.name));
      this.count++;
    }
    const b = Buffer.concat(parts, len);
    this.runs.push({ off: this.file.append(b), len });
  }

  /** Exact membership (the hash filter first; a run scan only on a hit, i.e. rarely). */
  has(name: string): boolean {
    if (this.hashes && !this.hashes.has(nameHash(name))) return false;
    for (let r = 0; r < this.runs.length; r++) {
      for (const e of this.readRun(r)) if (e.name === name) return true;
    }
    return false;
  }

  get runCount(): number {
    return this.runs.length;
  }

  *readRun(r: number): Generator<SpilledEntry> {
    const run = this.runs[r];
    const bufSize = 1 << 16;
    let buf = Buffer.allocUnsafe(bufSize);
    let start = 0;
    let end = 0;
    let pos = run.off;
    const stop = run.off + run.len;
    const need = (n: number) => {
      if (end - start >= n) return;
      if (n > buf.length) {
        const nb = Buffer.allocUnsafe(Math.max(n, buf.length * 2));
        buf.copy(nb, 0, start, end);
        buf = nb;
      } else buf.copy(buf, 0, start, end);
      end -= start;
      start = 0;
      while (end < n) {
        const want = Math.min(buf.length - end, stop - pos);
        const got = this.file.read(buf.subarray(end), want, pos);
        if (got <= 0) throw new Error("spilled directory entries: short read");
        pos += got;
        end += got;
      }
    };
    while (start < end || pos < stop) {
      need(25);
      const nameLen = buf.readUInt32LE(start);
      const type = String.fromCharCode(buf.readUInt8(start + 4));
      const size = buf.readDoubleLE(start + 5);
      const mtimeNs = buf.readBigInt64LE(start + 13);
      const jsonLen = buf.readUInt32LE(start + 21);
      need(25 + nameLen + jsonLen);
      const name = buf.toString("utf8", start + 25, start + 25 + nameLen);
      const json = buf.toString("utf8", start + 25 + nameLen, start + 25 + nameLen + jsonLen);
      start += 25 + nameLen + jsonLen;
      yield { name, type, size, mtimeNs, json, run: r };
    }
  }

  /**
   * All entries in name order, the spilled runs merged with `rest` (the newest entries, still in
   * memory). Of equal names the newest wins; `dropped` hears of each replaced one.
   */
  *merged(rest: DirEntry[], dropped: (e: SpilledEntry) => void): Generator<SpilledEntry> {
    rest.sort((a, b) => compareNames(a.name, b.name));
    const restRun = this.runs.length;
    const sources: Iterator<SpilledEntry>[] = this.runs.map((_, r) => this.readRun(r));
    sources.push((function* () {
      for (const e of rest) yield { name: e.name, type: e.type, size: e.size, mtimeNs: e.mtimeNs, json: encodeDirEntry(e), run: restRun };
    })());
    // binary min-heap of the sources' heads by (name, run)
    const heap: SpilledEntry[] = [];
    const src: number[] = [];
    const less = (i: number, j: number) => {
      const c = compareNames(heap[i].name, heap[j].name);
      return c < 0 || (c === 0 && heap[i].run < heap[j].run);
    };
    const swap = (i: number, j: number) => {
      [heap[i], heap[j]] = [heap[j], heap[i]];
      [src[i], src[j]] = [src[j], src[i]];
    };
    const up = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!less(i, p)) break;
        swap(i, p);
        i = p;
      }
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    for (let s = 0; s < sources.length; s++) {
      const n = sources[s].next();
      if (!n.done) {
        heap.push(n.value);
        src.push(s);
        up(heap.length - 1);
      }
    }
    let pending: SpilledEntry | undefined;
    while (heap.length > 0) {
      const top = heap[0];
      const s = src[0];
      const n = sources[s].next();
      if (n.done) {
        const last = heap.pop()!;
        const ls = src.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          src[0] = ls;
          down(0);
        }
      } else {
        heap[0] = n.value;
        down(0);
      }
      // equal names come out oldest run first: the later one replaces the pending one
      if (pending && pending.name === top.name) {
        dropped(pending);
        pending = top;
        continue;
      }
      if (pending) yield pending;
      pending = top;
    }
    if (pending) yield pending;
  }
}
