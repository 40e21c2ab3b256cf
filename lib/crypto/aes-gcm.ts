// AES-256-GCM with a random 96-bit nonce: output nonce(12) || ciphertext || tag(16), the layout
// kopia uses for the format blob (spec §2.3) and, with a derived key, for contents (spec §3.2).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { CorruptDataError } from "../errors.ts";
import { asU8 } from "./bytes.ts";
import { randomBytes } from "./random.ts";

export const GCM_NONCE_SIZE = 12;
export const GCM_TAG_SIZE = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`AES-256-GCM key must be 32 bytes, got ${key.length}`);
}

/** Seals with the given nonce (exposed for known-answer tests; production code uses aesGcmSeal). */
export function aesGcmSealWithNonce(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  checkKey(key);
  if (nonce.length !== GCM_NONCE_SIZE) throw new RangeError(`AES-GCM nonce must be ${GCM_NONCE_SIZE} bytes, got ${nonce.length}`);
  const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_SIZE });
  c.setAAD(aad);
  const out = new Uint8Array(nonce.length + plaintext.length + GCM_TAG_SIZE);
  out.set(nonce, 0);
  const body = c.update(plaintext);
  out.set(body, nonce.length);
  const fin = c.final();
  out.set(fin, nonce.length + body.length);
  out.set(c.getAuthTag(), nonce.length + body.length + fin.length);
  return out;
}

export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  return aesGcmSealWithNonce(key, randomBytes(GCM_NONCE_SIZE), plaintext, aad);
}

/** Opens nonce || ct || tag; any authentication or length failure is a CorruptDataError. */
export function aesGcmOpen(key: Uint8Array, data: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKey(key);
  if (data.length < GCM_NONCE_SIZE + GCM_TAG_SIZE) {
    throw new CorruptDataError(`encrypted data too short (${data.length} bytes)`);
  }
  const nonce = data.subarray(0, GCM_NONCE_SIZE);
  const tag = data.subarray(data.length - GCM_TAG_SIZE);
  const ct = data.subarray(GCM_NONCE_SIZE, data.length - GCM_TAG_SIZE);
  try {
    const d = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_SIZE });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const body = d.update(ct);
    const fin = d.final();
    if (fin.length === 0) return asU8(body);
    const out = new Uint8Array(body.length + fin.length);
    out.set(body, 0);
    out.set(fin, body.length);
    return out;
  } catch (e) {
    throw new CorruptDataError("AES-GCM authentication failed (data corrupt or wrong key)", { cause: e });
  }
}
