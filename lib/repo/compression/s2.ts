// Decoder for the klauspost S2 *stream* format (compressors s2-*, spec §6.2). S2 streams are a
// superset of the snappy framing format:
//   chunk = type(1) || length(3, LE) || body
//   0xff stream identifier "S2sTwO" (or snappy's "sNaPpY"), first chunk of the stream
//   0x00 compressed block: maskedCRC32C(4, LE) || S2 block   0x01 uncompressed: CRC(4) || bytes
//   0x02–0x7f reserved (unskippable → error)   0x80–0xfe skippable (0x99 seek index, 0xfe padding)
// An S2 block is uvarint(decodedLen) then tagged elements; S2 extends snappy's copy-1 element:
// offset 0 means "repeat the previous offset" with an extended length code.
import { CorruptDataError } from "../../errors.ts";
import { maskedCrc32c } from "./crc32c.ts";

const MAX_BLOCK_SIZE = 4 << 20;
const MAX_SNAPPY_BLOCK_SIZE = 1 << 16;
const S2_MAGIC = "S2sTwO";
const SNAPPY_MAGIC = "sNaPpY";

function corrupt(what: string): never {
  throw new CorruptDataError(`s2: corrupt stream (${what})`);
}

/** Reads the uvarint decoded length at the start of a block; returns [length, headerBytes]. */
function blockDecodedLen(src: Uint8Array, start: number, end: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (let i = start; i < end && i - start < 5; i++) {
    const b = src[i];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (v > 0xffffffff) corrupt("block length overflow");
      return [v, i + 1 - start];
    }
    shift += 7;
  }
  return corrupt("bad block length varint");
}

/** Element counts, filled in only when a caller (tests) asks for them. */
export interface S2BlockStats {
  literals: number;
  copies: number;
  repeats: number;
}

/** Decodes one S2 block body src[s..end) into dst[0..dst.length) exactly. */
export function decodeS2Block(src: Uint8Array, s: number, end: number, dst: Uint8Array, stats?: S2BlockStats): void {
  const dLen = dst.length;
  let d = 0;
  let offset = 0;
  let length = 0;
  while (s < end) {
    const tag = src[s];
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        if (x < 60) {
          s += 1;
        } else {
          const extra = x - 59; // 1..4 little-endian length bytes
          if (s + 1 + extra > end) corrupt("truncated literal length");
          x = 0;
          for (let k = extra; k >= 1; k--) x = x * 256 + src[s + k];
          s += 1 + extra;
        }
        length = x + 1;
        if (length > dLen - d || length > end - s) corrupt("literal overruns block");
        if (length < 16) {
          for (let k = 0; k < length; k++) dst[d + k] = src[s + k];
        } else {
          dst.set(src.subarray(s, s + length), d);
        }
        d += length;
        s += length;
        if (stats) stats.literals++;
        continue;
      }
      case 1: {
        if (s + 2 > end) corrupt("truncated copy");
        const toffset = ((tag & 0xe0) << 3) | src[s + 1];
        length = (tag >>> 2) & 7;
        s += 2;
        if (toffset === 0) {
          // S2 repeat: reuse the previous offset; lengths 5..7 carry 1..3 extra length bytes.
          if (length === 5) {
            if (s + 1 > end) corrupt("truncated repeat");
            length = src[s] + 4;
            s += 1;
          } else if (length === 6) {
            if (s + 2 > end) corrupt("truncated repeat");
            length = (src[s] | (src[s + 1] << 8)) + (1 << 8);
            s += 2;
          } else if (length === 7) {
            if (s + 3 > end) corrupt("truncated repeat");
            length = (src[s] | (src[s + 1] << 8) | (src[s + 2] << 16)) + (1 << 16);
            s += 3;
          }
          if (stats) stats.repeats++;
        } else {
          offset = toffset;
        }
        length += 4;
        break;
      }
      case 2:
        if (s + 3 > end) corrupt("truncated copy");
        length = 1 + (tag >>> 2);
        offset = src[s + 1] | (src[s + 2] << 8);
        s += 3;
        break;
      default:
        if (s + 5 > end) corrupt("truncated copy");
        length = 1 + (tag >>> 2);
        offset = (src[s + 1] | (src[s + 2] << 8) | (src[s + 3] << 16) | (src[s + 4] << 24)) >>> 0;
        s += 5;
    }
    if (offset <= 0 || d < offset || length > dLen - d) corrupt("bad copy offset or length");
    if (stats) stats.copies++;
    let from = d - offset;
    if (offset >= length && length > 32) {
      dst.copyWithin(d, from, from + length);
      d += length;
    } else {
      // Forward byte copy: overlapping copies replicate the pattern, as the format requires.
      const stop = d + length;
      while (d < stop) dst[d++] = dst[from++];
    }
  }
  if (d !== dLen) corrupt("block shorter than its declared length");
}

interface Chunk {
  compressed: boolean;
  bodyStart: number; // after the CRC
  bodyEnd: number;
  crc: number;
  outLen: number;
  lenBytes: number; // varint header size (compressed only)
}

/** Decompresses a complete S2 (or snappy-framed) stream. */
export function s2Decompress(src: Uint8Array, stats?: S2BlockStats): Uint8Array {
  const chunks: Chunk[] = [];
  let total = 0;
  let p = 0;
  let seenHeader = false;
  let snappy = false;
  while (p < src.length) {
    if (p + 4 > src.length) corrupt("truncated chunk header");
    const type = src[p];
    const len = src[p + 1] | (src[p + 2] << 8) | (src[p + 3] << 16);
    const body = p + 4;
    if (body + len > src.length) corrupt("truncated chunk");
    if (!seenHeader && type !== 0xff) corrupt("missing stream identifier");
    if (type === 0xff) {
      if (len !== 6) corrupt("bad stream identifier");
      const magic = String.fromCharCode(...src.subarray(body, body + 6));
      if (magic === S2_MAGIC) snappy = false;
      else if (magic === SNAPPY_MAGIC) snappy = true;
      else corrupt("bad stream identifier");
      seenHeader = true;
    } else if (type === 0x00 || type === 0x01) {
      if (len < 4) corrupt("chunk too short for its checksum");
      const crc = (src[body] | (src[body + 1] << 8) | (src[body + 2] << 16) | (src[body + 3] << 24)) >>> 0;
      const bodyStart = body + 4;
      const bodyEnd = body + len;
      let outLen: number;
      let lenBytes = 0;
      if (type === 0x00) [outLen, lenBytes] = blockDecodedLen(src, bodyStart, bodyEnd);
      else outLen = bodyEnd - bodyStart;
      if (outLen > (snappy ? MAX_SNAPPY_BLOCK_SIZE : MAX_BLOCK_SIZE)) corrupt("block too large");
      chunks.push({ compressed: type === 0x00, bodyStart, bodyEnd, crc, outLen, lenBytes });
      total += outLen;
    } else if (type <= 0x7f) {
      corrupt(`reserved unskippable chunk type 0x${type.toString(16)}`);
    }
    // 0x80–0xfe: skippable (index, padding)
    p = body + len;
  }

  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    const dst = out.subarray(o, o + c.outLen);
    if (c.compressed) decodeS2Block(src, c.bodyStart + c.lenBytes, c.bodyEnd, dst, stats);
    else dst.set(src.subarray(c.bodyStart, c.bodyEnd));
    if (maskedCrc32c(dst) !== c.crc) corrupt("checksum mismatch");
    o += c.outLen;
  }
  return out;
}
