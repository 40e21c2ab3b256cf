// `kopia.blobcfg` (spec §2.4): retention mode + period, encrypted like the repository config.
import { CorruptDataError, UnsupportedAlgorithmError, UsageError } from "../../errors.ts";
import type { RetentionMode } from "../../storage/types.ts";
import { goMarshal, parseJsonBytes, HOUR_NS } from "./go-json.ts";
import { decryptWithFormatKey, encryptWithFormatKey, FORMAT_ENCRYPTION_AES256_GCM, type KopiaRepositoryJson } from "./format-blob.ts";

export const BLOBCFG_BLOB_ID = "kopia.blobcfg";

export interface BlobStorageConfiguration {
  retentionMode?: RetentionMode;
  /** Nanoseconds (Go time.Duration). */
  retentionPeriod?: number;
}

export function isRetentionEnabled(c: BlobStorageConfiguration): boolean {
  return !!c.retentionMode && !!c.retentionPeriod;
}

export function validateBlobCfg(c: BlobStorageConfiguration): void {
  if (!c.retentionMode !== !c.retentionPeriod) {
    throw new UsageError("both retention mode and period must be provided when setting blob retention properties");
  }
  if (c.retentionMode && c.retentionMode !== "GOVERNANCE" && c.retentionMode !== "COMPLIANCE") {
    throw new UsageError(`invalid retention mode "${c.retentionMode}" (GOVERNANCE or COMPLIANCE)`);
  }
  if (c.retentionPeriod && c.retentionPeriod < 24 * HOUR_NS) {
    throw new UsageError("invalid retention-period, the minimum required is 1-day and there is no maximum limit");
  }
}

export function serializeBlobCfg(f: KopiaRepositoryJson, c: BlobStorageConfiguration, formatKey: Uint8Array): Uint8Array {
  const o: Record<string, unknown> = {};
  if (c.retentionMode) o.retentionMode = c.retentionMode;
  if (c.retentionPeriod) o.retentionPeriod = c.retentionPeriod;
  const plain = new TextEncoder().encode(goMarshal(o));
  if (f.encryption === "NONE") return plain;
  if (f.encryption !== FORMAT_ENCRYPTION_AES256_GCM) throw new UnsupportedAlgorithmError("format encryption", f.encryption);
  return encryptWithFormatKey(plain, formatKey, f.uniqueID);
}

/** `data` undefined = blob missing = no retention. */
export function parseBlobCfg(f: KopiaRepositoryJson, data: Uint8Array | undefined, formatKey: Uint8Array): BlobStorageConfiguration {
  if (!data) return {};
  let plain: Uint8Array;
  if (f.encryption === "NONE") plain = data;
  else if (f.encryption === FORMAT_ENCRYPTION_AES256_GCM) {
    try {
      plain = decryptWithFormatKey(data, formatKey, f.uniqueID);
    } catch {
      throw new CorruptDataError(`${BLOBCFG_BLOB_ID}: unable to decrypt repository blobcfg blob`);
    }
  } else throw new UnsupportedAlgorithmError("format encryption", f.encryption);
  const o = parseJsonBytes(plain, BLOBCFG_BLOB_ID);
  const c: BlobStorageConfiguration = {};
  if (typeof o?.retentionMode === "string" && o.retentionMode) c.retentionMode = o.retentionMode as RetentionMode;
  if (typeof o?.retentionPeriod === "number" && o.retentionPeriod) c.retentionPeriod = o.retentionPeriod;
  return c;
}
