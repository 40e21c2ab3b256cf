// Details of a running backup kept on disk, not in memory: new entries are appended to a temp
// file as JSON lines and streamed into the details snapshot at the end; the base backup's
// entries are indexed by ShortRef (offset + length in another temp file) so carried-over items
// get their entries without holding the base's details in memory.
import { closeSync, openSync, readSync, writeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DetailsEntry } from "../../corso/details.ts";
import { U32List } from "./id-set.ts";

function tempFile(prefix: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: join(dir, "spool") };
}

class AppendFile {
  private readonly fd: number;
  private readonly dir: string;
  readonly path: string;
  size = 0;
  private buf: Buffer[] = [];
  private bufLen = 0;

  constructor(prefix: string) {
    const t = tempFile(prefix);
    this.dir = t.dir;
    this.path = t.path;
    this.fd = openSync(t.path, "w+");
  }

  /** Appends, returns the offset of the data. */
  append(data: Buffer): number {
    const off = this.size + this.bufLen;
    this.buf.push(data);
    this.bufLen += data.length;
    if (this.bufLen >= 1 << 20) this.flush();
    return off;
  }

  flush(): void {
    if (this.bufLen === 0) return;
    const b = Buffer.concat(this.buf, this.bufLen);
    writeSync(this.fd, b, 0, b.length, this.size);
    this.size += b.length;
    this.buf = [];
    this.bufLen = 0;
  }

  /** Reads up to `len` bytes at `off` into `into`; returns how many were read. */
  readInto(into: Buffer, off: number, len: number): number {
    if (off + len > this.size) this.flush();
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, into, got, len - got, off + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  read(off: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    return b.subarray(0, this.readInto(b, off, len));
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * New details entries, in order, on disk: stored as the inside of the details document's
 * `entries` array (comma-separated JSON), so that writing the details at the end of a backup is
 * a plain copy of the file (`entriesJson`) — no per-entry reads, strings or garbage at the end of
 * the run, when every mailbox of a concurrent backup finishes at once.
 */
export class DetailsSpool {
  private readonly file = new AppendFile("corso-details-");
  private readonly lens = new U32List();
  count = 0;

  add(e: DetailsEntry): void {
    const json = JSON.stringify(e);
    const b = Buffer.from(this.count === 0 ? json : "," + json, "utf8");
    this.file.append(b);
    this.lens.push(b.length);
    this.count++;
  }

  /** The entries' JSON texts, in insertion order. */
  async *texts(): AsyncGenerator<string> {
    this.file.flush();
    let off = 0;
    for (let i = 0; i < this.lens.length; i++) {
      const len = this.lens.at(i);
      // every entry but the first starts with its separator
      const sep = i === 0 ? 0 : 1;
      yield this.file.read(off + sep, len - sep).toString("utf8");
      off += len;
    }
  }

  /**
   * The entries as the comma-separated inside of a JSON array, in blocks of up to 1 MiB. A block
   * is only valid until the next one is requested (one buffer is reused).
   */
  async *entriesJson(): AsyncGenerator<Uint8Array> {
    this.file.flush();
    const size = this.file.size;
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, size)));
    for (let off = 0; off < size; ) {
      const n = this.file.readInto(buf, off, Math.min(buf.length, size - off));
      if (n === 0) throw new Error(`details spool ended at ${off} of ${size} bytes`);
      yield buf.subarray(0, n);
      off += n;
    }
  }

  close(): void {
    this.file.close();
  }
}

/**
 * ShortRefs (12 hex digits) as exact numbers: the value plus the digit count × 2^48, so "0abc"
 * and "abc" stay distinct; longer ones (not Corso's) are not representable and go to a Map.
 */
function refKey(ref: string): number {
  return ref.length <= 12 && /^[0-9a-f]*$/.test(ref) ? Number.parseInt(ref || "0", 16) + ref.length * 2 ** 48 : -1;
}

/**
 * The base backup's item entries, looked up by the ShortRef of their RepoRef. The entries are in
 * a temp file; in memory per entry are a numeric key, offset and length in typed arrays and an
 * index slot (~30 bytes, vs ~150 for a Map of strings), so a 1,000,000-item base costs ~30 MB.
 */
export class BaseDetailsIndex {
  private readonly file = new AppendFile("corso-base-details-");
  private keys = new Float64Array(1024);
  private offs = new Float64Array(1024);
  private lens = new Uint32Array(1024);
  private n = 0;
  /** Slot → entry index + 1; at most half full. Equal keys: the slot points at the newest. */
  private table = new Int32Array(2048);
  private distinct = 0;
  private readonly odd = new Map<string, number>();

  /** `pace` is called every `paceEvery` entries (the caller collects the parse garbage there). */
  static async build(texts: AsyncIterable<string>, opts: { pace?: () => void; paceEvery?: number } = {}): Promise<BaseDetailsIndex> {
    const ix = new BaseDetailsIndex();
    const every = opts.paceEvery ?? 4096;
    let n = 0;
    for await (const t of texts) {
      if (opts.pace && ++n % every === 0) opts.pace();
      // folder entries are rebuilt, never copied
      const m = /"shortRef"\s*:\s*"([0-9a-f]+)"/.exec(t);
      if (!m || /"folder"\s*:\s*\{/.test(t)) continue;
      const b = Buffer.from(t, "utf8");
      ix.add(m[1], ix.file.append(b), b.length);
    }
    ix.file.flush();
    return ix;
  }

  private slot(key: number): number {
    const mask = this.table.length - 1;
    // the low bits of a ShortRef are uniformly distributed already
    let s = (key % 4294967296) & mask;
    for (;;) {
      const v = this.table[s];
      if (v === 0 || this.keys[v - 1] === key) return s;
      s = (s + 1) & mask;
    }
  }

  private add(ref: string, off: number, len: number): void {
    const i = this.n;
    if (i === this.keys.length) {
      const grow = <T extends Float64Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.keys = grow(this.keys);
      this.offs = grow(this.offs);
      this.lens = grow(this.lens);
    }
    const key = refKey(ref);
    this.keys[i] = key;
    this.offs[i] = off;
    this.lens[i] = len;
    this.n++;
    if (key < 0) {
      this.odd.set(ref, i);
      return;
    }
    let s = this.slot(key);
    if (this.table[s] === 0) {
      if (++this.distinct * 2 > this.table.length) {
        const old = this.table;
        this.table = new Int32Array(old.length * 2);
        for (const v of old) if (v !== 0) this.table[this.slot(this.keys[v - 1])] = v;
        s = this.slot(key);
      }
    }
    this.table[s] = i + 1;
  }

  get size(): number {
    return this.distinct + this.odd.size;
  }

  get(shortRef: string): DetailsEntry | undefined {
    const key = refKey(shortRef);
    let i: number | undefined;
    if (key < 0) i = this.odd.get(shortRef);
    else {
      const v = this.table[this.slot(key)];
      i = v === 0 ? undefined : v - 1;
    }
    if (i === undefined) return undefined;
    return JSON.parse(this.file.read(this.offs[i], this.lens[i]).toString("utf8"));
  }

  close(): void {
    this.file.close();
  }
}
