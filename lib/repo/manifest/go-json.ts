// Go encoding/json look-alikes for the metadata kopia hashes or compares: string escaping
// (Go escapes <, >, & and U+2028/2029, JSON.stringify does not) and time.Time /
// fs.UTCTimestamp as RFC 3339 with nanoseconds, trailing zeros trimmed. Times are carried as
// bigint nanoseconds since the Unix epoch because JS Dates stop at milliseconds and kopia
// round-trips nanoseconds (directory entries would otherwise hash differently).
import { CorruptDataError } from "../../errors.ts";

/** JSON string literal exactly as Go's json.Marshal writes it (HTML-safe escaping). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

const NS = 1_000_000_000n;

/** time.Time.UnixNano() of Go's zero time.Time{} (int64 overflow), i.e. 1754-08-30T22:43:41.128654848Z.
 * kopia stores it as the mtime of virtual directories, which have no modification time. */
export const GO_ZERO_TIME_UNIX_NANO = -6795364578871345152n;

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** fs.UTCTimestamp / time.Time (UTC) → RFC 3339 with nanoseconds, trailing zeros trimmed. */
export function formatRfc3339Nano(ns: bigint): string {
  let sec = ns / NS;
  let frac = ns % NS;
  if (frac < 0n) {
    frac += NS;
    sec -= 1n;
  }
  const d = new Date(Number(sec) * 1000);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new CorruptDataError(`timestamp ${ns} out of range for RFC 3339`);
  let s =
    `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (frac !== 0n) s += "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return s + "Z";
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses RFC 3339 (as written by Go) into nanoseconds since the epoch. */
export function parseRfc3339Nano(s: unknown, what = "timestamp"): bigint {
  if (typeof s !== "string") throw new CorruptDataError(`${what}: expected an RFC 3339 string`);
  const m = RFC3339.exec(s);
  if (!m) throw new CorruptDataError(`${what}: invalid RFC 3339 time "${s}"`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  let sec = BigInt(ms / 1000);
  if (m[9]) {
    const off = (+m[10] * 60 + +m[11]) * 60;
    sec -= BigInt(m[9] === "+" ? off : -off);
  }
  const frac = m[7] ? BigInt(m[7].padEnd(9, "0")) : 0n;
  return sec * NS + frac;
}

export function dateToNs(d: Date): bigint {
  return BigInt(d.getTime()) * 1_000_000n;
}

export function nsToDate(ns: bigint): Date {
  // floor division so pre-1970 times round down like Go's time.Unix
  let ms = ns / 1_000_000n;
  if (ns % 1_000_000n < 0n) ms -= 1n;
  return new Date(Number(ms));
}

let lastNow = 0n;
/** Wall-clock now in ns, strictly increasing within the process: manifest latest-wins compares
 * `modified` times, so a put and a delete in the same millisecond must still be ordered. */
export function nowNs(): bigint {
  const origin = BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n;
  let t = origin + BigInt(Math.round(performance.now() * 1000)) * 1000n;
  const wall = dateToNs(new Date());
  // guard against monotonic-clock drift from the wall clock over long runs
  if (t < wall - 1_000_000_000n || t > wall + 1_000_000_000n) t = wall;
  if (t <= lastNow) t = lastNow + 1n;
  lastNow = t;
  return t;
}
