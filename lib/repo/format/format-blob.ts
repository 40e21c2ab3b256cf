// The `kopia.repository` blob (spec §2.1–§2.3): outer JSON plus the AES-256-GCM encrypted
// repository config. Key = HKDF(formatKey, uniqueID, "AES"), AAD = HKDF(formatKey, uniqueID, "CHECKSUM").
import { CorruptDataError, InvalidPasswordError, UnsupportedAlgorithmError } from "../../errors.ts";
import { hkdfSha256 } from "../../crypto/hkdf.ts";
import { aesGcmOpen, aesGcmSeal } from "../../crypto/aes-gcm.ts";
import { b64decode, b64encode, goEncodeIndent, goMarshal, parseJsonBytes } from "./go-json.ts";
import { type RepositoryConfig, parseRepositoryConfig, repositoryConfigToJson } from "./repository-config.ts";

export const FORMAT_BLOB_ID = "kopia.repository";
export const FORMAT_ENCRYPTION_AES256_GCM = "AES256_GCM";
export const DEFAULT_KEY_ALGO = "scrypt-65536-8-1";

export interface KopiaRepositoryJson {
  tool: string;
  buildVersion: string;
  buildInfo: string;
  uniqueID: Uint8Array;
  keyAlgo: string;
  encryption: string;
  encryptedBlockFormat: Uint8Array;
}

export function parseFormatBlob(data: Uint8Array): KopiaRepositoryJson {
  const o = parseJsonBytes(data, FORMAT_BLOB_ID);
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new CorruptDataError(`${FORMAT_BLOB_ID}: not a JSON object`);
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const f: KopiaRepositoryJson = {
    tool: str(o.tool),
    buildVersion: str(o.buildVersion),
    buildInfo: str(o.buildInfo),
    uniqueID: b64decode(o.uniqueID, `${FORMAT_BLOB_ID} uniqueID`),
    keyAlgo: str(o.keyAlgo),
    encryption: str(o.encryption),
    encryptedBlockFormat: b64decode(o.encryptedBlockFormat, `${FORMAT_BLOB_ID} encryptedBlockFormat`),
  };
  if (f.uniqueID.length === 0) throw new CorruptDataError(`${FORMAT_BLOB_ID}: missing uniqueID`);
  return f;
}

/** json.Encoder + SetIndent("", "  ") output, trailing newline. */
export function serializeFormatBlob(f: KopiaRepositoryJson): Uint8Array {
  const o: Record<string, unknown> = {
    tool: f.tool,
    buildVersion: f.buildVersion,
    buildInfo: f.buildInfo,
    uniqueID: b64encode(f.uniqueID),
    keyAlgo: f.keyAlgo,
    encryption: f.encryption,
  };
  if (f.encryptedBlockFormat.length) o.encryptedBlockFormat = b64encode(f.encryptedBlockFormat);
  return new TextEncoder().encode(goEncodeIndent(o));
}

function keys(formatKey: Uint8Array, uniqueID: Uint8Array): { key: Uint8Array; aad: Uint8Array } {
  return { key: hkdfSha256(formatKey, uniqueID, "AES", 32), aad: hkdfSha256(formatKey, uniqueID, "CHECKSUM", 32) };
}

/** Encrypts bytes the way kopia encrypts the repository config and blobcfg. */
export function encryptWithFormatKey(plain: Uint8Array, formatKey: Uint8Array, uniqueID: Uint8Array): Uint8Array {
  const k = keys(formatKey, uniqueID);
  return aesGcmSeal(k.key, plain, k.aad);
}

/** Throws InvalidPasswordError when authentication fails (wrong key). */
export function decryptWithFormatKey(data: Uint8Array, formatKey: Uint8Array, uniqueID: Uint8Array): Uint8Array {
  const k = keys(formatKey, uniqueID);
  try {
    return aesGcmOpen(k.key, data, k.aad);
  } catch {
    throw new InvalidPasswordError();
  }
}

export function decryptRepositoryConfig(f: KopiaRepositoryJson, formatKey: Uint8Array): RepositoryConfig {
  if (f.encryption !== FORMAT_ENCRYPTION_AES256_GCM) throw new UnsupportedAlgorithmError("format encryption", f.encryption);
  if (f.encryptedBlockFormat.length < 28) throw new CorruptDataError(`${FORMAT_BLOB_ID}: encrypted repository config is missing or truncated`);
  const plain = decryptWithFormatKey(f.encryptedBlockFormat, formatKey, f.uniqueID);
  return parseRepositoryConfig(parseJsonBytes(plain, `${FORMAT_BLOB_ID} repository config`));
}

export function encryptRepositoryConfig(f: KopiaRepositoryJson, cfg: RepositoryConfig, formatKey: Uint8Array): void {
  if (f.encryption !== FORMAT_ENCRYPTION_AES256_GCM) throw new UnsupportedAlgorithmError("format encryption", f.encryption);
  const plain = new TextEncoder().encode(goMarshal(repositoryConfigToJson(cfg)));
  f.encryptedBlockFormat = encryptWithFormatKey(plain, formatKey, f.uniqueID);
}
