// Snapshot garbage collection (kopia snapshot/snapshotgc/gc.go): contents no snapshot
// references and older than MinContentAgeSubjectToGC (relative to the maintenance start)
// are marked deleted; referenced contents that are marked deleted are undeleted. Manifest
// contents ("m") are never touched. Deleting only writes index entries: the data stays
// until the deletion watermark passes it and blob GC removes its pack.
import type { ContentInfo } from "../types.ts";
import { findInUseContents, listSnapshotRoots } from "./reachability.ts";
import type { SafetyParameters } from "./safety.ts";
import type { MaintenanceRepository } from "./types.ts";

export interface SnapshotGCStats {
  snapshots: number;
  inUseCount: number;
  inUseBytes: number;
  systemCount: number;
  systemBytes: number;
  unusedCount: number;
  unusedBytes: number;
  tooRecentCount: number;
  tooRecentBytes: number;
  undeletedCount: number;
  undeletedBytes: number;
  /** Contents that were already deleted and stay deleted. */
  alreadyDeletedCount: number;
  /** Contents marked deleted by this run. */
  deletedCount: number;
  deletedBytes: number;
}

export async function runSnapshotGC(
  repo: MaintenanceRepository,
  safety: SafetyParameters,
  maintenanceStart: Date,
  onProgress?: (msg: string) => void,
): Promise<SnapshotGCStats> {
  const st: SnapshotGCStats = {
    snapshots: 0, inUseCount: 0, inUseBytes: 0, systemCount: 0, systemBytes: 0, unusedCount: 0, unusedBytes: 0,
    tooRecentCount: 0, tooRecentBytes: 0, undeletedCount: 0, undeletedBytes: 0, alreadyDeletedCount: 0,
    deletedCount: 0, deletedBytes: 0,
  };
  const roots = await listSnapshotRoots(repo);
  st.snapshots = roots.length;
  onProgress?.(`Looking for active contents in ${roots.length} snapshot(s)...`);
  const used = await findInUseContents(repo, roots);

  onProgress?.("Looking for unreferenced contents...");
  // Decide first, act afterwards: the index must not change under the iteration.
  const toUndelete: ContentInfo[] = [];
  const toDelete: ContentInfo[] = [];
  for await (const ci of repo.contents.iterateContents({ includeDeleted: true })) {
    if (ci.contentId.startsWith("m")) {
      st.systemCount++;
      st.systemBytes += ci.packedLength;
      continue;
    }
    if (used.has(ci.contentId)) {
      if (ci.deleted) toUndelete.push(ci);
      st.inUseCount++;
      st.inUseBytes += ci.packedLength;
      continue;
    }
    if (maintenanceStart.getTime() - ci.timestampSeconds * 1000 < safety.minContentAgeSubjectToGCMs) {
      st.tooRecentCount++;
      st.tooRecentBytes += ci.packedLength;
      continue;
    }
    st.unusedCount++;
    st.unusedBytes += ci.packedLength;
    if (ci.deleted) st.alreadyDeletedCount++;
    else toDelete.push(ci);
  }
  for (const ci of toUndelete) {
    await repo.contents.undeleteContent(ci.contentId);
    st.undeletedCount++;
    st.undeletedBytes += ci.packedLength;
  }
  let n = 0;
  for (const ci of toDelete) {
    await repo.contents.deleteContent(ci.contentId);
    st.deletedCount++;
    st.deletedBytes += ci.packedLength;
    if (++n % 100_000 === 0) {
      onProgress?.(`... deleted ${n} unused contents so far`);
      await repo.contents.flush();
    }
  }
  await repo.contents.flush();
  onProgress?.(
    `GC found ${st.unusedCount} unused contents (${st.unusedBytes} bytes), ${st.tooRecentCount} too recent to delete, ` +
      `${st.inUseCount} in use, ${st.systemCount} system; undeleted ${st.undeletedCount}`,
  );
  return st;
}
