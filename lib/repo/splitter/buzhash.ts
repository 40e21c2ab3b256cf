// DYNAMIC-*-BUZHASH splitters (spec §5.2), bit-compatible with kopia's buzhash32 splitter.
//
// Rolling hash over a 64-byte window: sum = rotl(sum,1) ^ T[out] ^ T[in] (the out-rotation is
// 64 mod 32 = 0). Equivalently sum = XOR_j rotl(T[b[p-j]], j) over the last 64 stream bytes, so the
// hash never needs the bytes that were skipped: during the first minSize-1 bytes of a chunk no
// cut is possible and the sum is rebuilt from the last 64 bytes only (kopia's fast path).
// The window and sum persist across chunks and calls; only the per-chunk count resets.
import { BUZHASH_TABLE } from "./buzhash-table.ts";
import { slideWindowHistory, type Splitter } from "./types.ts";

const WINDOW = 64;

export class BuzhashSplitter implements Splitter {
  readonly minSegmentSize: number;
  readonly maxSegmentSize: number;
  private readonly mask: number;
  /** The last 64 stream bytes, oldest first (zeros before the stream start). */
  private readonly hist = new Uint8Array(WINDOW);
  private sum = 0;
  private count = 0;

  constructor(avgSize: number) {
    // The mask trick needs a power of two; kopia only registers 128K..8M, tests use tiny ones too.
    if (!Number.isInteger(avgSize) || avgSize < 2 || (avgSize & (avgSize - 1)) !== 0) {
      throw new RangeError(`buzhash splitter average size must be a power of two, got ${avgSize}`);
    }
    this.mask = avgSize - 1;
    this.minSegmentSize = avgSize / 2;
    this.maxSegmentSize = avgSize * 2;
  }

  reset(): void {
    this.hist.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  nextSplitPoint(b: Uint8Array): number {
    const n = b.length;
    const T = BUZHASH_TABLE;
    const hist = this.hist;
    let sum = this.sum;
    let count = this.count;
    let i = 0;

    // Fast path: no cut can happen before the chunk holds minSize bytes.
    const left = this.minSegmentSize - count - 1;
    if (left > 0 && n > 0) {
      const fp = left < n ? left : n;
      if (fp >= WINDOW) {
        sum = 0;
        for (let j = fp - WINDOW; j < fp; j++) sum = ((sum << 1) | (sum >>> 31)) ^ T[b[j]];
      } else {
        for (let j = 0; j < fp; j++) sum = ((sum << 1) | (sum >>> 31)) ^ T[hist[j]] ^ T[b[j]];
      }
      count += fp;
      i = fp;
    }

    // Hash and test every byte until a boundary or the max size.
    const room = this.maxSegmentSize - count;
    const end = room < n - i ? i + room : n;
    const mask = this.mask;
    const start = i;
    // While i < 64 the outgoing byte is still in `hist`.
    for (; i < end && i < WINDOW; i++) {
      sum = ((sum << 1) | (sum >>> 31)) ^ T[hist[i]] ^ T[b[i]];
      if ((sum & mask) === 0) return this.cut(b, i + 1, sum);
    }
    for (; i < end; i++) {
      sum = ((sum << 1) | (sum >>> 31)) ^ T[b[i - WINDOW]] ^ T[b[i]];
      if ((sum & mask) === 0) return this.cut(b, i + 1, sum);
    }
    count += end - start;

    if (count >= this.maxSegmentSize) return this.cut(b, end, sum);
    slideWindowHistory(this.hist, b, n);
    this.sum = sum;
    this.count = count;
    return -1;
  }

  private cut(b: Uint8Array, consumed: number, sum: number): number {
    slideWindowHistory(this.hist, b, consumed);
    this.sum = sum;
    this.count = 0;
    return consumed;
  }
}
