// LZ4 frame-format decoder (compressor "lz4", header 0x1400: deprecated in kopia, read-only here).
// frame = magic 0x184D2204 || FLG || BD || [contentSize 8] || [dictID 4] || HC
//         || blocks (u32le size, high bit = stored; 0 = end) || [xxh32 content checksum]
// Blocks may depend on earlier ones (64 KiB window), so everything decodes into one buffer.
import { CorruptDataError } from "../../errors.ts";
import { xxh32 } from "./xxh32.ts";

function bad(what: string): never {
  throw new CorruptDataError(`lz4: corrupt compressed data (${what})`);
}

const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

class Out {
  buf = new Uint8Array(1 << 16);
  n = 0;
  ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
}

/** Decodes one LZ4 block src[s..end) appending to `o` (at most `max` bytes). */
function decodeBlock(src: Uint8Array, s: number, end: number, o: Out, max: number): void {
  o.ensure(max);
  const dst = o.buf;
  let d = o.n;
  const limit = d + max;
  while (s < end) {
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) bad("truncated literal length");
        b = src[s++];
        lit += b;
      } while (b === 255);
    }
    if (s + lit > end || d + lit > limit) bad("literal overruns block");
    dst.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s === end) break; // the last sequence has literals only
    if (s + 2 > end) bad("truncated match offset");
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (s >= end) bad("truncated match length");
        b = src[s++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (offset === 0 || offset > d || d + len > limit) bad("bad match");
    let from = d - offset;
    const stop = d + len;
    while (d < stop) dst[d++] = dst[from++];
  }
  o.n = d;
}

export function lz4FrameDecompress(src: Uint8Array): Uint8Array {
  const o = new Out();
  let p = 0;
  while (p < src.length) {
    if (p + 4 > src.length) bad("truncated frame magic");
    const magic = le32(src, p);
    p += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (p + 4 > src.length) bad("truncated skippable frame");
      p += 4 + le32(src, p);
      continue;
    }
    if (magic !== 0x184d2204) bad(`bad frame magic 0x${magic.toString(16)}`);
    const descStart = p;
    if (p + 3 > src.length) bad("truncated frame descriptor");
    const flg = src[p], bd = src[p + 1];
    if (flg >> 6 !== 1) bad("unsupported frame version");
    if (flg & 1) bad("dictionaries are not supported");
    const blockChecksum = (flg >> 4) & 1, hasSize = (flg >> 3) & 1, contentChecksum = (flg >> 2) & 1;
    const bsId = (bd >> 4) & 7;
    if (bsId < 4) bad("bad block size");
    const blockMax = 1 << (8 + 2 * bsId);
    p += 2;
    let contentSize = -1;
    if (hasSize) {
      if (p + 8 > src.length) bad("truncated content size");
      contentSize = le32(src, p) + le32(src, p + 4) * 2 ** 32;
      p += 8;
    }
    if (p >= src.length) bad("truncated frame descriptor");
    if (((xxh32(src.subarray(descStart, p)) >>> 8) & 0xff) !== src[p]) bad("descriptor checksum mismatch");
    p += 1;
    const frameStart = o.n;
    for (;;) {
      if (p + 4 > src.length) bad("truncated block header");
      const h = le32(src, p);
      p += 4;
      if (h === 0) break;
      const size = h & 0x7fffffff;
      if (size > blockMax || p + size + blockChecksum * 4 > src.length) bad("truncated or oversized block");
      if (blockChecksum && xxh32(src.subarray(p, p + size)) !== le32(src, p + size)) bad("block checksum mismatch");
      if (h & 0x80000000) {
        o.ensure(size);
        o.buf.set(src.subarray(p, p + size), o.n);
        o.n += size;
      } else {
        decodeBlock(src, p, p + size, o, blockMax);
      }
      p += size + blockChecksum * 4;
    }
    const frame = o.buf.subarray(frameStart, o.n);
    if (contentSize >= 0 && frame.length !== contentSize) bad("content size mismatch");
    if (contentChecksum) {
      if (p + 4 > src.length) bad("truncated content checksum");
      if (xxh32(frame) !== le32(src, p)) bad("content checksum mismatch");
      p += 4;
    }
  }
  return o.buf.slice(0, o.n);
}
