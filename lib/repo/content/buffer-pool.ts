// Spare ArrayBuffers by size class, for the chunk pool's inputs and outputs that cycle between
// the JS thread and the workers. Freed multi-MB buffers go back to the OS and are page-faulted
// in again, so chunk-sized ones are kept; small ones are kept too because a worker round trip
// per small content already costs enough. Take and give back are O(1): one list per class (a
// linear best-fit scan over a few thousand small spares had cost ~0.5 s per GB of mail).

const KIB = 1 << 10;
const MIB = 1 << 20;

/** Smallest pooled buffer; smaller contents are cheap heap garbage. */
export const MIN_POOLED = 16 * KIB;
/** One class for everything from 1 MiB to the largest chunk of kopia's splitters (8 MiB) plus slack. */
export const BIG_CLASS = 8 * MIB + 64 * KIB;

/**
 * Size classes: powers of two from 16 KiB below 1 MiB; BIG_CLASS from 1 MiB up to it, so any
 * spare fits any chunk job (chunk sizes vary 2–8 MiB: with per-MiB classes most jobs missed
 * the spares); whole MiB beyond that.
 */
export function sizeClass(n: number): number {
  if (n > BIG_CLASS) return Math.ceil(n / MIB) * MIB;
  if (n >= MIB) return BIG_CLASS;
  let c = MIN_POOLED;
  while (c < n) c *= 2;
  return c;
}

/** The classes a request of class `c` may be served from: itself, then up to 4× larger. */
function candidates(c: number): number[] {
  if (c >= BIG_CLASS) return [c];
  const out: number[] = [];
  for (let k = c; k <= 4 * c; k *= 2) out.push(k >= MIB ? BIG_CLASS : k);
  return [...new Set(out)];
}

export class BufferPool {
  private readonly lists = new Map<number, ArrayBuffer[]>();
  private smallBytes = 0;
  private bigCount = 0;

  /**
   * @param maxBig chunk-sized spares kept (an input and an output per job in flight)
   * @param maxSmallBytes bytes of spares below 1 MiB kept
   */
  constructor(
    readonly maxBig: number,
    readonly maxSmallBytes = 4 * MIB,
  ) {}

  /** A spare of at least `n` bytes (not more than 4× its class), or undefined. */
  take(n: number): ArrayBuffer | undefined {
    for (const c of candidates(sizeClass(n))) {
      const l = this.lists.get(c);
      const b = l?.pop();
      if (!b) continue;
      if (b.byteLength >= MIB) this.bigCount--;
      else this.smallBytes -= b.byteLength;
      if (b.byteLength >= n) return b;
      this.give(b); // an odd-sized buffer filed under a smaller class: keep it, allocate
    }
    return undefined;
  }

  /** A spare, or a new buffer of `n`'s class. */
  takeOrAllocate(n: number): ArrayBuffer {
    return this.take(n) ?? new ArrayBuffer(sizeClass(n));
  }

  /** Keeps `b` for later unless the pool is full or it is too small to matter. */
  give(b: ArrayBuffer | undefined): void {
    if (!b || b.byteLength < MIN_POOLED || b.byteLength === 0) return;
    const big = b.byteLength >= MIB;
    if (big ? this.bigCount >= this.maxBig : this.smallBytes + b.byteLength > this.maxSmallBytes) return;
    // filed under the largest class it fully covers, so take() never hands out too little
    const c = classFloor(b.byteLength);
    let l = this.lists.get(c);
    if (!l) this.lists.set(c, (l = []));
    l.push(b);
    if (big) this.bigCount++;
    else this.smallBytes += b.byteLength;
  }

  get spareCount(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.length;
    return n;
  }
}

/** The largest class whose requests a buffer of `len` bytes can always serve. */
function classFloor(len: number): number {
  if (len > BIG_CLASS) return Math.floor(len / MIB) * MIB;
  if (len >= BIG_CLASS) return BIG_CLASS;
  let c = MIN_POOLED;
  while (c * 2 <= len && c * 2 < MIB) c *= 2;
  return c;
}
