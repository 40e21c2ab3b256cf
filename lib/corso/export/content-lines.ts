// Content-line primitives shared by iCalendar (RFC 5545 §3.1, §3.3.11) and vCard (RFC 6350 §3.2,
// §3.4): TEXT escaping, parameter quoting and 75-octet line folding that never splits a UTF-8
// sequence.

const encoder = new TextEncoder();

/** Escapes a TEXT value: backslash, semicolon, comma, and any newline form as `\n`. Other
 * control characters (not allowed in TEXT) are dropped; tab is kept. */
export function escapeText(s: string): string {
  return s
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

/** A parameter value: quoted when it holds `:`, `;` or `,`; DQUOTE and controls (which no
 * parameter value may contain) are replaced. */
export function paramValue(s: string): string {
  const v = s.replace(/"/g, "'").replace(/[\x00-\x1f\x7f]/g, " ");
  return /[:;,]/.test(v) ? `"${v}"` : v;
}

/**
 * Folds one content line to at most 75 octets per physical line (continuations start with a
 * space, which counts towards the 75), with CRLF line breaks and a final CRLF.
 */
export function foldLine(line: string): string {
  const bytes = encoder.encode(line);
  if (bytes.length <= 75) return line + "\r\n";
  let out = "";
  let start = 0;
  let limit = 75;
  const parts: string[] = [];
  while (start < bytes.length) {
    let end = Math.min(start + limit, bytes.length);
    // back off to a UTF-8 character boundary (continuation bytes are 10xxxxxx)
    while (end < bytes.length && end > start && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(Buffer.from(bytes.subarray(start, end)).toString("utf8"));
    start = end;
    limit = 74;
  }
  out = parts.join("\r\n ");
  return out + "\r\n";
}

/** Joins content lines, folding each. */
export function serializeLines(lines: string[]): string {
  let out = "";
  for (const l of lines) out += foldLine(l);
  return out;
}
