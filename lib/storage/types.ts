// The blob storage contract every backend implements (kopia's blob.Storage, trimmed to what
// the repository engine uses). Blob IDs are kopia blob IDs ("kopia.repository", "p…", "xn0_…").
import { CorsoError, StorageError } from "../errors.ts";

export type RetentionMode = "GOVERNANCE" | "COMPLIANCE";

export interface BlobMetadata {
  id: string;
  length: number;
  /** Modification time (filesystem mtime, S3 LastModified). */
  timestamp: Date;
}

export interface PutOptions {
  /** Object-lock retention to apply to this blob (S3 only; filesystem rejects it). */
  retentionMode?: RetentionMode;
  /** Retention period in milliseconds. */
  retentionPeriodMs?: number;
  /** Fail if the blob already exists (used for kopia.repository at init). */
  doNotRecreate?: boolean;
}

export interface BlobStorage {
  /** Human-readable location for messages: "s3://bucket/prefix/" or "/path/to/repo". */
  readonly displayName: string;

  /**
   * Reads a blob, or a range of it when offset/length are given (length -1 = to the end).
   * Throws BlobNotFoundError when missing.
   */
  getBlob(id: string, offset?: number, length?: number): Promise<Uint8Array>;

  /**
   * Optional: reads exactly `out.length` bytes of a blob from `offset` into `out` (a caller's
   * recycled buffer, so a restore does not fault in a fresh buffer per content). Same errors as
   * getBlob for a range; a blob shorter than the range is an error.
   */
  getBlobInto?(id: string, offset: number, out: Uint8Array): Promise<void>;

  /** Metadata of one blob; throws BlobNotFoundError when missing. */
  getMetadata(id: string): Promise<BlobMetadata>;

  /** Atomically writes a whole blob (readers never observe a partial blob). */
  putBlob(id: string, data: Uint8Array, opts?: PutOptions): Promise<void>;

  /** Deletes a blob; deleting a missing blob is not an error. */
  deleteBlob(id: string): Promise<void>;

  /** Lists all blobs whose ID starts with prefix (in no particular order). */
  listBlobs(prefix: string): AsyncIterable<BlobMetadata>;

  /** Extends object-lock retention of an existing blob (S3 with object lock only). */
  extendRetention?(id: string, mode: RetentionMode, periodMs: number): Promise<void>;

  close(): Promise<void>;
}

/** Collects a listing into an array (convenience for small prefixes). */
export async function listAll(st: BlobStorage, prefix: string): Promise<BlobMetadata[]> {
  const out: BlobMetadata[] = [];
  for await (const m of st.listBlobs(prefix)) out.push(m);
  return out;
}

/** putBlob with doNotRecreate found the blob already present (nothing was written). */
export class BlobAlreadyExistsError extends CorsoError {
  constructor(readonly blobId: string) {
    super("blob-exists", `blob ${blobId} already exists`);
  }
}

/**
 * The storage location itself does not exist (filesystem directory opened without create).
 * A StorageError whose message reads like RepositoryNotFoundError's.
 */
export class StorageNotFoundError extends StorageError {
  constructor(readonly where: string) {
    super(`repository not found at ${where}: directory does not exist (run 'corso repo init' first)`);
  }
}
