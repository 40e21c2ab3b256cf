// DYNAMIC-*-RABINKARP splitters, bit-compatible with kopia (github.com/chmduquesne/rollinghash
// rabinkarp64 over a 64-byte window). The fingerprint is the window read as a polynomial over GF(2)
// modulo kopia's degree-53 polynomial: rabinkarp64.New() = RandomPolynomial(1) (Go math/rand seed 1),
// checked against kopia in tests. Values stay below 2^61 during a roll, so they are kept as two
// uint32 halves (hi holds bits 32..60). The split rule and fast path are the same as buzhash's.
import { slideWindowHistory, type Splitter } from "./types.ts";

export const RABINKARP_POLYNOMIAL = 0x002e3e3e4a305605n;
const DEG = 53;
const WINDOW = 64;

function polMod(x: bigint, p: bigint): bigint {
  const dp = p.toString(2).length;
  for (let dx = x.toString(2).length; x !== 0n && dx >= dp; dx = x.toString(2).length) x ^= p << BigInt(dx - dp);
  return x;
}

/** out[b]: contribution of byte b leaving the window; mod[i]: reduction of the 8 bits shifted past bit 53. */
const TABLES = (() => {
  const outLo = new Int32Array(256), outHi = new Int32Array(256), modLo = new Int32Array(256), modHi = new Int32Array(256);
  const p = RABINKARP_POLYNOMIAL;
  for (let b = 0; b < 256; b++) {
    let h = polMod(BigInt(b), p);
    for (let i = 0; i < WINDOW - 1; i++) h = polMod(h << 8n, p);
    outLo[b] = Number(h & 0xffffffffn);
    outHi[b] = Number(h >> 32n);
    const m = polMod(BigInt(b) << BigInt(DEG), p) | (BigInt(b) << BigInt(DEG));
    modLo[b] = Number(m & 0xffffffffn);
    modHi[b] = Number(m >> 32n);
  }
  return { outLo, outHi, modLo, modHi };
})();

export class RabinKarpSplitter implements Splitter {
  readonly minSegmentSize: number;
  readonly maxSegmentSize: number;
  private readonly mask: number;
  private readonly hist = new Uint8Array(WINDOW);
  private lo = 0;
  private hi = 0;
  private count = 0;

  constructor(avgSize: number) {
    if (!Number.isInteger(avgSize) || avgSize < 2 || avgSize > 2 ** 31 || (avgSize & (avgSize - 1)) !== 0) {
      throw new RangeError(`rabin-karp splitter average size must be a power of two, got ${avgSize}`);
    }
    this.mask = avgSize - 1;
    this.minSegmentSize = avgSize / 2;
    this.maxSegmentSize = avgSize * 2;
  }

  reset(): void {
    this.hist.fill(0);
    this.lo = 0;
    this.hi = 0;
    this.count = 0;
  }

  nextSplitPoint(b: Uint8Array): number {
    const { outLo, outHi, modLo, modHi } = TABLES;
    const n = b.length;
    const hist = this.hist;
    let lo = this.lo, hi = this.hi, count = this.count, i = 0;

    const left = this.minSegmentSize - count - 1;
    if (left > 0 && n > 0) {
      const fp = left < n ? left : n;
      if (fp >= WINDOW) {
        // The fingerprint depends only on the window: rebuild it from the last 64 bytes.
        lo = 0;
        hi = 0;
        for (let j = fp - WINDOW; j < fp; j++) {
          const idx = hi >>> 13;
          hi = (hi << 8) | (lo >>> 24);
          lo = (lo << 8) | b[j];
          lo ^= modLo[idx];
          hi ^= modHi[idx];
        }
      } else {
        for (let j = 0; j < fp; j++) {
          const o = hist[j];
          lo ^= outLo[o];
          hi ^= outHi[o];
          const idx = hi >>> 13;
          hi = (hi << 8) | (lo >>> 24);
          lo = (lo << 8) | b[j];
          lo ^= modLo[idx];
          hi ^= modHi[idx];
        }
      }
      count += fp;
      i = fp;
    }

    const room = this.maxSegmentSize - count;
    const end = room < n - i ? i + room : n;
    const mask = this.mask;
    const start = i;
    // While i < 64 the outgoing byte is still in `hist`; split loops keep the hot one branch-free.
    for (; i < end && i < WINDOW; i++) {
      const o = hist[i];
      lo ^= outLo[o];
      hi ^= outHi[o];
      const idx = hi >>> 13;
      hi = (hi << 8) | (lo >>> 24);
      lo = (lo << 8) | b[i];
      lo ^= modLo[idx];
      hi ^= modHi[idx];
      if ((lo & mask) === 0) return this.cut(b, i + 1, lo, hi);
    }
    for (; i < end; i++) {
      const o = b[i - WINDOW];
      lo ^= outLo[o];
      hi ^= outHi[o];
      const idx = hi >>> 13;
      hi = (hi << 8) | (lo >>> 24);
      lo = ((lo << 8) | b[i]) ^ modLo[idx];
      hi ^= modHi[idx];
      if ((lo & mask) === 0) return this.cut(b, i + 1, lo, hi);
    }
    count += end - start;
    if (count >= this.maxSegmentSize) return this.cut(b, end, lo, hi);
    slideWindowHistory(this.hist, b, n);
    this.lo = lo;
    this.hi = hi;
    this.count = count;
    return -1;
  }

  private cut(b: Uint8Array, consumed: number, lo: number, hi: number): number {
    slideWindowHistory(this.hist, b, consumed);
    this.lo = lo;
    this.hi = hi;
    this.count = 0;
    return consumed;
  }
}
