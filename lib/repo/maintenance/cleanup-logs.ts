// Deletes old `_log_…` blobs (kopia repo/maintenance/cleanup_logs.go): newest first, keep
// until the total size, the count or the age limit is crossed, delete the rest.
import { type BlobMetadata, type BlobStorage, listAll } from "../../storage/types.ts";
import type { LogRetention } from "./params.ts";

/** Returns the blobs that were (or, with dryRun, would be) deleted. */
export async function cleanupLogs(
  storage: BlobStorage,
  opt: LogRetention,
  now: Date,
  dryRun = false,
): Promise<BlobMetadata[]> {
  // kopia lists the whole "_" prefix, not only "_log_".
  const all = await listAll(storage, "_");
  all.sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
  let total = 0;
  let cut = all.length;
  for (let i = 0; i < all.length; i++) {
    const bm = all[i];
    total += bm.length;
    if (opt.maxTotalSize > 0 && total > opt.maxTotalSize) {
      cut = i;
      break;
    }
    if (opt.maxCount > 0 && i >= opt.maxCount) {
      cut = i;
      break;
    }
    if (opt.maxAgeMs !== 0 && now.getTime() - bm.timestamp.getTime() > opt.maxAgeMs) {
      cut = i;
      break;
    }
  }
  const toDelete = all.slice(cut);
  if (!dryRun) for (const bm of toDelete) await storage.deleteBlob(bm.id);
  return toDelete;
}
