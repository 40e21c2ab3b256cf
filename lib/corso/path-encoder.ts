// Kopia path elements as Corso writes them (internal/kopia/path_encoder.go): every element of a
// Corso path is base64 URL-encoded WITH padding, so IDs containing '/', '=' or '+' are safe
// directory names.
import { CorruptDataError } from "../errors.ts";

export function encodeElement(e: string): string {
  return Buffer.from(e, "utf8").toString("base64url") + "=".repeat((3 - (Buffer.byteLength(e, "utf8") % 3)) % 3);
}

export function encodeElements(es: readonly string[]): string[] {
  return es.map(encodeElement);
}

export function decodeElement(e: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(e) || e.length % 4 !== 0) throw new CorruptDataError(`invalid encoded path element "${e}"`);
  return Buffer.from(e, "base64url").toString("utf8");
}
