// Helpers that make JSON look like Go's encoding/json output (spec §0): []byte as padded
// base64, time.Time as RFC 3339 with trailing-zero-trimmed fractions, HTML-safe escaping.
// Field order is the insertion order of the objects we build, which mirrors Go struct order.
import { CorruptDataError } from "../../errors.ts";

export function b64encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

export function b64decode(s: unknown, what: string): Uint8Array {
  if (s === undefined || s === null) return new Uint8Array(0);
  if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new CorruptDataError(`${what}: invalid base64 value`);
  }
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** Go's json.Marshal escapes <, >, & and U+2028/2029; JSON.stringify does not. */
function goEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** json.Marshal equivalent (compact). */
export function goMarshal(v: unknown): string {
  return goEscape(JSON.stringify(v));
}

/** json.Encoder with SetIndent("", "  "): indented, trailing newline. */
export function goEncodeIndent(v: unknown): string {
  return goEscape(JSON.stringify(v, null, 2)) + "\n";
}

/** time.Time in RFC 3339 with nanoseconds, trailing zeros trimmed (UTC). */
export function goTime(d: Date): string {
  const iso = d.toISOString(); // 2026-01-02T03:04:05.678Z
  const [main, frac] = iso.slice(0, -1).split(".");
  const f = (frac ?? "").replace(/0+$/, "");
  return f ? `${main}.${f}Z` : `${main}Z`;
}

export function parseGoTime(s: unknown): Date {
  if (typeof s !== "string") return new Date(0);
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

export function parseJsonBytes(data: Uint8Array, what: string): any {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: false }).decode(data));
  } catch (e) {
    throw new CorruptDataError(`${what}: invalid JSON (${(e as Error).message})`);
  }
}

export const NS_PER_MS = 1_000_000;
export const HOUR_NS = 3_600_000_000_000;
export const MINUTE_NS = 60_000_000_000;
