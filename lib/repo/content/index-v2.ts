// Index format v2 (spec §7.4): reader over the raw bytes and the stable builder.
import { CorruptDataError } from "../../errors.ts";
import type { ContentInfo } from "../types.ts";
import { compareKeys, contentIdToKey, keyToContentId } from "./content-id.ts";
import type { IndexReader } from "./index-reader.ts";

const HEADER = 17;
const PACK_INFO = 5;
const FORMAT_INFO = 6;
const MAX_CONTENT_LENGTH = 2 ** 28;
const MAX_SHORT_CONTENT_LENGTH = 2 ** 24;
const MAX_PACK_OFFSET = 2 ** 30;
const MAX_PACKS = 2 ** 24;
const MAX_SHORT_PACKS = 2 ** 16;
const MAX_FORMATS = 255;
const INVALID_BLOB_ID = "---invalid---";

export function openIndexV2(data: Uint8Array, what = "index"): IndexReader {
  if (data.length < HEADER) throw new CorruptDataError(`${what}: invalid index v2 header (truncated)`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const keySize = data[1];
  const entrySize = dv.getUint16(2);
  const entryCount = dv.getUint32(4);
  const packCount = dv.getUint32(8);
  const formatCount = data[12];
  const baseTimestamp = dv.getUint32(13);
  if (data[0] !== 2 || keySize <= 1 || entrySize < 16 || entrySize > 19 || formatCount > MAX_FORMATS) {
    throw new CorruptDataError(`${what}: invalid index v2 header`);
  }
  const stride = keySize + entrySize;
  const packsOffset = HEADER + entryCount * stride;
  const formatsOffset = packsOffset + packCount * PACK_INFO;
  if (formatsOffset + formatCount * FORMAT_INFO > data.length) {
    throw new CorruptDataError(`${what}: index v2 truncated (${entryCount} entries, ${packCount} packs, ${data.length} bytes)`);
  }
  const formats: { comp: number; fv: number; key: number }[] = [];
  for (let i = 0; i < formatCount; i++) {
    const o = formatsOffset + i * FORMAT_INFO;
    formats.push({ comp: dv.getUint32(o), fv: data[o + 4], key: data[o + 5] });
  }
  const packNames: (string | undefined)[] = new Array(packCount);
  const dec = new TextDecoder();
  const packName = (ndx: number): string => {
    if (ndx >= packCount) return INVALID_BLOB_ID;
    let s = packNames[ndx];
    if (s === undefined) {
      const o = packsOffset + ndx * PACK_INFO;
      const len = data[o];
      const off = dv.getUint32(o + 1);
      s = off + len > data.length ? INVALID_BLOB_ID : dec.decode(data.subarray(off, off + len));
      packNames[ndx] = s;
    }
    return s;
  };
  const vo = (i: number) => HEADER + i * stride + keySize;
  const packIndexAt = (o: number) => dv.getUint16(o + 14) | (entrySize > 17 ? data[o + 17] << 16 : 0);
  return {
    version: 2,
    entryCount,
    keySize,
    data,
    keyOffset: (i) => HEADER + i * stride,
    timestampAt: (i) => dv.getUint32(vo(i)) + baseTimestamp,
    deletedAt: (i) => (data[vo(i) + 4] & 0x80) !== 0,
    packBlobIdAt: (i) => packName(packIndexAt(vo(i))),
    entryAt(i: number): ContentInfo {
      const o = vo(i);
      let orig = (data[o + 8] << 16) | (data[o + 9] << 8) | data[o + 10];
      let packed = (data[o + 11] << 16) | (data[o + 12] << 8) | data[o + 13];
      if (entrySize > 18) {
        orig += (data[o + 18] >> 4) * 2 ** 24;
        packed += (data[o + 18] & 0xf) * 2 ** 24;
      }
      const fid = entrySize > 16 ? data[o + 16] : 0;
      const f = formats[fid];
      return {
        contentId: keyToContentId(data, HEADER + i * stride, keySize),
        packBlobId: packName(packIndexAt(o)),
        packOffset: dv.getUint32(o + 4) & 0x7fffffff,
        packedLength: packed,
        originalLength: orig,
        timestampSeconds: dv.getUint32(o) + baseTimestamp,
        deleted: (data[o + 4] & 0x80) !== 0,
        compressionHeaderId: f ? f.comp : 0xffff,
        formatVersion: f ? f.fv : 0xff,
        encryptionKeyId: f ? f.key : 0xff,
      };
    },
  };
}

interface Keyed {
  key: Uint8Array;
  info: ContentInfo;
}

function sortedKeyed(infos: Iterable<ContentInfo>): Keyed[] {
  const out: Keyed[] = [];
  for (const info of infos) {
    const key = contentIdToKey(info.contentId);
    if (!key) throw new CorruptDataError(`invalid content ID in index: "${info.contentId}"`);
    out.push({ key, info });
  }
  out.sort((a, b) => {
    const n = Math.min(a.key.length, b.key.length);
    return compareKeys(a.key, 0, b.key, 0, n) || a.key.length - b.key.length;
  });
  return out;
}

/** BuildStable for version 2: deterministic bytes for a set of entries (one per content ID). */
export function buildIndexV2(infos: Iterable<ContentInfo>): Uint8Array {
  const sorted = sortedKeyed(infos);
  if (sorted.length === 0) throw new CorruptDataError("can't build an empty index");
  const keySize = sorted[0].key.length;
  const formatIndex = new Map<string, number>();
  const formatList: ContentInfo[] = [];
  const packIndex = new Map<string, number>();
  const packList: string[] = [];
  let maxLen = 0;
  for (const { key, info } of sorted) {
    if (key.length !== keySize) throw new CorruptDataError(`inconsistent key length in index: ${info.contentId}`);
    const fk = `${info.compressionHeaderId}/${info.formatVersion}/${info.encryptionKeyId}`;
    if (!formatIndex.has(fk)) {
      formatIndex.set(fk, formatList.length);
      formatList.push(info);
    }
    if (!packIndex.has(info.packBlobId)) {
      packIndex.set(info.packBlobId, packList.length);
      packList.push(info.packBlobId);
    }
    maxLen = Math.max(maxLen, info.packedLength, info.originalLength);
    if (info.packOffset >= MAX_PACK_OFFSET) throw new CorruptDataError(`pack offset ${info.packOffset} is too high`);
  }
  if (formatList.length > MAX_FORMATS) throw new CorruptDataError(`too many unique formats ${formatList.length}`);
  if (packList.length > MAX_PACKS) throw new CorruptDataError(`too many unique pack IDs ${packList.length}`);
  if (maxLen >= MAX_CONTENT_LENGTH) throw new CorruptDataError(`maximum content length is too high: ${maxLen}`);
  let entrySize = 16;
  if (formatList.length > 1) entrySize = 17;
  if (packList.length > MAX_SHORT_PACKS) entrySize = 18;
  if (maxLen >= MAX_SHORT_CONTENT_LENGTH) entrySize = 19;

  const enc = new TextEncoder();
  const packNameBytes = packList.map((p) => enc.encode(p));
  const extraLen = packNameBytes.reduce((a, b) => a + b.length, 0);
  const stride = keySize + entrySize;
  const extraOffset = HEADER + sorted.length * stride + packList.length * PACK_INFO + formatList.length * FORMAT_INFO;
  const out = new Uint8Array(extraOffset + extraLen);
  const dv = new DataView(out.buffer);
  out[0] = 2;
  out[1] = keySize;
  dv.setUint16(2, entrySize);
  dv.setUint32(4, sorted.length);
  dv.setUint32(8, packList.length);
  out[12] = formatList.length;
  dv.setUint32(13, 0);
  let o = HEADER;
  for (const { key, info } of sorted) {
    out.set(key, o);
    const v = o + keySize;
    dv.setUint32(v, info.timestampSeconds >>> 0);
    dv.setUint32(v + 4, ((info.packOffset & 0x7fffffff) | (info.deleted ? 0x80000000 : 0)) >>> 0);
    const ol = info.originalLength;
    const pl = info.packedLength;
    out[v + 8] = (ol >>> 16) & 0xff;
    out[v + 9] = (ol >>> 8) & 0xff;
    out[v + 10] = ol & 0xff;
    out[v + 11] = (pl >>> 16) & 0xff;
    out[v + 12] = (pl >>> 8) & 0xff;
    out[v + 13] = pl & 0xff;
    const pi = packIndex.get(info.packBlobId)!;
    dv.setUint16(v + 14, pi & 0xffff);
    if (entrySize > 16) out[v + 16] = formatIndex.get(`${info.compressionHeaderId}/${info.formatVersion}/${info.encryptionKeyId}`)!;
    if (entrySize > 17) out[v + 17] = (pi >>> 16) & 0xff;
    if (entrySize > 18) out[v + 18] = (Math.floor(pl / 2 ** 24) & 0xf) | ((Math.floor(ol / 2 ** 24) & 0xf) << 4);
    o += stride;
  }
  let extra = extraOffset;
  for (const name of packNameBytes) {
    out[o] = name.length;
    dv.setUint32(o + 1, extra);
    out.set(name, extra);
    extra += name.length;
    o += PACK_INFO;
  }
  for (const f of formatList) {
    dv.setUint32(o, f.compressionHeaderId >>> 0);
    out[o + 4] = f.formatVersion;
    out[o + 5] = f.encryptionKeyId;
    o += FORMAT_INFO;
  }
  return out;
}
