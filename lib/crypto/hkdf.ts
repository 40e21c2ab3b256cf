// HKDF-SHA256 (RFC 5869). Kopia uses it in two places with swapped roles of the purpose string:
// format keys (spec §2.2/§2.3: salt=uniqueID, info=purpose) and the content-encryption root
// (spec §3.1: salt="encryption", info=""). Callers pass exactly what the spec says.
import { hkdfSync } from "node:crypto";
import { asU8, toBytes } from "./bytes.ts";

export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array | string,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length <= 0 || length > 255 * 32) {
    throw new RangeError(`HKDF-SHA256 output length ${length} out of range`);
  }
  return asU8(hkdfSync("sha256", ikm, salt, toBytes(info), length));
}
