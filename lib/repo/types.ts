// Contracts between the layers of the kopia-format engine (content → object → manifest →
// snapshot), so that each layer can be built and tested on its own.

/** One index entry (spec §7.3/§7.4), merged across index blobs. */
export interface ContentInfo {
  contentId: string; // "[prefix]" + hex(hash)
  packBlobId: string;
  packOffset: number;
  packedLength: number;
  originalLength: number;
  timestampSeconds: number;
  deleted: boolean;
  compressionHeaderId: number; // 0 = none
  formatVersion: number;
  encryptionKeyId: number;
}

export interface WriteContentOptions {
  /** "" for data, or one letter 'g'..'z' ("k" dirs, "x" indirect lists, "m" manifests). */
  prefix: string;
  /** Compressor name of spec §6.2 ("zstd-better-compression"), or undefined for the default
   * (none for data; zstd-fastest for prefixed contents, as the fork forces). */
  compression?: string;
}

export interface ContentManager {
  /** Hash function output size in bytes (16 for the default). */
  readonly hashSize: number;
  /** Hashes plaintext and stores it unless already present; returns the content ID. */
  writeContent(data: Uint8Array, opts: WriteContentOptions): Promise<string>;
  /** Returns decrypted, decompressed plaintext. Throws BlobNotFoundError/CorruptDataError. */
  getContent(contentId: string): Promise<Uint8Array>;
  /** Index entry for a content, deleted ones included; undefined when unknown. */
  getContentInfo(contentId: string): Promise<ContentInfo | undefined>;
  /** Marks a content deleted (writes a deleted index entry at next flush). */
  deleteContent(contentId: string): Promise<void>;
  /** Reverses a deletion of a still-present content (snapshot GC undelete). */
  undeleteContent(contentId: string): Promise<void>;
  /** Iterates merged index entries (optionally by ID prefix; deleted only when asked). */
  iterateContents(opts?: { prefix?: string; includeDeleted?: boolean }): AsyncIterable<ContentInfo>;
  /** Seals pending packs, writes index blob(s), removes session markers. Durable on return. */
  flush(): Promise<void>;
  /** Re-reads the index set from storage (pick up other writers' contents). */
  refresh(): Promise<void>;
  /**
   * Whether contents may be hashed/compressed/encrypted in the process's chunk workers (default
   * true). Off, everything runs on the calling thread and no worker is started for this manager.
   */
  setUseWorkers?(on: boolean): void;
}

export interface ManifestEntryMetadata {
  id: string;
  labels: Record<string, string>;
  modTime: Date;
  length: number;
}
