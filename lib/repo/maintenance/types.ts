// The slice of the repository that maintenance uses, as structural types so that maintenance
// depends only on public APIs of the content/object/manifest layers.
import type { BlobStorage, RetentionMode } from "../../storage/types.ts";
import type { ContentInfo, ContentManager, ManifestEntryMetadata } from "../types.ts";

export interface MaintenanceContentManager extends ContentManager {
  /** Rewrites a content into a new pack, keeping its deleted flag (kopia RewriteContent). */
  rewriteContent(contentId: string): Promise<void>;
}

export interface MaintenanceManifests {
  find(labels: Record<string, string>): Promise<ManifestEntryMetadata[]>;
  /** Payload of a manifest (parsed JSON). */
  get(id: string): Promise<{ payload: unknown; labels: Record<string, string> } | unknown>;
  put(labels: Record<string, string>, payload: unknown): Promise<string>;
  delete(id: string): Promise<void>;
  flush(): Promise<void>;
  /** Drops cached manifests so the next read sees other clients' writes. */
  invalidate?(): void;
}

export interface MaintenanceObjects {
  readObject(objectId: string): Promise<Uint8Array>;
  backingContents(objectId: string): Promise<string[]>;
}

export interface MaintenanceRepository {
  storage: BlobStorage;
  contents: MaintenanceContentManager;
  objects: MaintenanceObjects;
  manifests: MaintenanceManifests;
  deriveKey(purpose: string, length: number): Uint8Array | Promise<Uint8Array>;
  /** Decrypts an encrypted metadata blob (session marker) given its ID. */
  decryptMetadataBlob(blobId: string, data: Uint8Array): Uint8Array;
  maxPackSize: number;
  retention: { retentionMode?: RetentionMode; retentionPeriod?: number };
  readOnly: boolean;
  /** Format v2+ repositories index through the epoch manager. */
  hasEpochManager: boolean;
  /** Writes the `xw` deletion watermark unless that would move it backwards. */
  advanceDeletionWatermark(t: Date): Promise<boolean>;
  /** Compacts settled epochs and deletes superseded index blobs, old markers and watermarks. */
  epochMaintenance(): Promise<{ compactedEpochs: number[]; supersededIndexBlobsDeleted: number; markersDeleted: number }>;
}

export type { ContentInfo };
