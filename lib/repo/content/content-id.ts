// Content IDs (spec §4.2): "[prefix]" + hex(hash). Index key = prefixByte (0 if none) || hash.
import { UsageError } from "../../errors.ts";

export function isValidPrefix(p: string): boolean {
  return p === "" || (p.length === 1 && p >= "g" && p <= "z");
}

export function validatePrefix(p: string): void {
  if (!isValidPrefix(p)) throw new UsageError(`invalid content prefix "${p}" (must be empty or one letter g..z)`);
}

/** Binary index key for a content ID; undefined when the ID is malformed. */
export function contentIdToKey(id: string): Uint8Array | undefined {
  let prefix = 0;
  let hex = id;
  if (id.length % 2 === 1) {
    prefix = id.charCodeAt(0);
    hex = id.slice(1);
    if (!isValidPrefix(id[0])) return undefined;
  }
  if (hex.length === 0 || !/^[0-9a-f]+$/.test(hex)) return undefined;
  const out = new Uint8Array(1 + hex.length / 2);
  out[0] = prefix;
  out.set(Buffer.from(hex, "hex"), 1);
  return out;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function keyToContentId(key: Uint8Array, start = 0, len = key.length - start): string {
  let s = key[start] ? String.fromCharCode(key[start]) : "";
  for (let i = start + 1; i < start + len; i++) s += HEX[key[i]];
  return s;
}

/** Hash bytes of a content ID (without prefix). */
export function contentIdHash(id: string): Uint8Array {
  const hex = id.length % 2 === 1 ? id.slice(1) : id;
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function contentIdPrefix(id: string): string {
  return id.length % 2 === 1 ? id[0] : "";
}

/** Byte-wise comparison of two keys (a[ao..ao+len) vs b). */
export function compareKeys(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number): number {
  for (let i = 0; i < len; i++) {
    const d = a[ao + i] - b[bo + i];
    if (d !== 0) return d;
  }
  return 0;
}

/** Order of content IDs as strings matching the binary key order (prefix byte 0 sorts first). */
export function compareContentIds(a: string, b: string): number {
  const pa = a.length % 2 === 1 ? a.charCodeAt(0) : 0;
  const pb = b.length % 2 === 1 ? b.charCodeAt(0) : 0;
  if (pa !== pb) return pa - pb;
  const ha = pa ? a.slice(1) : a;
  const hb = pb ? b.slice(1) : b;
  return ha < hb ? -1 : ha > hb ? 1 : 0;
}
