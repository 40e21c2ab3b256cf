// Details of a running backup kept on disk, not in memory: new entries are appended to a temp
// file as JSON lines and streamed into the details snapshot at the end; the base backup's
// entries are indexed by ShortRef (offset + length in another temp file) so carried-over items
// get their entries without holding the base's details in memory.
import { closeSync, openSync, readSync, writeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DetailsEntry } from "../../corso/details.ts";

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

  read(off: number, len: number): Buffer {
    if (off + len > this.size) this.flush();
    const b = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, b, got, len - got, off + got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
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

/** New details entries, in order, on disk. */
export class DetailsSpool {
  private readonly file = new AppendFile("corso-details-");
  private readonly lens: number[] = [];
  count = 0;

  add(e: DetailsEntry): void {
    const b = Buffer.from(JSON.stringify(e), "utf8");
    this.file.append(b);
    this.lens.push(b.length);
    this.count++;
  }

  /** The entries' JSON texts, in insertion order. */
  async *texts(): AsyncGenerator<string> {
    this.file.flush();
    let off = 0;
    for (const len of this.lens) {
      yield this.file.read(off, len).toString("utf8");
      off += len;
    }
  }

  close(): void {
    this.file.close();
  }
}

/** The base backup's item entries, looked up by the ShortRef of their RepoRef. */
export class BaseDetailsIndex {
  private readonly file = new AppendFile("corso-base-details-");
  private readonly where = new Map<string, number>();
  private readonly offs: number[] = [];
  private readonly lens: number[] = [];

  static async build(texts: AsyncIterable<string>): Promise<BaseDetailsIndex> {
    const ix = new BaseDetailsIndex();
    for await (const t of texts) {
      // folder entries are rebuilt, never copied
      const m = /"shortRef"\s*:\s*"([0-9a-f]+)"/.exec(t);
      if (!m || /"folder"\s*:\s*\{/.test(t)) continue;
      const b = Buffer.from(t, "utf8");
      ix.where.set(m[1], ix.offs.length);
      ix.offs.push(ix.file.append(b));
      ix.lens.push(b.length);
    }
    ix.file.flush();
    return ix;
  }

  get size(): number {
    return this.where.size;
  }

  get(shortRef: string): DetailsEntry | undefined {
    const i = this.where.get(shortRef);
    if (i === undefined) return undefined;
    return JSON.parse(this.file.read(this.offs[i], this.lens[i]).toString("utf8"));
  }

  close(): void {
    this.file.close();
  }
}
