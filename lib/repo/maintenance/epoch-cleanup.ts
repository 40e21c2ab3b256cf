// Epoch-manager cleanup (kopia internal/epoch/epoch_manager.go, spec §8), computed from blob
// listings: delete `xn<e>_` blobs whose epoch has a complete `xs<e>_` set written long enough
// ago, epoch markers below W−1, and superseded deletion watermarks. "Long enough" is measured
// on the storage clock: the newest uncompacted index blob of epochs W−1..W+1 minus
// CleanupSafetyMargin, so clients that have not seen the compacted set yet keep working.
import type { BlobMetadata, BlobStorage } from "../../storage/types.ts";
import { listAll } from "../../storage/types.ts";

export interface EpochCleanupStats {
  supersededIndexBlobsDeleted: number;
  epochMarkersDeleted: number;
  watermarksDeleted: number;
  bytesFreed: number;
}

/** Digits after the non-digit prefix, up to the first '_' (kopia epochNumberFromBlobID). */
export function epochNumberFromBlobId(id: string): number | undefined {
  let s = id;
  const u = s.indexOf("_");
  if (u >= 0) s = s.slice(0, u);
  s = s.replace(/^\D+/, "");
  if (!/^\d+$/.test(s)) return undefined;
  return Number(s);
}

export function deletionWatermarkFromBlobId(id: string): number | undefined {
  if (!id.startsWith("xw")) return undefined;
  const s = id.slice(2);
  if (!/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

/** First complete set (kopia completeset.FindFirst), in listing order. */
export function findFirstCompleteSet(bms: BlobMetadata[]): BlobMetadata[] | undefined {
  const sets = new Map<string, BlobMetadata[]>();
  for (const bm of bms) {
    const parts = bm.id.split("-");
    if (parts.length < 3 || !parts[1].startsWith("s") || !parts[2].startsWith("c")) return [bm];
    const count = Number.parseInt(parts[2].slice(1), 10);
    if (!/^\d+$/.test(parts[2].slice(1)) || !Number.isFinite(count)) return [bm];
    const list = sets.get(parts[1]) ?? [];
    list.push(bm);
    sets.set(parts[1], list);
    if (list.length === count) return list;
  }
  return undefined;
}

function groupByEpoch(bms: BlobMetadata[]): Map<number, BlobMetadata[]> {
  const m = new Map<number, BlobMetadata[]>();
  for (const bm of bms) {
    const n = epochNumberFromBlobId(bm.id);
    if (n === undefined) continue;
    const l = m.get(n) ?? [];
    l.push(bm);
    m.set(n, l);
  }
  return m;
}

function maxTs(bms: BlobMetadata[]): number {
  let m = 0;
  for (const b of bms) m = Math.max(m, b.timestamp.getTime());
  return m;
}

export interface EpochState {
  writeEpoch: number;
  deletionWatermarkSec: number | undefined;
  epochMarkers: BlobMetadata[];
  watermarks: BlobMetadata[];
  singleEpochSets: Map<number, BlobMetadata[]>;
  uncompacted: BlobMetadata[];
  /** Newest xn blob of epochs W−1..W+1 (ms), 0 if none: the storage clock. */
  maxCleanupTimeMs: number;
}

export async function loadEpochState(storage: BlobStorage): Promise<EpochState> {
  const [markers, watermarks, xs, xn] = await Promise.all([
    listAll(storage, "xe"), listAll(storage, "xw"), listAll(storage, "xs"), listAll(storage, "xn"),
  ]);
  let writeEpoch = 0;
  for (const bm of markers) {
    const n = epochNumberFromBlobId(bm.id);
    if (n !== undefined && n > writeEpoch) writeEpoch = n;
  }
  let wm: number | undefined;
  for (const bm of watermarks) {
    const t = deletionWatermarkFromBlobId(bm.id);
    if (t !== undefined && (wm === undefined || t > wm)) wm = t;
  }
  const singleEpochSets = new Map<number, BlobMetadata[]>();
  for (const [e, bms] of groupByEpoch(xs)) {
    const set = findFirstCompleteSet(bms);
    if (set) singleEpochSets.set(e, set);
  }
  let maxCleanupTimeMs = 0;
  for (const bm of xn) {
    const n = epochNumberFromBlobId(bm.id);
    if (n !== undefined && n >= writeEpoch - 1 && n <= writeEpoch + 1) {
      maxCleanupTimeMs = Math.max(maxCleanupTimeMs, bm.timestamp.getTime());
    }
  }
  return { writeEpoch, deletionWatermarkSec: wm, epochMarkers: markers, watermarks, singleEpochSets, uncompacted: xn, maxCleanupTimeMs };
}

/** Runs all three cleanups; nothing is deleted when no recent uncompacted index exists. */
export async function cleanupEpochManager(
  storage: BlobStorage,
  cleanupSafetyMarginMs: number,
  onProgress?: (msg: string) => void,
): Promise<EpochCleanupStats> {
  const st: EpochCleanupStats = { supersededIndexBlobsDeleted: 0, epochMarkersDeleted: 0, watermarksDeleted: 0, bytesFreed: 0 };
  const cs = await loadEpochState(storage);
  if (cs.maxCleanupTimeMs === 0) return st;
  const maxReplacementTime = cs.maxCleanupTimeMs - cleanupSafetyMarginMs;

  const del = async (bm: BlobMetadata) => {
    await storage.deleteBlob(bm.id);
    st.bytesFreed += bm.length;
  };

  onProgress?.("Cleaning up old index blobs which have already been compacted...");
  for (const bm of cs.uncompacted) {
    const e = epochNumberFromBlobId(bm.id);
    if (e === undefined) continue;
    const set = cs.singleEpochSets.get(e);
    if (set && set.length > 0 && maxTs(set) < maxReplacementTime) {
      await del(bm);
      st.supersededIndexBlobsDeleted++;
    }
  }
  for (const bm of cs.epochMarkers) {
    const n = epochNumberFromBlobId(bm.id);
    if (n !== undefined && n < cs.writeEpoch - 1) {
      await del(bm);
      st.epochMarkersDeleted++;
    }
  }
  for (const bm of cs.watermarks) {
    const t = deletionWatermarkFromBlobId(bm.id);
    if (t === undefined || t === cs.deletionWatermarkSec) continue;
    if (bm.timestamp.getTime() < maxReplacementTime) {
      await del(bm);
      st.watermarksDeleted++;
    }
  }
  return st;
}

/**
 * Writes `xw<unixSeconds>` unless the current watermark is already later (kopia
 * AdvanceDeletionWatermark). Returns whether a blob was written.
 */
export async function advanceDeletionWatermark(storage: BlobStorage, t: Date): Promise<boolean> {
  const sec = Math.floor(t.getTime() / 1000);
  let current: number | undefined;
  for await (const bm of storage.listBlobs("xw")) {
    const v = deletionWatermarkFromBlobId(bm.id);
    if (v !== undefined && (current === undefined || v > current)) current = v;
  }
  if (current !== undefined && sec < current) return false;
  await storage.putBlob(`xw${sec}`, new TextEncoder().encode("deletion-watermark"));
  return true;
}
