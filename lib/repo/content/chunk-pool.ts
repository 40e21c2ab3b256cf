// A small pool of Bun Workers that hash + compress + encrypt contents, so the JS thread only
// reads, splits and packs (the per-chunk CPU work was ~60 % of ingest CPU). One pool per
// process, shared by all content managers; each manager registers its keys once.
//
// Memory: at most `maxInFlight` jobs exist (each holds one copy of its input, then its packed
// output); further prepare() calls wait. When workers cannot start (no Worker support, entry
// missing from a compiled binary) or one crashes, prepare() rejects with WorkerUnavailable and
// the caller does the work in its own thread; the pool then stays disabled.
import { availableParallelism } from "node:os";
import { BufferPool } from "./buffer-pool.ts";

export interface KeysMessage {
  t: "keys";
  id: number;
  hashName: string;
  secret: Uint8Array;
  encName: string;
  masterKey: Uint8Array;
}

export interface ChunkJob {
  t: "job";
  id: number;
  keys: number;
  /** Input bytes are data[0, len); the buffer is transferred back with the reply for reuse. */
  data: ArrayBuffer;
  len: number;
  compression: string;
  /** A recycled output buffer the worker may fill (when big enough). */
  out?: ArrayBuffer;
}

export type ChunkReply =
  | { id: number; hash: Uint8Array; packed: ArrayBuffer; packedLen: number; headerId: number; input: ArrayBuffer; error?: undefined }
  | { id: number; error: string; input: ArrayBuffer; out?: ArrayBuffer };

/** Result of a prepared content: keyed hash of the plaintext and the bytes that go into a pack. */
export interface PreparedContent {
  hash: Uint8Array;
  /** Valid until release(). */
  packed: Uint8Array;
  compressionHeaderId: number;
  /** Hands the buffer of `packed` back to the pool (call once, after copying it). */
  release(): void;
}

/** The pool could not run the job; do it in-thread. */
export class WorkerUnavailable extends Error {}

interface Slot {
  w: Worker;
  busy: number;
  pending: Map<number, { resolve: (r: PreparedContent) => void; reject: (e: Error) => void }>;
}

export interface KeySet {
  hashName: string;
  secret: Uint8Array;
  encName: string;
  masterKey: Uint8Array;
}

const OUT_SLACK = 64;
/** Jobs this big use chunk-sized (BIG_CLASS) buffers. */
export const BIG_JOB_BYTES = 1 << 20;

function workerCount(): number {
  const env = process.env.CORSO_CHUNK_WORKERS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    return Number.isInteger(n) && n >= 0 ? Math.min(n, 16) : 0;
  }
  // The JS thread keeps ~40 % of the work (reads, splitting, packing, storage writes), so one
  // worker already fills a second core; each extra worker costs ~25 MB of RSS (its own heap).
  const cores = availableParallelism();
  return cores <= 2 ? 1 : Math.min(3, cores - 1);
}

/** True inside a `bun build --compile` executable (its modules live in a virtual /$bunfs tree). */
function isStandalone(): boolean {
  const main = typeof Bun !== "undefined" ? Bun.main : "";
  return main.includes("$bunfs") || main.includes("~BUN");
}

function workerUrl(): string | URL {
  // In a compiled binary the worker is a separate entrypoint embedded under /$bunfs/root/, at
  // its path relative to the project root (scripts/build.ts adds it).
  if (isStandalone()) return "./lib/repo/content/chunk-worker.ts";
  return new URL("./chunk-worker.ts", import.meta.url);
}

export class ChunkPool {
  private slots: Slot[] = [];
  private nextJob = 1;
  private nextKeys = 1;
  private readonly keySets = new Map<number, KeysMessage>();
  private disabled = false;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  readonly maxInFlight: number;

  /** `workerSource` overrides the worker entry (tests). */
  constructor(
    readonly size: number,
    private readonly workerSource: string | URL = workerUrl(),
  ) {
    // two queued per worker beyond the one it works on: the JS thread may take a job itself
    // while the pool is saturated (content-manager) and the workers still have work meanwhile
    this.maxInFlight = size + 2;
    // chunk-sized jobs (each holds an ~8 MiB input and output buffer) are fewer: one queued
    // per worker, so the pool's buffers stay ~32 MB for one worker (with every job chunk-sized,
    // writing a big mailbox's details held ~45 MB more at the end of the run)
    this.maxBigInFlight = size + 1;
    // an input and an output spare per chunk-sized job in flight (with a 16 MB cap for one
    // worker most jobs missed, and ~0.9 GB per GB ingested was allocated fresh and faulted in)
    this.buffers = new BufferPool(2 * this.maxBigInFlight);
  }

  private readonly maxBigInFlight: number;
  private bigInFlight = 0;

  /** A job of `n` bytes would have to wait for a slot (the caller may do it in-thread instead). */
  saturatedFor(n: number): boolean {
    return this.inFlight >= this.maxInFlight || (n >= BIG_JOB_BYTES && this.bigInFlight >= this.maxBigInFlight);
  }

  get available(): boolean {
    return !this.disabled && this.size > 0;
  }

  /**
   * Workers start only once this process has written this many bytes of eligible contents:
   * starting one costs ~150 ms CPU and ~25 MB RSS, more than a small write saves (tests may
   * lower it).
   */
  startAfterBytes = 16 << 20;
  private seenBytes = 0;

  /** Counts `n` bytes towards startAfterBytes; true once the pool should be used. */
  warm(n: number): boolean {
    if (this.seenBytes >= this.startAfterBytes) return true;
    this.seenBytes += n;
    return false;
  }

  // Inputs and outputs cycle main → worker → main and are reused (see buffer-pool.ts).
  private readonly buffers: BufferPool;

  private recycle(b: ArrayBuffer | undefined): void {
    this.buffers.give(b);
  }

  /** Registers a key set with every (current and future) worker; returns its handle. */
  register(k: KeySet): number {
    const id = this.nextKeys++;
    const m: KeysMessage = { t: "keys", id, ...k };
    this.keySets.set(id, m);
    for (const s of this.slots) s.w.postMessage(m);
    return id;
  }

  private disable(reason: string): void {
    if (this.disabled) return;
    this.disabled = true;
    for (const s of this.slots) {
      for (const p of s.pending.values()) p.reject(new WorkerUnavailable(reason));
      s.pending.clear();
      try {
        s.w.terminate();
      } catch {
        // already gone
      }
    }
    this.slots = [];
    for (const w of this.waiters.splice(0)) w();
  }

  private start(): void {
    if (this.slots.length > 0 || this.disabled) return;
    try {
      for (let i = 0; i < this.size; i++) {
        const w = new Worker(this.workerSource);
        const slot: Slot = { w, busy: 0, pending: new Map() };
        w.onmessage = (ev: MessageEvent) => {
          const r = ev.data as ChunkReply;
          const p = slot.pending.get(r.id);
          if (!p) return;
          slot.pending.delete(r.id);
          if (--slot.busy === 0) refWorker(w, false);
          this.recycle(r.input);
          if (r.error !== undefined) {
            this.recycle(r.out);
            p.reject(new Error(r.error));
            return;
          }
          const buf = r.packed;
          let released = false;
          p.resolve({
            hash: r.hash,
            packed: new Uint8Array(buf, 0, r.packedLen),
            compressionHeaderId: r.headerId,
            release: () => {
              if (!released) this.recycle(buf);
              released = true;
            },
          });
        };
        w.onerror = (ev: ErrorEvent) => this.disable(`chunk worker failed: ${ev.message}`);
        refWorker(w, false); // never keep a process alive just for idle workers
        for (const m of this.keySets.values()) w.postMessage(m);
        this.slots.push(slot);
      }
    } catch (e) {
      this.disable(`cannot start chunk workers: ${(e as Error).message}`);
    }
  }

  /**
   * Hashes, compresses (when `compression` shrinks it) and encrypts a copy of `data` in a worker.
   * `data` is not retained: it is copied when a job slot is free; the caller must keep it unchanged until prepare() settles.
   */
  async prepare(keys: number, data: Uint8Array, compression: string): Promise<PreparedContent> {
    if (!this.available) throw new WorkerUnavailable("chunk workers disabled");
    const big = data.length >= BIG_JOB_BYTES;
    while (this.saturatedFor(data.length)) {
      await new Promise<void>((r) => this.waiters.push(r));
      if (!this.available) throw new WorkerUnavailable("chunk workers disabled");
    }
    this.start();
    if (!this.available) throw new WorkerUnavailable("chunk workers disabled");
    this.inFlight++;
    if (big) this.bigInFlight++;
    try {
      // the caller keeps (and may recycle) its buffer: copy into one of ours
      const input = this.buffers.takeOrAllocate(data.length);
      new Uint8Array(input, 0, data.length).set(data);
      let slot = this.slots[0];
      for (const s of this.slots) if (s.busy < slot.busy) slot = s;
      const id = this.nextJob++;
      // output ≤ input + AEAD overhead (compression is kept only when it shrinks the data)
      const out = this.buffers.take(data.length + OUT_SLACK);
      const job: ChunkJob = { t: "job", id, keys, data: input, len: data.length, compression, out };
      return await new Promise<PreparedContent>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        if (slot.busy++ === 0) refWorker(slot.w, true); // a pending job must keep the process alive
        slot.w.postMessage(job, out ? [input, out] : [input]);
      });
    } finally {
      this.inFlight--;
      if (big) this.bigInFlight--;
      // waiters re-check their own limit (a small and a chunk-sized job wait for different things)
      for (const w of this.waiters.splice(0)) w();
    }
  }
}

function refWorker(w: Worker, on: boolean): void {
  const x = w as unknown as { ref?: () => void; unref?: () => void };
  if (on) x.ref?.();
  else x.unref?.();
}

let shared: ChunkPool | undefined;

/** The process-wide pool (created lazily; workers start on first use). */
export function chunkPool(): ChunkPool {
  return (shared ??= new ChunkPool(typeof Worker === "function" ? workerCount() : 0));
}
