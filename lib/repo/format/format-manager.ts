// Creating, opening and rewriting the repository format (kopia.repository + kopia.blobcfg).
// Open never writes; a failed open leaves storage untouched.
import { BlobNotFoundError, CorruptDataError, CorsoError, RepositoryExistsError, RepositoryNotFoundError, UnsupportedAlgorithmError, UsageError } from "../../errors.ts";
import type { BlobStorage, RetentionMode } from "../../storage/types.ts";
import { deriveKeyFromPassword } from "../../crypto/kdf.ts";
import { randomBytes } from "../../crypto/random.ts";
import { HOUR_NS, NS_PER_MS } from "./go-json.ts";
import {
  DEFAULT_KEY_ALGO, FORMAT_BLOB_ID, FORMAT_ENCRYPTION_AES256_GCM, type KopiaRepositoryJson,
  decryptRepositoryConfig, encryptRepositoryConfig, parseFormatBlob, serializeFormatBlob,
} from "./format-blob.ts";
import { BLOBCFG_BLOB_ID, type BlobStorageConfiguration, isRetentionEnabled, parseBlobCfg, serializeBlobCfg, validateBlobCfg } from "./blobcfg.ts";
import { DEFAULT_MAX_PACK_SIZE, MAX_VALID_PACK_SIZE, MIN_VALID_PACK_SIZE, type RepositoryConfig } from "./repository-config.ts";
import { type EpochParameters, defaultEpochParameters, disabledEpochParameters, validateEpochParameters } from "./epoch-parameters.ts";

export const DEFAULT_HASH = "BLAKE2B-256-128";
export const DEFAULT_ENCRYPTION = "AES256-GCM-HMAC-SHA256";
export const DEFAULT_SPLITTER = "DYNAMIC-4M-BUZHASH";
export const CURRENT_WRITE_VERSION = 3;
export const UNIQUE_ID_LENGTH = 32;

/** Features this implementation understands in `requiredFeatures` (kopia 0.15 defines none). */
const SUPPORTED_FEATURES: string[] = [];

export class UnsupportedRepositoryFeatureError extends CorsoError {
  constructor(feature: string, detail: string) {
    super("unsupported-feature", `repository requires feature '${feature}' which this version does not support${detail ? `: ${detail}` : ""}`);
  }
}

export interface CreateOptions {
  hash?: string;
  encryption?: string;
  splitter?: string;
  /** 1..3; default 3. Version 1 creates a legacy (index v1, no epochs) repository. */
  formatVersion?: number;
  maxPackSize?: number;
  keyAlgo?: string;
  retentionMode?: RetentionMode;
  retentionPeriodMs?: number;
  /** Partial overrides of the default epoch parameters (durations in ns). */
  epochParameters?: Partial<EpochParameters>;
  buildVersion?: string;
  buildInfo?: string;
}

export interface LoadedFormat {
  formatBlob: KopiaRepositoryJson;
  config: RepositoryConfig;
  formatEncryptionKey: Uint8Array;
  blobCfg: BlobStorageConfiguration;
}

async function getOptional(st: BlobStorage, id: string): Promise<Uint8Array | undefined> {
  try {
    return await st.getBlob(id);
  } catch (e) {
    if (e instanceof BlobNotFoundError) return undefined;
    throw e;
  }
}

export function validateMutableParameters(cfg: RepositoryConfig): void {
  if (cfg.maxPackSize < MIN_VALID_PACK_SIZE) throw new UsageError(`max pack size too small, must be >= ${MIN_VALID_PACK_SIZE} bytes`);
  if (cfg.maxPackSize > MAX_VALID_PACK_SIZE) throw new UsageError(`max pack size too big, must be <= ${MAX_VALID_PACK_SIZE} bytes`);
  if (cfg.indexVersion < 0 || cfg.indexVersion > 2) throw new UsageError("invalid index version, supported versions are 1 & 2");
  validateEpochParameters(cfg.epochParameters);
}

/** Checks everything the engine needs to understand to use this repository. */
export function checkConfigSupported(cfg: RepositoryConfig): void {
  if (cfg.version < 1 || cfg.version > 3) throw new CorruptDataError(`${FORMAT_BLOB_ID}: unsupported format version ${cfg.version}`);
  if (cfg.indexVersion !== 1 && cfg.indexVersion !== 2) throw new CorruptDataError(`${FORMAT_BLOB_ID}: unsupported index version ${cfg.indexVersion}`);
  if (cfg.eccOverheadPercent && cfg.eccOverheadPercent > 0) throw new UnsupportedAlgorithmError("ecc", cfg.ecc || "(unnamed)");
  for (const r of cfg.requiredFeatures ?? []) {
    if (SUPPORTED_FEATURES.includes(r.feature) || r.ifNotUnderstood.warn) continue;
    const extra = [r.ifNotUnderstood.message, r.ifNotUnderstood.upgradeToVersion && `upgrade to ${r.ifNotUnderstood.upgradeToVersion} or newer`]
      .filter(Boolean).join("; ");
    throw new UnsupportedRepositoryFeatureError(r.feature, extra);
  }
  if (cfg.upgradeLock) {
    throw new CorsoError("upgrade-in-progress", "repository format upgrade in progress (kopia.repository has an upgrade lock); retry after the upgrade finishes");
  }
}

export function newRepositoryConfig(opts: CreateOptions = {}): RepositoryConfig {
  const version = opts.formatVersion ?? CURRENT_WRITE_VERSION;
  if (version < 1 || version > 3) throw new UsageError(`invalid format version ${version} (1..3)`);
  const v1 = version === 1;
  return {
    hash: opts.hash ?? DEFAULT_HASH,
    encryption: opts.encryption ?? DEFAULT_ENCRYPTION,
    secret: randomBytes(32),
    masterKey: randomBytes(32),
    version,
    maxPackSize: opts.maxPackSize ?? DEFAULT_MAX_PACK_SIZE,
    indexVersion: v1 ? 1 : 2,
    epochParameters: v1 ? disabledEpochParameters() : { ...defaultEpochParameters(), ...(opts.epochParameters ?? {}) },
    enablePasswordChange: !v1,
    splitter: opts.splitter ?? DEFAULT_SPLITTER,
  };
}

/**
 * Writes kopia.blobcfg then kopia.repository for a new repository. `st` should already be
 * the retention-wrapped storage when retention is requested (so both blobs are locked).
 */
export async function createFormat(st: BlobStorage, password: string, opts: CreateOptions = {}): Promise<LoadedFormat> {
  if ((await getOptional(st, FORMAT_BLOB_ID)) !== undefined) throw new RepositoryExistsError(st.displayName);
  if ((await getOptional(st, BLOBCFG_BLOB_ID)) !== undefined) {
    throw new CorruptDataError(`possible corruption: ${BLOBCFG_BLOB_ID} exists, but ${FORMAT_BLOB_ID} is not found in ${st.displayName}`);
  }
  const blobCfg: BlobStorageConfiguration = {};
  if (opts.retentionMode) blobCfg.retentionMode = opts.retentionMode;
  if (opts.retentionPeriodMs) blobCfg.retentionPeriod = opts.retentionPeriodMs * NS_PER_MS;
  validateBlobCfg(blobCfg);
  const config = newRepositoryConfig(opts);
  validateMutableParameters(config);
  const formatBlob: KopiaRepositoryJson = {
    tool: "https://github.com/kopia/kopia",
    buildVersion: opts.buildVersion ?? "v0-unofficial",
    buildInfo: opts.buildInfo ?? "unknown",
    uniqueID: randomBytes(UNIQUE_ID_LENGTH),
    keyAlgo: opts.keyAlgo ?? DEFAULT_KEY_ALGO,
    encryption: FORMAT_ENCRYPTION_AES256_GCM,
    encryptedBlockFormat: new Uint8Array(0),
  };
  const formatEncryptionKey = await deriveKeyFromPassword(password, formatBlob.uniqueID, formatBlob.keyAlgo);
  encryptRepositoryConfig(formatBlob, config, formatEncryptionKey);
  await writeFormatBlobs(st, formatBlob, blobCfg, formatEncryptionKey);
  return { formatBlob, config, formatEncryptionKey, blobCfg };
}

function putOpts(c: BlobStorageConfiguration) {
  return isRetentionEnabled(c) ? { retentionMode: c.retentionMode, retentionPeriodMs: c.retentionPeriod! / NS_PER_MS } : undefined;
}

/** blobcfg first, then kopia.repository (same order as kopia). */
async function writeFormatBlobs(st: BlobStorage, f: KopiaRepositoryJson, c: BlobStorageConfiguration, key: Uint8Array): Promise<void> {
  await st.putBlob(BLOBCFG_BLOB_ID, serializeBlobCfg(f, c, key), putOpts(c));
  await st.putBlob(FORMAT_BLOB_ID, serializeFormatBlob(f), putOpts(c));
}

/**
 * A format encryption key an earlier open already derived from the password (the KDF costs
 * ~0.2–0.4 s of CPU per open with scrypt-65536-8-1): for further connections in one process.
 */
export interface KnownFormatKey {
  uniqueID: Uint8Array;
  keyAlgo: string;
  key: Uint8Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Reads and decrypts the format. Never writes. With `known` for this repository (same uniqueID
 * and key algorithm) the key is used as is and the password is not run through the KDF; if that
 * key no longer opens the format (the password was changed meanwhile), the password is used.
 */
export async function loadFormat(st: BlobStorage, password: string, known?: KnownFormatKey): Promise<LoadedFormat> {
  const raw = await getOptional(st, FORMAT_BLOB_ID);
  if (raw === undefined) throw new RepositoryNotFoundError(st.displayName);
  const formatBlob = parseFormatBlob(raw);
  if (formatBlob.encryption !== FORMAT_ENCRYPTION_AES256_GCM) throw new UnsupportedAlgorithmError("format encryption", formatBlob.encryption);
  if (known && known.keyAlgo === formatBlob.keyAlgo && sameBytes(known.uniqueID, formatBlob.uniqueID)) {
    let config: RepositoryConfig | undefined;
    try {
      config = decryptRepositoryConfig(formatBlob, known.key);
    } catch {
      // stale key: derive from the password below
    }
    if (config) {
      checkConfigSupported(config);
      const blobCfg = parseBlobCfg(formatBlob, await getOptional(st, BLOBCFG_BLOB_ID), known.key);
      return { formatBlob, config, formatEncryptionKey: known.key, blobCfg };
    }
  }
  const formatEncryptionKey = await deriveKeyFromPassword(password, formatBlob.uniqueID, formatBlob.keyAlgo);
  const config = decryptRepositoryConfig(formatBlob, formatEncryptionKey);
  checkConfigSupported(config);
  const blobCfg = parseBlobCfg(formatBlob, await getOptional(st, BLOBCFG_BLOB_ID), formatEncryptionKey);
  return { formatBlob, config, formatEncryptionKey, blobCfg };
}

/** Re-encrypts the config with a key derived from the new password; masterKey/secret unchanged. */
export async function changeFormatPassword(st: BlobStorage, lf: LoadedFormat, newPassword: string): Promise<void> {
  if (!lf.config.enablePasswordChange) {
    throw new UsageError("password changes are not supported for repositories created using Kopia v0.8 or older (format version 1)");
  }
  const key = await deriveKeyFromPassword(newPassword, lf.formatBlob.uniqueID, lf.formatBlob.keyAlgo);
  const fb = { ...lf.formatBlob };
  encryptRepositoryConfig(fb, lf.config, key);
  await writeFormatBlobs(st, fb, lf.blobCfg, key);
  lf.formatBlob = fb;
  lf.formatEncryptionKey = key;
}

export interface SetParametersOptions {
  maxPackSize?: number;
  /** Partial epoch parameter changes (ns durations). */
  epochParameters?: Partial<EpochParameters>;
  /** Corso convenience: MinEpochDuration in ms (Corso allows [2h, 7d]). */
  minEpochDurationMs?: number;
  retentionMode?: RetentionMode | "";
  retentionPeriodMs?: number;
  /** Upgrade the format version (2 → 3); downgrades are refused. */
  formatVersion?: number;
}

/** Validates and rewrites kopia.blobcfg then kopia.repository. */
export async function setFormatParameters(st: BlobStorage, lf: LoadedFormat, p: SetParametersOptions): Promise<void> {
  const cfg: RepositoryConfig = { ...lf.config, epochParameters: { ...lf.config.epochParameters } };
  if (p.maxPackSize !== undefined) cfg.maxPackSize = p.maxPackSize;
  if (p.epochParameters) {
    if (!cfg.epochParameters.Enabled) throw new UsageError("epoch parameters can't be changed: epochs are not enabled in this (format version 1) repository");
    Object.assign(cfg.epochParameters, p.epochParameters);
  }
  if (p.minEpochDurationMs !== undefined) {
    if (!cfg.epochParameters.Enabled) throw new UsageError("epoch parameters can't be changed: epochs are not enabled in this (format version 1) repository");
    cfg.epochParameters.MinEpochDuration = p.minEpochDurationMs * NS_PER_MS;
  }
  if (p.formatVersion !== undefined) {
    if (p.formatVersion < cfg.version) throw new UsageError(`can't downgrade format version from ${cfg.version} to ${p.formatVersion}`);
    if (p.formatVersion > CURRENT_WRITE_VERSION) throw new UsageError(`format version ${p.formatVersion} is not supported (max ${CURRENT_WRITE_VERSION})`);
    if (cfg.version === 1 && p.formatVersion > 1) throw new UsageError("upgrading a format version 1 repository is not supported");
    cfg.version = p.formatVersion;
  }
  validateMutableParameters(cfg);
  const blobCfg = { ...lf.blobCfg };
  if (p.retentionMode !== undefined) {
    if (p.retentionMode) blobCfg.retentionMode = p.retentionMode;
    else delete blobCfg.retentionMode;
  }
  if (p.retentionPeriodMs !== undefined) {
    if (p.retentionPeriodMs) blobCfg.retentionPeriod = p.retentionPeriodMs * NS_PER_MS;
    else delete blobCfg.retentionPeriod;
  }
  validateBlobCfg(blobCfg);
  const fb = { ...lf.formatBlob };
  encryptRepositoryConfig(fb, cfg, lf.formatEncryptionKey);
  await writeFormatBlobs(st, fb, blobCfg, lf.formatEncryptionKey);
  lf.formatBlob = fb;
  lf.config = cfg;
  lf.blobCfg = blobCfg;
}

export { HOUR_NS };
