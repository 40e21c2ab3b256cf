// Extends object-lock retention of every locked blob (kopia repo/maintenance/blob_retain.go):
// all blobs under the locking prefixes get RetainUntil = now + the blobcfg period again, so a
// repository whose retention is shorter than its lifetime stays protected.
import { CorsoError, StorageError, errorMessage } from "../../errors.ts";
import type { BlobStorage, RetentionMode } from "../../storage/types.ts";

/** kopia GetLockingStoragePrefixes(): pack prefixes, legacy index, epoch index, format blobs. */
export const LOCKING_PREFIXES = ["p", "q", "n", "x", "kopia.repository", "kopia.blobcfg"] as const;

export interface RetentionConfig {
  retentionMode?: RetentionMode;
  /** Nanoseconds, as stored in kopia.blobcfg. */
  retentionPeriod?: number;
}

export interface ExtendRetentionResult {
  extended: number;
  failed: { blobId: string; error: string }[];
}

const PARALLEL = 8;

/** Extends retention of all locked blobs; returns 0 when the repository has no retention. */
export async function extendBlobRetention(
  storage: BlobStorage,
  cfg: RetentionConfig,
  onProgress?: (msg: string) => void,
): Promise<ExtendRetentionResult> {
  const res: ExtendRetentionResult = { extended: 0, failed: [] };
  if (!cfg.retentionMode || !cfg.retentionPeriod) {
    onProgress?.("Object lock retention is disabled.");
    return res;
  }
  if (!storage.extendRetention) {
    throw new StorageError(`storage ${storage.displayName} does not support extending object-lock retention`);
  }
  const extend = storage.extendRetention.bind(storage);
  const mode = cfg.retentionMode;
  const periodMs = cfg.retentionPeriod / 1_000_000;
  const ids: string[] = [];
  // kopia iterates each prefix; "kopia.repository" also covers format-blob backups.
  for (const prefix of LOCKING_PREFIXES) {
    for await (const bm of storage.listBlobs(prefix)) ids.push(bm.id);
  }
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        await extend(id, mode, periodMs);
        res.extended++;
      } catch (e) {
        res.failed.push({ blobId: id, error: errorMessage(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, worker));
  if (res.failed.length > 0) {
    throw new CorsoError(
      "retention-extend-failed",
      `failed to extend object-lock retention of ${res.failed.length} blob(s), first: ${res.failed[0].blobId}: ${res.failed[0].error}`,
    );
  }
  return res;
}
