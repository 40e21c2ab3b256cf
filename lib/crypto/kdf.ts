// Password → format encryption key (spec §2.2). Async because scrypt-65536-8-1 takes a noticeable
// fraction of a second and PBKDF2 with 786k iterations longer; the CLI can show progress meanwhile.
import { pbkdf2, scrypt } from "node:crypto";
import { CorruptDataError, UnsupportedAlgorithmError } from "../errors.ts";
import { asU8 } from "./bytes.ts";

export const DEFAULT_KEY_ALGORITHM = "scrypt-65536-8-1";
const KEY_SIZE = 32;
const MIN_SALT_SIZE = 16;

type Kdf = (password: Uint8Array, salt: Uint8Array) => Promise<Uint8Array>;

/** Raw scrypt (RFC 7914); exported for known-answer tests. */
export function scryptKey(
  password: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, dkLen: number,
): Promise<Uint8Array> {
  // node's default maxmem (32 MiB) is below the 128*N*r bytes scrypt needs for N=65536, r=8.
  const maxmem = 128 * N * r * 2 + 128 * r * p + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, dkLen, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(asU8(key)))),
  );
}

/** Raw PBKDF2-HMAC-SHA256; exported for known-answer tests. */
export function pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, dkLen: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, dkLen, "sha256", (err, key) => (err ? reject(err) : resolve(asU8(key)))),
  );
}

const scryptKdf = (N: number, r: number, p: number): Kdf => (pw, salt) => scryptKey(pw, salt, N, r, p, KEY_SIZE);
const pbkdf2Kdf = (iterations: number): Kdf => (pw, salt) => pbkdf2Sha256(pw, salt, iterations, KEY_SIZE);

const KDFS: Record<string, Kdf> = {
  "scrypt-65536-8-1": scryptKdf(65536, 8, 1),
  pbkdf2: pbkdf2Kdf((1 << 20) - (1 << 18)),
  "pbkdf2-sha256-600000": pbkdf2Kdf(600_000),
};

export function supportedKeyAlgorithms(): string[] {
  return Object.keys(KDFS);
}

/** Derives the 32-byte format encryption key; salt is the repository uniqueID (≥ 16 bytes). */
export async function deriveKeyFromPassword(password: string, salt: Uint8Array, keyAlgo: string): Promise<Uint8Array> {
  const kdf = Object.hasOwn(KDFS, keyAlgo) ? KDFS[keyAlgo] : undefined;
  if (!kdf) throw new UnsupportedAlgorithmError("key derivation", keyAlgo);
  if (salt.length < MIN_SALT_SIZE) {
    throw new CorruptDataError(`key derivation salt (repository uniqueID) must be at least ${MIN_SALT_SIZE} bytes, got ${salt.length}`);
  }
  return kdf(new TextEncoder().encode(password), salt);
}
