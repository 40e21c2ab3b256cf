// Minimal S2 stream encoder (greedy LZ77, snappy-compatible element subset, which every S2 reader
// accepts). It compresses less than klauspost's encoder but lets corso write s2-* repositories;
// output is readable by kopia (verified in tests with kopia's own decoder).
import { maskedCrc32c } from "./crc32c.ts";

const BLOCK_SIZE = 1 << 20; // klauspost's default block size
const HASH_BITS = 14;
const MIN_MATCH = 4;
const STREAM_ID = [0xff, 0x06, 0x00, 0x00, 0x53, 0x32, 0x73, 0x54, 0x77, 0x4f]; // "S2sTwO"

class Out {
  buf: Uint8Array;
  n = 0;
  constructor(cap: number) {
    this.buf = new Uint8Array(Math.max(cap, 64));
  }
  ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
}

function emitLiteral(o: Out, src: Uint8Array, from: number, to: number): void {
  const len = to - from;
  if (len === 0) return;
  o.ensure(len + 5);
  const b = o.buf;
  const x = len - 1;
  if (x < 60) {
    b[o.n++] = x << 2;
  } else if (x < 1 << 8) {
    b[o.n++] = 60 << 2;
    b[o.n++] = x;
  } else if (x < 1 << 16) {
    b[o.n++] = 61 << 2;
    b[o.n++] = x & 0xff;
    b[o.n++] = x >>> 8;
  } else {
    b[o.n++] = 62 << 2;
    b[o.n++] = x & 0xff;
    b[o.n++] = (x >>> 8) & 0xff;
    b[o.n++] = x >>> 16;
  }
  b.set(src.subarray(from, to), o.n);
  o.n += len;
}

function emitCopy(o: Out, offset: number, length: number): void {
  o.ensure(5 * (Math.ceil(length / 64) + 1));
  const b = o.buf;
  while (length > 0) {
    // Keep ≥ 4 for a final copy-1, otherwise copy-2/copy-4 handle any length 1..64.
    const l = length > 64 ? (length - 64 < MIN_MATCH ? 60 : 64) : length;
    if (l >= 4 && l <= 11 && offset < 2048) {
      b[o.n++] = 1 | ((l - 4) << 2) | ((offset >>> 8) << 5);
      b[o.n++] = offset & 0xff;
    } else if (offset < 65536) {
      b[o.n++] = 2 | ((l - 1) << 2);
      b[o.n++] = offset & 0xff;
      b[o.n++] = offset >>> 8;
    } else {
      b[o.n++] = 3 | ((l - 1) << 2);
      b[o.n++] = offset & 0xff;
      b[o.n++] = (offset >>> 8) & 0xff;
      b[o.n++] = (offset >>> 16) & 0xff;
      b[o.n++] = offset >>> 24;
    }
    length -= l;
  }
}

const load32 = (s: Uint8Array, i: number) => s[i] | (s[i + 1] << 8) | (s[i + 2] << 16) | (s[i + 3] << 24);
const hash4 = (u: number) => Math.imul(u, 0x1e35a7bd) >>> (32 - HASH_BITS);

/** Encodes one block (uvarint length || elements). */
export function encodeS2Block(src: Uint8Array, table = new Int32Array(1 << HASH_BITS)): Uint8Array {
  const n = src.length;
  const o = new Out(n + (n >>> 4) + 16);
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      o.buf[o.n++] = v;
      break;
    }
    o.buf[o.n++] = (v & 0x7f) | 0x80;
  }
  table.fill(-1);
  let lit = 0;
  let i = 0;
  let skip = 32;
  const limit = n - MIN_MATCH;
  while (i < limit) {
    const cur = load32(src, i);
    const h = hash4(cur);
    const cand = table[h];
    table[h] = i;
    if (cand >= 0 && load32(src, cand) === cur) {
      let len = MIN_MATCH;
      while (i + len < n && src[cand + len] === src[i + len]) len++;
      emitLiteral(o, src, lit, i);
      emitCopy(o, i - cand, len);
      i += len;
      lit = i;
      skip = 32;
      if (i - 1 < limit) table[hash4(load32(src, i - 1))] = i - 1;
    } else {
      // Step faster through incompressible data (snappy's heuristic).
      i += skip >>> 5;
      skip++;
    }
  }
  emitLiteral(o, src, lit, n);
  return o.buf.subarray(0, o.n);
}

function pushChunk(o: Out, type: number, crc: number, body: Uint8Array): void {
  const len = body.length + 4;
  o.ensure(len + 4);
  const b = o.buf;
  b[o.n++] = type;
  b[o.n++] = len & 0xff;
  b[o.n++] = (len >>> 8) & 0xff;
  b[o.n++] = len >>> 16;
  b[o.n++] = crc & 0xff;
  b[o.n++] = (crc >>> 8) & 0xff;
  b[o.n++] = (crc >>> 16) & 0xff;
  b[o.n++] = crc >>> 24;
  b.set(body, o.n);
  o.n += body.length;
}

/** Encodes a complete S2 stream (stream identifier, then one chunk per 1 MiB block). */
export function s2Compress(data: Uint8Array): Uint8Array {
  const o = new Out(data.length + (data.length >>> 3) + 64);
  o.buf.set(STREAM_ID, 0);
  o.n = STREAM_ID.length;
  const table = new Int32Array(1 << HASH_BITS);
  for (let p = 0; p < data.length; p += BLOCK_SIZE) {
    const block = data.subarray(p, Math.min(p + BLOCK_SIZE, data.length));
    const crc = maskedCrc32c(block);
    const enc = encodeS2Block(block, table);
    if (enc.length < block.length) pushChunk(o, 0x00, crc, enc);
    else pushChunk(o, 0x01, crc, block);
  }
  return o.buf.slice(0, o.n);
}
