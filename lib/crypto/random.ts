// Cryptographically secure random bytes (nonces, keys, unique IDs).
import { randomFillSync } from "node:crypto";

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (n > 0) randomFillSync(out);
  return out;
}
