// The content-level repository: format + crypto + storage (retention-wrapped) + content manager.
// The object/manifest/snapshot layers are built on top of `ContentRepository`.
import type { BlobStorage } from "../storage/types.ts";
import { withRetention } from "../storage/locking.ts";
import { createEncryptor } from "../crypto/encryption.ts";
import { createHashFunc } from "../crypto/hash.ts";
import { hkdfSha256 } from "../crypto/hkdf.ts";
import type { Encryptor, HashFunc } from "../crypto/types.ts";
import type { Crypter } from "./blobcrypto.ts";
import { NS_PER_MS } from "./format/go-json.ts";
import type { BlobStorageConfiguration } from "./format/blobcfg.ts";
import { isRetentionEnabled } from "./format/blobcfg.ts";
import type { RepositoryConfig } from "./format/repository-config.ts";
import {
  changeFormatPassword, createFormat, loadFormat, setFormatParameters,
  type CreateOptions, type KnownFormatKey, type LoadedFormat, type SetParametersOptions,
} from "./format/format-manager.ts";
import { EpochManager } from "./epoch/epoch-manager.ts";
import { LegacyIndexManager } from "./epoch/legacy-index-manager.ts";
import { ContentManagerImpl } from "./content/content-manager.ts";

export type { CreateOptions, SetParametersOptions };

export interface OpenOptions {
  readOnly?: boolean;
  hostname?: string;
  username?: string;
  /** Clock override (tests). */
  now?: () => Date;
  /** Concurrent pack uploads per writer (default 2). */
  maxUploadsInFlight?: number;
  /** The format key of an earlier open of this repository (ContentRepository.formatKey): no KDF run. */
  formatKey?: KnownFormatKey;
}

export interface ContentRepository {
  /** Storage to use for every blob write (retention-wrapped when kopia.blobcfg asks for it). */
  readonly storage: BlobStorage;
  readonly config: RepositoryConfig;
  readonly uniqueId: Uint8Array;
  readonly formatEncryptionKey: Uint8Array;
  /** The derived format key, for opening further connections without the KDF (OpenOptions.formatKey). */
  readonly formatKey: KnownFormatKey;
  readonly blobCfg: BlobStorageConfiguration;
  readonly contents: ContentManagerImpl;
  readonly hash: HashFunc;
  readonly encryptor: Encryptor;
  readonly crypter: Crypter;
  readonly readOnly: boolean;
  changePassword(newPassword: string): Promise<void>;
  setParameters(p: SetParametersOptions): Promise<void>;
  /** HKDF-SHA256(masterKey, uniqueID, purpose) (format v2+); formatEncryptionKey as IKM for v1. */
  deriveKey(purpose: string, length: number): Uint8Array;
  /** Flushes pending writes. */
  close(): Promise<void>;
}

function wrapStorage(st: BlobStorage, c: BlobStorageConfiguration): BlobStorage {
  return isRetentionEnabled(c) ? withRetention(st, c.retentionMode!, c.retentionPeriod! / NS_PER_MS) : st;
}

/** Initialises a new repository (kopia.blobcfg + kopia.repository). Fails if one exists. */
export async function createContentRepository(storage: BlobStorage, password: string, opts: CreateOptions = {}): Promise<void> {
  const st =
    opts.retentionMode && opts.retentionPeriodMs
      ? withRetention(storage, opts.retentionMode, opts.retentionPeriodMs)
      : storage;
  await createFormat(st, password, opts);
}

/** Opens an existing repository. Reads only; a failed open never writes. */
export async function openContentRepository(storage: BlobStorage, password: string, opts: OpenOptions = {}): Promise<ContentRepository> {
  const lf: LoadedFormat = await loadFormat(storage, password, opts.formatKey);
  const hash = await createHashFunc(lf.config.hash, lf.config.secret);
  const encryptor = createEncryptor(lf.config.encryption, lf.config.masterKey);
  const crypter: Crypter = { hash, encryptor };
  const st = wrapStorage(storage, lf.blobCfg);
  const readOnly = !!opts.readOnly;
  let cm: ContentManagerImpl;
  const epochs = lf.config.epochParameters.Enabled;
  const source = epochs
    ? {
        kind: "epoch" as const,
        manager: new EpochManager(st, () => lf.config.epochParameters, (ids, prefix) => cm.compactionFunc(ids, prefix), {
          readOnly,
          now: opts.now,
        }),
      }
    : { kind: "legacy" as const, manager: new LegacyIndexManager(st, crypter) };
  cm = new ContentManagerImpl(st, lf.config, crypter, source, {
    readOnly,
    username: opts.username,
    hostname: opts.hostname,
    now: opts.now,
    maxUploadsInFlight: opts.maxUploadsInFlight,
  });
  await cm.refresh();

  const repo: ContentRepository = {
    get storage() {
      return wrapStorage(storage, lf.blobCfg);
    },
    get config() {
      return lf.config;
    },
    uniqueId: lf.formatBlob.uniqueID,
    get formatEncryptionKey() {
      return lf.formatEncryptionKey;
    },
    get formatKey() {
      return { uniqueID: lf.formatBlob.uniqueID, keyAlgo: lf.formatBlob.keyAlgo, key: lf.formatEncryptionKey };
    },
    get blobCfg() {
      return lf.blobCfg;
    },
    contents: cm,
    hash,
    encryptor,
    crypter,
    readOnly,
    async changePassword(newPassword: string) {
      await changeFormatPassword(wrapStorage(storage, lf.blobCfg), lf, newPassword);
    },
    async setParameters(p: SetParametersOptions) {
      // Written through a storage wrapped with the NEW retention so both format blobs get it.
      await setFormatParameters(storage, lf, p);
      Object.assign(cm.config, lf.config);
    },
    deriveKey(purpose: string, length: number): Uint8Array {
      const ikm = lf.config.enablePasswordChange ? lf.config.masterKey : lf.formatEncryptionKey;
      return hkdfSha256(ikm, lf.formatBlob.uniqueID, purpose, length);
    },
    async close() {
      if (!readOnly) await cm.flush();
    },
  };
  return repo;
}
