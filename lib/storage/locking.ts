// kopia's wrapLockingStorage (repo/open.go): when the repository's blob config sets object-lock
// retention, every write of a blob that must survive tampering carries that retention.
// Session markers, logs and the maintenance schedule are rewritten/deleted freely, so they don't.
import type { BlobStorage, PutOptions, RetentionMode } from "./types.ts";

const LOCKED_PREFIXES = ["p", "q", "n", "x", "kopia.repository", "kopia.blobcfg"];

/** Whether kopia applies retention to a blob with this ID. */
export function isLockedBlobId(id: string): boolean {
  return LOCKED_PREFIXES.some((p) => id.startsWith(p));
}

export function withRetention(st: BlobStorage, mode: RetentionMode, periodMs: number): BlobStorage {
  const wrapped: BlobStorage = {
    displayName: st.displayName,
    getBlob: (id, offset, length) => st.getBlob(id, offset, length),
    getMetadata: (id) => st.getMetadata(id),
    putBlob: (id: string, data: Uint8Array, opts?: PutOptions) =>
      st.putBlob(id, data, isLockedBlobId(id) ? { ...opts, retentionMode: mode, retentionPeriodMs: periodMs } : opts),
    deleteBlob: (id) => st.deleteBlob(id),
    listBlobs: (prefix) => st.listBlobs(prefix),
    close: () => st.close(),
  };
  if (st.getBlobInto) {
    const into = st.getBlobInto.bind(st);
    wrapped.getBlobInto = (id, offset, out) => into(id, offset, out);
  }
  if (st.extendRetention) {
    const ext = st.extendRetention.bind(st);
    wrapped.extendRetention = (id, m, p) => ext(id, m, p);
  }
  return wrapped;
}
