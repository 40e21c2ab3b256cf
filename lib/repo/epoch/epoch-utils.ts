// Blob-name helpers of the epoch manager (internal/epoch/epoch_utils.go, completeset).
import type { BlobMetadata } from "../../storage/types.ts";

export const EPOCH_MARKER_PREFIX = "xe";
export const UNCOMPACTED_PREFIX = "xn";
export const SINGLE_EPOCH_COMPACTION_PREFIX = "xs";
export const RANGE_CHECKPOINT_PREFIX = "xr";
export const DELETION_WATERMARK_PREFIX = "xw";

export const uncompactedEpochPrefix = (e: number) => `${UNCOMPACTED_PREFIX}${e}_`;
export const compactedEpochPrefix = (e: number) => `${SINGLE_EPOCH_COMPACTION_PREFIX}${e}_`;
export const rangeCheckpointPrefix = (a: number, b: number) => `${RANGE_CHECKPOINT_PREFIX}${a}_${b}_`;

/** strconv.Atoi-like: optional sign, decimal digits only. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function stripNonDigits(s: string): string {
  let i = 0;
  while (i < s.length && !(s[i] >= "0" && s[i] <= "9")) i++;
  return s.slice(i);
}

export function epochNumberFromBlobId(id: string): number | undefined {
  const p = id.indexOf("_");
  return atoi(stripNonDigits(p >= 0 ? id.slice(0, p) : id));
}

export function epochRangeFromBlobId(id: string): [number, number] | undefined {
  const parts = id.split("_");
  if (parts.length < 3) return undefined;
  const a = atoi(stripNonDigits(parts[0]));
  const b = atoi(parts[1]);
  return a === undefined || b === undefined ? undefined : [a, b];
}

export function deletionWatermarkFromBlobId(id: string): number | undefined {
  const s = id.startsWith(DELETION_WATERMARK_PREFIX) ? id.slice(DELETION_WATERMARK_PREFIX.length) : id;
  return atoi(s);
}

export function groupByEpochNumber(bms: BlobMetadata[]): Map<number, BlobMetadata[]> {
  const m = new Map<number, BlobMetadata[]>();
  for (const bm of bms) {
    const n = epochNumberFromBlobId(bm.id);
    if (n === undefined) continue;
    let l = m.get(n);
    if (!l) m.set(n, (l = []));
    l.push(bm);
  }
  return m;
}

/** completeset.FindAll: sets `<x>-s<set>-c<N>` are complete when N members exist. */
export function findAllCompleteSets(bms: BlobMetadata[]): BlobMetadata[][] {
  const sets = new Map<string, BlobMetadata[]>();
  const complete: BlobMetadata[][] = [];
  for (const bm of bms) {
    const parts = bm.id.split("-");
    if (parts.length < 3 || !parts[1].startsWith("s") || !parts[2].startsWith("c")) {
      complete.push([bm]);
      continue;
    }
    const count = atoi(parts[2].slice(1));
    if (count === undefined) {
      complete.push([bm]);
      continue;
    }
    let l = sets.get(parts[1]);
    if (!l) sets.set(parts[1], (l = []));
    l.push(bm);
    if (l.length === count) complete.push(l);
  }
  return complete;
}

export function findFirstCompleteSet(bms: BlobMetadata[]): BlobMetadata[] | undefined {
  return findAllCompleteSets(bms)[0];
}

export interface RangeMetadata {
  min: number;
  max: number;
  blobs: BlobMetadata[];
}

/** findLongestRangeCheckpoint: the chain of contiguous ranges from epoch 0 reaching furthest. */
export function findLongestRangeCheckpoint(ranges: RangeMetadata[]): RangeMetadata[] {
  const byMin = new Map<number, RangeMetadata[]>();
  for (const r of ranges) {
    let l = byMin.get(r.min);
    if (!l) byMin.set(r.min, (l = []));
    l.push(r);
  }
  const memo = new Map<number, RangeMetadata[]>();
  const from = (start: number): RangeMetadata[] => {
    const m = memo.get(start);
    if (m) return m;
    let longest = 0;
    let best: RangeMetadata[] = [];
    for (const cp of byMin.get(start) ?? []) {
      const combined = [cp, ...from(cp.max + 1)];
      const max = combined[combined.length - 1].max;
      if (max > longest || (max === longest && combined.length < best.length)) {
        longest = max;
        best = combined;
      }
    }
    memo.set(start, best);
    return best;
  };
  return from(0);
}

/** shouldAdvance (epoch_advance.go). */
export function shouldAdvance(bms: BlobMetadata[], minEpochDurationMs: number, countThreshold: number, sizeThreshold: number): boolean {
  if (bms.length === 0) return false;
  let min = bms[0].timestamp.getTime();
  let max = min;
  let total = 0;
  for (const bm of bms) {
    const t = bm.timestamp.getTime();
    if (t < min) min = t;
    if (t > max) max = t;
    total += bm.length;
  }
  if (max - min < minEpochDurationMs) return false;
  return bms.length >= countThreshold || total >= sizeThreshold;
}
