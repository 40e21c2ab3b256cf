// MIME building blocks for EML export: RFC 2047 encoded words, RFC 2231 parameters, header
// folding, base64 bodies wrapped at 76 columns, RFC 5322 dates and address formatting.
// Output is pure 7-bit ASCII with CRLF line endings, so no line ever exceeds 998 octets.

export const CRLF = "\r\n";

const encoder = new TextEncoder();

export function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** Base64 of bytes, wrapped at 76 characters (RFC 2045 §6.8), each line ending in CRLF. */
export function base64Lines(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let out = "";
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + CRLF;
  return out;
}

/** Splits a string into code-point chunks whose UTF-8 size is at most maxBytes each. */
function utf8Chunks(s: string, maxBytes: number): string[] {
  const chunks: string[] = [];
  let cur = "";
  let curBytes = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (curBytes + n > maxBytes && cur) {
      chunks.push(cur);
      cur = "";
      curBytes = 0;
    }
    cur += ch;
    curBytes += n;
  }
  if (cur) chunks.push(cur);
  return chunks;
}

/**
 * RFC 2047 "B" encoded words for a header text (Subject, display names). Each word is at most
 * 60 characters (36 payload bytes, so a line with a header name stays under 76), never splits a UTF-8 sequence, and words are separated by
 * a single space, which decoders drop between adjacent encoded words.
 */
export function encodedWords(s: string): string[] {
  return utf8Chunks(s, 36).map((c) => `=?UTF-8?B?${Buffer.from(c, "utf8").toString("base64")}?=`);
}

/** True when a header text can go out as-is (printable ASCII, nothing a decoder would misread). */
function isPlainHeaderText(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s) && !s.includes("=?") && !/\S{78,}/.test(s);
}

/**
 * Formats an unstructured header (e.g. Subject), encoding when needed and folding so that no
 * line exceeds 78 characters where whitespace allows (and 998 always).
 */
export function unstructuredHeader(name: string, value: string): string {
  const clean = value.replace(/\r\n|\r|\n/g, " ");
  const tokens = isPlainHeaderText(clean) ? clean.split(/(?= )/) : encodedWords(clean).map((w, i) => (i ? " " + w : w));
  return foldTokens(`${name}: `, tokens);
}

/** Joins tokens (each carrying its own leading space, if any) after a prefix, folding at
 * token boundaries before a line would exceed 78 characters. */
export function foldTokens(prefix: string, tokens: string[]): string {
  let out = "";
  let line = prefix;
  for (const tok of tokens) {
    if (line.length + tok.length > 78 && line.trim().length > 0 && line !== prefix) {
      out += line + CRLF;
      line = tok.startsWith(" ") ? tok : " " + tok;
    } else {
      line += tok;
    }
  }
  return out + line + CRLF;
}

/** Display-name phrase: a quoted string for ASCII, encoded words otherwise. */
function phrase(name: string): string[] {
  const clean = name.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(clean) && !clean.includes("=?")) {
    return [`"${clean.replace(/(["\\])/g, "\\$1")}"`];
  }
  return encodedWords(clean);
}

export interface MailAddress {
  name?: string | null;
  address?: string | null;
}

/**
 * One mailbox as header tokens. Like Corso: a bare address when the name is empty or equals the
 * address, `"Name" <addr>` otherwise, `"Name"` alone when there is no address.
 */
export function mailboxTokens(a: MailAddress): string[] | null {
  const name = (a.name ?? "").trim();
  const addr = (a.address ?? "").trim().replace(/[\r\n<>]/g, "");
  if (!name && !addr) return null;
  if (!addr) return phrase(name);
  if (!name || name === addr) return [addr];
  return [...phrase(name), `<${addr}>`];
}

/** An address-list header (From, To, Cc, Bcc, Reply-To); null when no mailbox is usable. */
export function addressHeader(name: string, list: MailAddress[]): string | null {
  const tokens: string[] = [];
  for (const a of list) {
    const mb = mailboxTokens(a);
    if (!mb) continue;
    if (tokens.length) tokens[tokens.length - 1] += ",";
    for (const t of mb) tokens.push(tokens.length ? " " + t : t);
  }
  if (!tokens.length) return null;
  return foldTokens(`${name}: `, tokens);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5322 §3.3 date-time in UTC, e.g. `Mon, 15 Jan 2024 11:26:41 +0000`. */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

const TSPECIALS = /[()<>@,;:\\"/[\]?=\s]/;

/**
 * A Content-Type/Content-Disposition parameter as header tokens (each with a leading "; ").
 * ASCII values are quoted; others use RFC 2231 `name*=utf-8''…`, split into continuations so
 * lines stay short.
 */
export function paramTokens(key: string, value: string): string[] {
  const v = value.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(v) && v.length <= 60) {
    return [`; ${key}=${TSPECIALS.test(v) || v === "" ? `"${v.replace(/(["\\])/g, "\\$1")}"` : v}`];
  }
  const pct = (s: string) =>
    Array.from(encoder.encode(s), (b) =>
      /[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : "%" + b.toString(16).toUpperCase().padStart(2, "0"),
    ).join("");
  const parts = utf8Chunks(v, 20).map(pct);
  if (parts.length === 1) return [`; ${key}*=utf-8''${parts[0]}`];
  return parts.map((p, i) => `; ${key}*${i}*=${i === 0 ? "utf-8''" : ""}${p}`);
}

/** A structured header like `Content-Type: text/plain; charset=UTF-8`, folded between params. */
export function paramHeader(name: string, value: string, params: [string, string][]): string {
  const tokens = [value];
  for (const [k, v] of params) {
    for (const t of paramTokens(k, v)) {
      tokens[tokens.length - 1] += ";";
      tokens.push(" " + t.slice(2));
    }
  }
  return foldTokens(`${name}: `, tokens);
}

/** Stable boundary for a part: unique per (seed, counter); "=_" cannot occur in base64 text. */
export function boundaryFor(seed: string, n: number): string {
  const h = new Bun.CryptoHasher("sha1").update(seed).digest("hex").slice(0, 16);
  return `----=_Corso_${h}_${n}`;
}
