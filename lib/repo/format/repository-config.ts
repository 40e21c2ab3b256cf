// RepositoryConfig (spec §2.3): ContentFormat (+MutableParameters) and ObjectFormat flattened,
// plus upgradeLock/requiredFeatures. Serialised in Go struct declaration order.
import { CorruptDataError } from "../../errors.ts";
import { b64decode, b64encode } from "./go-json.ts";
import { type EpochParameters, parseEpochParameters } from "./epoch-parameters.ts";

export const DEFAULT_MAX_PACK_SIZE = 20 << 20;
export const MIN_VALID_PACK_SIZE = 10 << 20;
export const MAX_VALID_PACK_SIZE = 120 << 20;

export interface RequiredFeature {
  feature: string;
  ifNotUnderstood: { warn: boolean; message?: string; url?: string; upgradeToVersion?: string };
}

export interface RepositoryConfig {
  hash: string;
  encryption: string;
  ecc?: string;
  eccOverheadPercent?: number;
  /** Hash key ("HMAC secret"), used directly as the keyed-hash key. */
  secret: Uint8Array;
  masterKey: Uint8Array;
  /** Format version 1..3. */
  version: number;
  maxPackSize: number;
  /** 1 or 2 (0 in JSON is read as 1). */
  indexVersion: number;
  epochParameters: EpochParameters;
  enablePasswordChange: boolean;
  splitter?: string;
  /** Raw upgrade-lock intent object, kept verbatim when present. */
  upgradeLock?: Record<string, unknown>;
  requiredFeatures?: RequiredFeature[];
}

/** Parses the decrypted `{"format": {...}}` document. */
export function parseRepositoryConfig(doc: any): RepositoryConfig {
  const f = doc?.format;
  if (!f || typeof f !== "object") throw new CorruptDataError("kopia.repository: repository config has no \"format\" object");
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const cfg: RepositoryConfig = {
    hash: str(f.hash),
    encryption: str(f.encryption),
    secret: b64decode(f.secret, "kopia.repository secret"),
    masterKey: b64decode(f.masterKey, "kopia.repository masterKey"),
    version: num(f.version),
    maxPackSize: num(f.maxPackSize) || DEFAULT_MAX_PACK_SIZE,
    indexVersion: num(f.indexVersion) || 1,
    epochParameters: parseEpochParameters(f.epochParameters),
    enablePasswordChange: f.enablePasswordChange === true,
  };
  if (typeof f.ecc === "string" && f.ecc) cfg.ecc = f.ecc;
  if (num(f.eccOverheadPercent)) cfg.eccOverheadPercent = num(f.eccOverheadPercent);
  if (typeof f.splitter === "string" && f.splitter) cfg.splitter = f.splitter;
  if (f.upgradeLock && typeof f.upgradeLock === "object") cfg.upgradeLock = f.upgradeLock;
  if (Array.isArray(f.requiredFeatures)) {
    cfg.requiredFeatures = f.requiredFeatures.map((r: any) => ({
      feature: str(r?.feature),
      ifNotUnderstood: {
        warn: r?.ifNotUnderstood?.warn === true,
        ...(r?.ifNotUnderstood?.message ? { message: String(r.ifNotUnderstood.message) } : {}),
        ...(r?.ifNotUnderstood?.url ? { url: String(r.ifNotUnderstood.url) } : {}),
        ...(r?.ifNotUnderstood?.upgradeToVersion ? { upgradeToVersion: String(r.ifNotUnderstood.upgradeToVersion) } : {}),
      },
    }));
  }
  return cfg;
}

/** Builds the object for json.Marshal(&EncryptedRepositoryConfig{Format: cfg}) in Go field order. */
export function repositoryConfigToJson(cfg: RepositoryConfig): { format: Record<string, unknown> } {
  const f: Record<string, unknown> = {};
  if (cfg.hash) f.hash = cfg.hash;
  if (cfg.encryption) f.encryption = cfg.encryption;
  if (cfg.ecc) f.ecc = cfg.ecc;
  if (cfg.eccOverheadPercent) f.eccOverheadPercent = cfg.eccOverheadPercent;
  if (cfg.secret.length) f.secret = b64encode(cfg.secret);
  if (cfg.masterKey.length) f.masterKey = b64encode(cfg.masterKey);
  if (cfg.version) f.version = cfg.version;
  if (cfg.maxPackSize) f.maxPackSize = cfg.maxPackSize;
  if (cfg.indexVersion) f.indexVersion = cfg.indexVersion;
  const p = cfg.epochParameters;
  f.epochParameters = {
    Enabled: p.Enabled,
    EpochRefreshFrequency: p.EpochRefreshFrequency,
    FullCheckpointFrequency: p.FullCheckpointFrequency,
    CleanupSafetyMargin: p.CleanupSafetyMargin,
    MinEpochDuration: p.MinEpochDuration,
    EpochAdvanceOnCountThreshold: p.EpochAdvanceOnCountThreshold,
    EpochAdvanceOnTotalSizeBytesThreshold: p.EpochAdvanceOnTotalSizeBytesThreshold,
    DeleteParallelism: p.DeleteParallelism,
  };
  f.enablePasswordChange = cfg.enablePasswordChange;
  if (cfg.splitter) f.splitter = cfg.splitter;
  if (cfg.upgradeLock) f.upgradeLock = cfg.upgradeLock;
  if (cfg.requiredFeatures?.length) f.requiredFeatures = cfg.requiredFeatures;
  return { format: f };
}
