// Structural check of a zstd stream. libzstd (via node:zlib) returns whatever it decoded when a
// frame is cut short instead of failing, which would turn a truncated content into silent data
// loss; walking the frame and block headers first catches truncation and trailing garbage.
import { CorruptDataError } from "../../errors.ts";

const ZSTD_MAGIC = 0xfd2fb528;

function bad(what: string): never {
  throw new CorruptDataError(`zstd: corrupt compressed data (${what})`);
}

const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** Throws CorruptDataError unless `data` is a sequence of complete zstd (or skippable) frames. */
export function checkZstdFrames(data: Uint8Array): void {
  let p = 0;
  const n = data.length;
  while (p < n) {
    if (p + 4 > n) bad("truncated frame magic");
    const magic = le32(data, p);
    p += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (p + 4 > n) bad("truncated skippable frame");
      p += 4 + le32(data, p);
      if (p > n) bad("truncated skippable frame");
      continue;
    }
    if (magic !== ZSTD_MAGIC) bad(`bad frame magic 0x${magic.toString(16)}`);
    if (p + 1 > n) bad("truncated frame header");
    const fhd = data[p++];
    if (fhd & 0x08) bad("reserved frame header bit set");
    const singleSegment = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const checksum = (fhd >> 2) & 1;
    p += singleSegment ? 0 : 1;
    p += [0, 1, 2, 4][fhd & 3];
    p += fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag];
    for (;;) {
      if (p + 3 > n) bad("truncated block header");
      const h = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16);
      p += 3;
      const type = (h >> 1) & 3;
      if (type === 3) bad("reserved block type");
      p += type === 1 ? 1 : h >>> 3;
      if (p > n) bad("truncated block");
      if (h & 1) break;
    }
    p += checksum * 4;
    if (p > n) bad("truncated frame checksum");
  }
}
