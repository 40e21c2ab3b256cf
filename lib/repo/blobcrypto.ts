// Encrypted metadata blobs (spec §1.2, §3.4): index blobs, session markers, legacy compaction
// logs. blobID = prefix + hex(HASH(plaintext)) [+ "-" + suffix]; the IV is the hex-decoded last
// 32 characters of the ID before its first '-'.
import { CorruptDataError } from "../errors.ts";
import type { Encryptor, HashFunc } from "../crypto/types.ts";

export interface Crypter {
  hash: HashFunc;
  encryptor: Encryptor;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function blobIdIV(blobId: string): Uint8Array {
  const dash = blobId.indexOf("-");
  const s = dash >= 0 ? blobId.slice(0, dash) : blobId;
  if (s.length < 32) throw new CorruptDataError(`blob ID too short to derive an IV: ${blobId}`);
  const h = s.slice(s.length - 32);
  if (!/^[0-9a-f]{32}$/i.test(h)) throw new CorruptDataError(`invalid blob ID (no hex hash): ${blobId}`);
  return new Uint8Array(Buffer.from(h, "hex"));
}

export function encryptBlob(c: Crypter, payload: Uint8Array, prefix: string, suffix = ""): { blobId: string; data: Uint8Array } {
  let blobId = prefix + toHex(c.hash(payload));
  if (suffix) blobId += "-" + suffix;
  return { blobId, data: c.encryptor.encrypt(payload, blobIdIV(blobId)) };
}

/** Throws CorruptDataError naming the blob when authentication fails. */
export function decryptBlob(c: Crypter, data: Uint8Array, blobId: string): Uint8Array {
  try {
    return c.encryptor.decrypt(data, blobIdIV(blobId));
  } catch (e) {
    if (e instanceof CorruptDataError && /blob ID/.test(e.message)) throw e;
    throw new CorruptDataError(`error decrypting blob ${blobId}: data is corrupt or was written with a different key`, { cause: e });
  }
}
