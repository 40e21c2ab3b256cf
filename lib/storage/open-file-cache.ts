// Read-only descriptors of immutable blob files (kopia packs are written once and never
// changed), kept open in a small LRU. A restore or verify reads thousands of ranges from a few
// packs: opening, stat-ing and closing the file for each range cost four thread-pool round trips
// per content; with the descriptor kept, a small range is one synchronous pread (the data is
// usually in the page cache) and a large one a single asynchronous read.
import { closeSync, fstatSync, openSync, read, readSync } from "node:fs";

interface Entry {
  fd: number;
  size: number;
  /** Reads in progress: the descriptor is closed only once this drops to zero. */
  users: number;
  evicted: boolean;
}

/** Ranges up to this size are read synchronously (a page-cache copy is cheaper than a pool trip). */
const SYNC_READ_MAX = 1 << 20;

export class OpenFileCache {
  // Map iteration order is insertion order: re-inserting on use makes it an LRU.
  private readonly files = new Map<string, Entry>();

  constructor(private readonly max = 16) {}

  /**
   * Reads into `out` as much of [offset, offset+out.length) as the file at `path` (cached under
   * `key`) has; returns the bytes read and the file's length when it was opened. Open/read
   * errors are thrown as they come (ENOENT…).
   */
  async readInto(key: string, path: string, offset: number, out: Uint8Array): Promise<{ n: number; size: number }> {
    const e = this.acquire(key, path);
    try {
      const want = Math.max(0, Math.min(out.length, e.size - offset));
      return { n: await fill(e.fd, out.subarray(0, want), offset), size: e.size };
    } finally {
      this.release(e);
    }
  }

  /** Forgets a file (e.g. deleted): closed now, or after the reads in progress. */
  drop(key: string): void {
    const e = this.files.get(key);
    if (!e) return;
    this.files.delete(key);
    this.retire(e);
  }

  closeAll(): void {
    for (const key of [...this.files.keys()]) this.drop(key);
  }

  private acquire(key: string, path: string): Entry {
    let e = this.files.get(key);
    if (e) {
      this.files.delete(key);
    } else {
      const fd = openSync(path, "r");
      let size: number;
      try {
        size = fstatSync(fd).size;
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      e = { fd, size, users: 0, evicted: false };
      while (this.files.size >= this.max) {
        const oldest = this.files.keys().next().value as string;
        this.drop(oldest);
      }
    }
    this.files.set(key, e);
    e.users++;
    return e;
  }

  private release(e: Entry): void {
    e.users--;
    if (e.evicted && e.users === 0) this.closeFd(e);
  }

  private retire(e: Entry): void {
    e.evicted = true;
    if (e.users === 0) this.closeFd(e);
  }

  private closeFd(e: Entry): void {
    try {
      closeSync(e.fd);
    } catch {
      // already closed
    }
  }
}

async function fill(fd: number, buf: Uint8Array, offset: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const left = buf.length - done;
    const n = left <= SYNC_READ_MAX ? readSync(fd, buf, done, left, offset + done) : await readAsync(fd, buf, done, left, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function readAsync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
}
