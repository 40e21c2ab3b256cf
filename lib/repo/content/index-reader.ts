// Common shape of parsed index data (v1 or v2). Readers keep the decrypted bytes as-is: the
// on-disk format is already a sorted array of fixed-stride binary records, which is the most
// compact in-memory index there is; lookups are binary searches over it.
import type { ContentInfo } from "../types.ts";
import { compareKeys } from "./content-id.ts";

export interface IndexReader {
  readonly version: number;
  readonly entryCount: number;
  readonly keySize: number;
  /** Raw bytes and the offset of entry i's key within them (for fast k-way merges). */
  readonly data: Uint8Array;
  keyOffset(i: number): number;
  entryAt(i: number): ContentInfo;
  timestampAt(i: number): number;
  deletedAt(i: number): boolean;
  packBlobIdAt(i: number): string;
}

/** First position whose key is >= key (keys of different size never match). */
export function lowerBound(r: IndexReader, key: Uint8Array): number {
  let lo = 0;
  let hi = r.entryCount;
  const n = Math.min(key.length, r.keySize);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let c = compareKeys(r.data, r.keyOffset(mid), key, 0, n);
    if (c === 0) c = r.keySize - key.length;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function findExact(r: IndexReader, key: Uint8Array): number {
  if (key.length !== r.keySize) return -1;
  const p = lowerBound(r, key);
  if (p < r.entryCount && compareKeys(r.data, r.keyOffset(p), key, 0, key.length) === 0) return p;
  return -1;
}

/** kopia's contentInfoGreaterThan: larger timestamp, then non-deleted, then larger pack ID. */
export function infoGreaterThan(a: ContentInfo, b: ContentInfo): boolean {
  if (a.timestampSeconds !== b.timestampSeconds) return a.timestampSeconds > b.timestampSeconds;
  if (a.deleted !== b.deleted) return !a.deleted;
  return a.packBlobId > b.packBlobId;
}
