// Index format v1 (spec §7.3), read-only: legacy format-version-1 repositories.
import { CorruptDataError } from "../../errors.ts";
import type { ContentInfo } from "../types.ts";
import { keyToContentId } from "./content-id.ts";
import type { IndexReader } from "./index-reader.ts";

const HEADER = 8;
const VALUE = 20;

export function openIndexV1(data: Uint8Array, overhead: number, what = "index"): IndexReader {
  if (data.length < HEADER || data[0] !== 1) throw new CorruptDataError(`${what}: invalid index v1 header`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const keySize = data[1];
  const valueSize = dv.getUint16(2);
  const entryCount = dv.getUint32(4);
  if (keySize <= 1 || valueSize < VALUE || keySize + valueSize > 256) throw new CorruptDataError(`${what}: invalid index v1 header`);
  const stride = keySize + valueSize;
  if (HEADER + entryCount * stride > data.length) throw new CorruptDataError(`${what}: index v1 truncated (${entryCount} entries, ${data.length} bytes)`);
  const packNames = new Map<number, string>();
  const vo = (i: number) => HEADER + i * stride + keySize;
  const packBlobIdAt = (i: number): string => {
    const o = vo(i);
    const len = data[o + 7];
    const off = dv.getUint32(o + 8);
    const k = off * 256 + len;
    let s = packNames.get(k);
    if (s === undefined) {
      if (off + len > data.length) return "---invalid---";
      s = new TextDecoder().decode(data.subarray(off, off + len));
      packNames.set(k, s);
    }
    return s;
  };
  const timestampAt = (i: number) => {
    const o = vo(i);
    return dv.getUint16(o) * 2 ** 32 + dv.getUint32(o + 2);
  };
  const deletedAt = (i: number) => (data[vo(i) + 12] & 0x80) !== 0;
  return {
    version: 1,
    entryCount,
    keySize,
    data,
    keyOffset: (i) => HEADER + i * stride,
    timestampAt,
    deletedAt,
    packBlobIdAt,
    entryAt(i: number): ContentInfo {
      const o = vo(i);
      const packedLength = dv.getUint32(o + 16);
      return {
        contentId: keyToContentId(data, HEADER + i * stride, keySize),
        packBlobId: packBlobIdAt(i),
        packOffset: dv.getUint32(o + 12) & 0x7fffffff,
        packedLength,
        originalLength: Math.max(0, packedLength - overhead),
        timestampSeconds: timestampAt(i),
        deleted: deletedAt(i),
        compressionHeaderId: 0,
        formatVersion: data[o + 6],
        encryptionKeyId: 0,
      };
    },
  };
}
