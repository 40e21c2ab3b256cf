// Per-content authenticated encryption (spec §3). Both algorithms derive a per-content key:
//   keyDerivationSecret = HKDF-SHA256(IKM=masterKey, salt="encryption", info="")
//   perContentKey       = HMAC-SHA256(keyDerivationSecret, iv)
// then AEAD with AAD = iv; output nonce(12) || ct || tag(16). Bun's node:crypto has AES-GCM but no
// ChaCha20-Poly1305, so that one uses @noble/ciphers (slower, but it is never kopia's default).
import { createHmac } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { CorruptDataError, UnsupportedAlgorithmError } from "../errors.ts";
import { aesGcmOpen, aesGcmSeal, GCM_NONCE_SIZE, GCM_TAG_SIZE } from "./aes-gcm.ts";
import { asU8 } from "./bytes.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { randomBytes } from "./random.ts";
import type { Encryptor } from "./types.ts";

export const DEFAULT_ENCRYPTION_ALGORITHM = "AES256-GCM-HMAC-SHA256";
const OVERHEAD = GCM_NONCE_SIZE + GCM_TAG_SIZE;

/** The content-encryption key root (spec §3.1; note the purpose is the HKDF *salt*). */
export function contentKeyDerivationSecret(masterKey: Uint8Array): Uint8Array {
  return hkdfSha256(masterKey, new TextEncoder().encode("encryption"), new Uint8Array(0), 32);
}

type Aead = {
  seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(key: Uint8Array, data: Uint8Array, aad: Uint8Array): Uint8Array;
};

const AES_GCM: Aead = { seal: aesGcmSeal, open: aesGcmOpen };

const CHACHA: Aead = {
  seal(key, plaintext, aad) {
    const nonce = randomBytes(GCM_NONCE_SIZE);
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
    const out = new Uint8Array(GCM_NONCE_SIZE + sealed.length);
    out.set(nonce, 0);
    out.set(sealed, GCM_NONCE_SIZE);
    return out;
  },
  open(key, data, aad) {
    if (data.length < OVERHEAD) throw new CorruptDataError(`encrypted data too short (${data.length} bytes)`);
    try {
      return chacha20poly1305(key, data.subarray(0, GCM_NONCE_SIZE), aad).decrypt(data.subarray(GCM_NONCE_SIZE));
    } catch (e) {
      throw new CorruptDataError("ChaCha20-Poly1305 authentication failed (data corrupt or wrong key)", { cause: e });
    }
  },
};

const AEADS: Record<string, Aead> = {
  "AES256-GCM-HMAC-SHA256": AES_GCM,
  "CHACHA20-POLY1305-HMAC-SHA256": CHACHA,
};

export function supportedEncryptionAlgorithms(): string[] {
  return Object.keys(AEADS);
}

export function createEncryptor(name: string, masterKey: Uint8Array): Encryptor {
  const aead = Object.hasOwn(AEADS, name) ? AEADS[name] : undefined;
  if (!aead) throw new UnsupportedAlgorithmError("encryption", name);
  const kds = Buffer.from(contentKeyDerivationSecret(masterKey));
  const keyFor = (iv: Uint8Array) => asU8(createHmac("sha256", kds).update(iv).digest());
  return {
    name,
    overhead: OVERHEAD,
    encrypt: (plaintext, iv) => aead.seal(keyFor(iv), plaintext, iv),
    decrypt: (ciphertext, iv) => aead.open(keyFor(iv), ciphertext, iv),
  };
}
