// Streaming object writer (spec §9.2, kopia repo/object/object_writer.go). Bytes fed with
// write() are cut by the repository splitter; each chunk becomes one content (writer prefix and
// compressor). One chunk → the object ID is that content; more → an indirect list object.
// Memory stays bounded: one chunk being filled plus at most `asyncWrites` chunks whose
// writeContent is still running (backpressure on write()).
import { CorruptDataError } from "../../errors.ts";
import type { ContentManager } from "../types.ts";
import { encodeIndirect, type IndirectEntry } from "./indirect.ts";
import { indirectObjectId } from "./object-id.ts";

/** The splitter contract (lib/repo/splitter): bytes of `data` completing the current chunk, or -1. */
export interface Splitter {
  readonly minSegmentSize: number;
  readonly maxSegmentSize: number;
  nextSplitPoint(data: Uint8Array): number;
  reset(): void;
}

export type SplitterFactory = () => Splitter;

export interface ObjectWriterOptions {
  /** Content-ID prefix: "" for file data, "k" for directories. */
  prefix?: string;
  /** Compressor name (spec §6.2) applied at content level, e.g. "zstd-better-compression". */
  compression?: string;
  /** Used in error messages only. */
  description?: string;
  /** Chunks whose writeContent may run concurrently with filling the next one (default 2). */
  asyncWrites?: number;
  /** Internal: indirect-list nesting depth of this writer. */
  listDepth?: number;
}

// Each list level must be much smaller than the level below it; a splitter with tiny chunks
// (< ~150 bytes) could otherwise nest lists forever.
const MAX_LIST_DEPTH = 8;

const INDIRECT_PREFIX = "x";
const INITIAL_BUFFER = 64 * 1024;
const BIG_BUFFER = 1 << 20;

// Chunk buffers (64 KiB and up) are recycled once their writeContent has resolved (the
// content manager must not retain `data` after that). Without this, every chunk is a fresh
// allocation and the GC lets RSS balloon far beyond the few chunks actually in use.
const bufferPool: Uint8Array[] = [];
const POOL_BYTES = 12 << 20;
const POOL_COUNT = 32;
let poolBytes = 0;

/** Best fit from the pool (at most 4x too big), else a new buffer of `alloc` bytes. */
function takeBuffer(size: number, alloc = size): Uint8Array {
  let best = -1;
  for (let i = 0; i < bufferPool.length; i++) {
    const l = bufferPool[i].length;
    if (l >= size && l <= 4 * Math.max(alloc, size) && (best < 0 || l < bufferPool[best].length)) best = i;
  }
  if (best < 0) return new Uint8Array(Math.max(size, alloc));
  const b = bufferPool.splice(best, 1)[0];
  poolBytes -= b.length;
  return b;
}

function releaseBuffer(b: Uint8Array): void {
  if (b.length < INITIAL_BUFFER || bufferPool.length >= POOL_COUNT || poolBytes + b.length > POOL_BYTES) return;
  bufferPool.push(b);
  poolBytes += b.length;
}

export class ObjectWriter {
  readonly prefix: string;
  readonly compression: string | undefined;
  readonly description: string;
  private readonly splitter: Splitter;
  private buf: Uint8Array;
  private bufLen = 0;
  private position = 0;
  private readonly entries: IndirectEntry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly asyncWrites: number;
  private error: unknown;
  private done = false;
  private readonly listDepth: number;

  constructor(
    private readonly contents: ContentManager,
    private readonly newSplitter: SplitterFactory,
    opts: ObjectWriterOptions = {},
  ) {
    this.prefix = opts.prefix ?? "";
    this.compression = opts.compression;
    this.description = opts.description ?? "object";
    this.asyncWrites = Math.max(0, opts.asyncWrites ?? 2);
    this.listDepth = opts.listDepth ?? 0;
    this.splitter = newSplitter();
    this.buf = new Uint8Array(0);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.position + this.bufLen;
  }

  /** Bytes currently held by this writer (partial chunk + chunks being stored). */
  get bufferedBytes(): number {
    return this.buf.byteLength + this.inFlightBytes;
  }
  private inFlightBytes = 0;
  private capHint = 0;

  /** Appends data. The caller may reuse `data` once the promise resolves. */
  async write(data: Uint8Array): Promise<void> {
    if (this.done) throw new Error(`write after result() on ${this.description}`);
    while (data.length > 0) {
      const n = this.splitter.nextSplitPoint(data);
      if (n < 0) {
        this.append(data);
        return;
      }
      this.append(data.subarray(0, n));
      await this.flushChunk();
      data = data.subarray(n);
    }
  }

  private append(d: Uint8Array): void {
    if (d.length === 0) return;
    const need = this.bufLen + d.length;
    if (need > this.buf.length) {
      let cap = Math.max(INITIAL_BUFFER, this.buf.length * 4, this.capHint);
      while (cap < need) cap *= 2;
      const nb = cap >= BIG_BUFFER ? takeBuffer(need, Math.max(need, this.splitter.maxSegmentSize)) : takeBuffer(need, cap);
      nb.set(this.buf.subarray(0, this.bufLen));
      releaseBuffer(this.buf);
      this.buf = nb;
    }
    this.buf.set(d, this.bufLen);
    this.bufLen = need;
  }

  private async flushChunk(): Promise<void> {
    const owner = this.buf;
    const chunk = owner.subarray(0, this.bufLen);
    const idx = this.entries.length;
    this.entries.push({ s: this.position, l: chunk.length, o: "" });
    this.position += chunk.length;
    // hand the buffer to the content write; the next chunk gets a fresh one of similar size
    const nextCap = this.buf.length;
    this.buf = new Uint8Array(0);
    this.bufLen = 0;
    const size = chunk.length;
    this.inFlightBytes += size;
    const p = this.contents
      .writeContent(chunk, { prefix: this.prefix, compression: this.compression })
      .then(
        (cid) => {
          this.entries[idx].o = cid;
        },
        (e) => {
          this.error ??= e;
        },
      )
      .finally(() => {
        releaseBuffer(owner);
        this.inFlightBytes -= size;
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
    this.capHint = nextCap; // the next chunk's buffer is allocated when data arrives
    while (this.inFlight.size > this.asyncWrites) await Promise.race(this.inFlight);
    if (this.error) throw this.error;
  }

  /** Finishes the object and returns its ID. */
  async result(): Promise<string> {
    if (this.done) throw new Error(`result() called twice on ${this.description}`);
    if (this.bufLen > 0 || this.entries.length === 0) await this.flushChunk();
    this.done = true;
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    releaseBuffer(this.buf);
    this.buf = new Uint8Array(0);
    if (this.error) throw this.error;
    if (this.entries.length === 1) return this.entries[0].o;
    for (const e of this.entries) {
      if (!e.o) throw new CorruptDataError(`chunk of ${this.description} has no content ID`);
    }
    const listBytes = encodeIndirect(this.entries);
    if (this.listDepth >= MAX_LIST_DEPTH || listBytes.length >= this.position) {
      throw new CorruptDataError(`indirect list of ${this.description} does not converge (splitter chunks too small)`);
    }
    const list = new ObjectWriter(this.contents, this.newSplitter, {
      prefix: this.prefix || INDIRECT_PREFIX,
      description: `LIST(${this.description})`,
      asyncWrites: this.asyncWrites,
      listDepth: this.listDepth + 1,
    });
    await list.write(listBytes);
    return indirectObjectId(await list.result());
  }

  /** Number of chunks written so far (for tests and stats). */
  get chunkCount(): number {
    return this.entries.length;
  }
}
