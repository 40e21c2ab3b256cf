// Contracts of the crypto layer (kopia-format spec §2–§4). Implementations live one primitive
// per file in lib/crypto/; the repository engine only sees these types.

/** Keyed content hash (spec §4.1): output length fixed per algorithm (16 for BLAKE2B-256-128). */
export interface HashFunc {
  readonly name: string;
  readonly size: number;
  (data: Uint8Array): Uint8Array;
}

/** Per-content authenticated encryption (spec §3): ciphertext = nonce(12) || ct || tag(16). */
export interface Encryptor {
  readonly name: string;
  /** Constant ciphertext overhead in bytes (28 for both supported algorithms). */
  readonly overhead: number;
  encrypt(plaintext: Uint8Array, iv: Uint8Array): Uint8Array;
  /** Throws CorruptDataError when authentication fails. */
  decrypt(ciphertext: Uint8Array, iv: Uint8Array): Uint8Array;
}
