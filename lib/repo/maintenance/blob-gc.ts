// Deletes pack and session blobs no index entry references (kopia repo/maintenance/blob_gc.go).
// A blob is kept when it is newer than the maintenance start (+1 s slack), younger than
// BlobDeleteMinAge, or belongs to a session whose marker checkpoint is younger than
// SessionExpirationAge: that is what protects packs of writers whose index is not written yet.
import type { BlobMetadata } from "../../storage/types.ts";
import type { SafetyParameters } from "./safety.ts";
import { listActiveSessions, sessionIdFromBlobId } from "./sessions.ts";
import type { MaintenanceRepository } from "./types.ts";

export const GC_BLOB_PREFIXES = ["p", "q", "s"] as const;
const CUTOFF_SLACK_MS = 1000;
const PARALLEL = 8;

export interface BlobGCStats {
  unreferencedCount: number;
  deletedCount: number;
  deletedBytes: number;
  keptTooNew: number;
  keptActiveSession: number;
}

export interface BlobGCOptions {
  prefixes?: readonly string[];
  dryRun?: boolean;
}

export async function deleteUnreferencedBlobs(
  repo: MaintenanceRepository,
  safety: SafetyParameters,
  maintenanceStart: Date,
  opts: BlobGCOptions = {},
  onProgress?: (msg: string) => void,
): Promise<BlobGCStats> {
  const prefixes = opts.prefixes ?? GC_BLOB_PREFIXES;
  const st: BlobGCStats = { unreferencedCount: 0, deletedCount: 0, deletedBytes: 0, keptTooNew: 0, keptActiveSession: 0 };
  onProgress?.("Looking for unreferenced blobs...");
  // Sessions first: a marker deleted after this point belongs to a session whose index is
  // already written, which the index read below will then see.
  const sessions = await listActiveSessions(repo);
  await repo.contents.refresh();
  const used = new Set<string>();
  for await (const ci of repo.contents.iterateContents({ includeDeleted: true })) used.add(ci.packBlobId);

  const cutoff = maintenanceStart.getTime() + CUTOFF_SLACK_MS;
  const victims: BlobMetadata[] = [];
  for (const prefix of prefixes) {
    for await (const bm of repo.storage.listBlobs(prefix)) {
      if (used.has(bm.id)) continue;
      const ts = bm.timestamp.getTime();
      if (ts > cutoff) {
        st.keptTooNew++;
        continue;
      }
      if (cutoff - ts < safety.blobDeleteMinAgeMs) {
        st.keptTooNew++;
        continue;
      }
      const s = sessions.get(sessionIdFromBlobId(bm.id));
      if (s && cutoff - s.checkpointTime.getTime() < safety.sessionExpirationAgeMs) {
        st.keptActiveSession++;
        continue;
      }
      st.unreferencedCount++;
      victims.push(bm);
    }
  }
  if (!opts.dryRun) {
    let next = 0;
    const worker = async () => {
      while (next < victims.length) {
        const bm = victims[next++];
        await repo.storage.deleteBlob(bm.id);
        st.deletedCount++;
        st.deletedBytes += bm.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, victims.length) }, worker));
  }
  onProgress?.(`Deleted total ${st.deletedCount} unreferenced blobs (${st.deletedBytes} bytes)`);
  return st;
}
