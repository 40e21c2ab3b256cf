// Keyed content hash functions (spec §4.1). The key is the repository `secret` used directly
// (empty when the repository was created with DisableHMAC). Creation is async because the
// WASM hashers must be instantiated; the returned HashFunc is synchronous and reuses one
// hasher instance (safe: JS is single-threaded and a call never yields mid-hash).
import { createHmac } from "node:crypto";
import { createBLAKE2b, createBLAKE2s, createBLAKE3, type IHasher } from "hash-wasm";
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { UnsupportedAlgorithmError, UsageError } from "../errors.ts";
import { asU8 } from "./bytes.ts";
import type { HashFunc } from "./types.ts";

export const DEFAULT_HASH_ALGORITHM = "BLAKE2B-256-128";
/** Largest output of any supported hash (bytes). */
export const MAX_HASH_SIZE = 32;

type Factory = (secret: Uint8Array) => Promise<(data: Uint8Array) => Uint8Array>;

/** Wraps a reusable WASM hasher; output truncated to `size` bytes. */
function wasmHash(create: (key: Uint8Array) => Promise<IHasher>, size: number): Factory {
  return async (secret) => {
    const h = await create(secret);
    return (data) => {
      h.init();
      h.update(data);
      const d = h.digest("binary");
      return d.length === size ? d : d.slice(0, size);
    };
  };
}

function blake2b256(maxKey: number): (key: Uint8Array) => Promise<IHasher> {
  return (key) => {
    if (key.length > maxKey) throw new UsageError(`BLAKE2b key longer than ${maxKey} bytes`);
    return createBLAKE2b(256, key.length ? key : undefined);
  };
}

function blake2s(bits: 128 | 256): (key: Uint8Array) => Promise<IHasher> {
  return (key) => {
    if (key.length > 32) throw new UsageError("BLAKE2s key longer than 32 bytes");
    // Go's blake2s.New128 refuses an empty key (a 128-bit unkeyed digest is not a secure hash).
    if (bits === 128 && key.length === 0) throw new UsageError("BLAKE2S-128 requires a non-empty hash secret");
    return createBLAKE2s(bits, key.length ? key : undefined);
  };
}

/** kopia expands keys shorter than 32 bytes with BLAKE3 derive-key mode and truncates longer ones. */
export function blake3KopiaKey(secret: Uint8Array): Uint8Array {
  if (secret.length >= 32) return secret.slice(0, 32);
  return nobleBlake3(secret, { context: new TextEncoder().encode("kopia blake3 derived key v1"), dkLen: 32 });
}

function hmac(digest: string, size: number): Factory {
  return async (secret) => {
    const key = Buffer.from(secret);
    return (data) => {
      const d = asU8(createHmac(digest, key).update(data).digest());
      return d.length === size ? d : d.slice(0, size);
    };
  };
}

const SIZES: Record<string, number> = {};
const FACTORIES: Record<string, Factory> = {};
function register(name: string, size: number, f: Factory): void {
  SIZES[name] = size;
  FACTORIES[name] = f;
}

register("BLAKE2B-256-128", 16, wasmHash(blake2b256(64), 16));
register("BLAKE2B-256", 32, wasmHash(blake2b256(64), 32));
register("BLAKE2S-128", 16, wasmHash(blake2s(128), 16));
register("BLAKE2S-256", 32, wasmHash(blake2s(256), 32));
register("BLAKE3-256", 32, wasmHash((k) => createBLAKE3(256, blake3KopiaKey(k)), 32));
register("BLAKE3-256-128", 16, wasmHash((k) => createBLAKE3(256, blake3KopiaKey(k)), 16));
register("HMAC-SHA256", 32, hmac("sha256", 32));
register("HMAC-SHA256-128", 16, hmac("sha256", 16));
register("HMAC-SHA224", 28, hmac("sha224", 28));
register("HMAC-SHA3-224", 28, hmac("sha3-224", 28));
register("HMAC-SHA3-256", 32, hmac("sha3-256", 32));

export function supportedHashAlgorithms(): string[] {
  return Object.keys(FACTORIES);
}

/** Output size in bytes of a hash algorithm, without instantiating it. */
export function hashSize(name: string): number {
  const s = Object.hasOwn(SIZES, name) ? SIZES[name] : undefined;
  if (s === undefined) throw new UnsupportedAlgorithmError("hash", name);
  return s;
}

export async function createHashFunc(name: string, secret: Uint8Array): Promise<HashFunc> {
  const size = hashSize(name);
  // Each call builds a fresh closure, so tagging it with name/size mutates nothing shared.
  const hf = (await FACTORIES[name](secret ?? new Uint8Array(0))) as HashFunc;
  Object.defineProperty(hf, "name", { value: name });
  Object.defineProperty(hf, "size", { value: size });
  return hf;
}
