// Manifest content encoding (spec §10.1, kopia repo/manifest/serialized.go):
// gzip(JSON {"entries":[{"id","labels","modified","deleted"?,"data"}]}). Payloads are kept as
// raw JSON text so compaction rewrites them byte for byte (JSON.parse would reorder
// integer-like keys and round int64 values).
import { gunzipSync, gzipSync } from "node:zlib";
import { CorruptDataError } from "../../errors.ts";
import { formatRfc3339Nano, goString, parseRfc3339Nano } from "./go-json.ts";

export interface ManifestEntry {
  id: string;
  labels: Record<string, string>;
  /** UTC write time, ns since the epoch. */
  modifiedNs: bigint;
  deleted: boolean;
  /** Raw JSON payload ("null" for deletions). */
  data: string;
}

function encodeLabels(labels: Record<string, string> | null): string {
  if (!labels) return "null";
  // Go marshals map keys sorted by their UTF-8 bytes
  const keys = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return "{" + keys.map((k) => `${goString(k)}:${goString(labels[k])}`).join(",") + "}";
}

export function encodeEntry(e: ManifestEntry): string {
  let s = `{"id":${goString(e.id)},"labels":${encodeLabels(e.deleted ? null : e.labels)}`;
  s += `,"modified":"${formatRfc3339Nano(e.modifiedNs)}"`;
  if (e.deleted) s += `,"deleted":true`;
  s += `,"data":${e.deleted ? "null" : e.data}}`;
  return s;
}

/** json.Encoder output (trailing newline), gzip-compressed. */
export function encodeManifestContent(entries: Iterable<ManifestEntry>): Uint8Array {
  const parts: string[] = [];
  for (const e of entries) parts.push(encodeEntry(e));
  const json = `{"entries":[${parts.join(",")}]}\n`;
  return new Uint8Array(gzipSync(Buffer.from(json, "utf8")));
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Minimal scanner returning the end index of the JSON value starting at i (after whitespace). */
class Scanner {
  constructor(
    readonly s: string,
    public i = 0,
    readonly what = "manifest",
  ) {}
  fail(msg: string): never {
    throw new CorruptDataError(`${this.what}: ${msg} at offset ${this.i}`);
  }
  ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }
  expect(c: string): void {
    this.ws();
    if (this.s[this.i] !== c) this.fail(`expected '${c}'`);
    this.i++;
  }
  peek(): string {
    this.ws();
    return this.s[this.i];
  }
  string(): string {
    this.ws();
    const start = this.i;
    if (this.s[this.i] !== '"') this.fail("expected string");
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "\\") this.i += 2;
      else if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i));
      } else this.i++;
    }
    return this.fail("unterminated string");
  }
  /** Skips one value; returns its raw text. */
  raw(): string {
    this.ws();
    const start = this.i;
    const c = this.s[this.i];
    if (c === '"') {
      this.string();
    } else if (c === "{" || c === "[") {
      let depth = 0;
      while (this.i < this.s.length) {
        const ch = this.s[this.i];
        if (ch === '"') {
          this.string();
          continue;
        }
        if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          depth--;
          if (depth === 0) {
            this.i++;
            break;
          }
        }
        this.i++;
      }
      if (depth !== 0) this.fail("unbalanced value");
    } else {
      while (this.i < this.s.length && !/[,}\]\s]/.test(this.s[this.i])) this.i++;
      if (this.i === start) this.fail("expected value");
    }
    return this.s.slice(start, this.i);
  }
}

function parseJsonValue(raw: string, sc: Scanner): any {
  try {
    return JSON.parse(raw);
  } catch {
    return sc.fail(`invalid JSON value ${raw.slice(0, 40)}`);
  }
}

function decodeEntry(sc: Scanner): ManifestEntry {
  const e: ManifestEntry = { id: "", labels: {}, modifiedNs: 0n, deleted: false, data: "null" };
  sc.expect("{");
  if (sc.peek() === "}") {
    sc.i++;
    return e;
  }
  for (;;) {
    // Go matches field names case-insensitively
    const key = sc.string().toLowerCase();
    sc.expect(":");
    const raw = sc.raw();
    switch (key) {
      case "id":
        e.id = String(parseJsonValue(raw, sc) ?? "");
        break;
      case "labels":
        e.labels = parseJsonValue(raw, sc) ?? {};
        break;
      case "modified":
        e.modifiedNs = parseRfc3339Nano(parseJsonValue(raw, sc), `${sc.what} modified time`);
        break;
      case "deleted":
        e.deleted = parseJsonValue(raw, sc) === true;
        break;
      case "data":
        e.data = raw;
        break;
    }
    const c = sc.peek();
    sc.i++;
    if (c === "}") return e;
    if (c !== ",") sc.fail("expected ',' or '}'");
  }
}

export function decodeManifestContent(gz: Uint8Array, what: string): ManifestEntry[] {
  let text: string;
  try {
    text = gunzipSync(gz).toString("utf8");
  } catch (e) {
    throw new CorruptDataError(`unable to unpack manifest data ${what}: ${(e as Error).message}`);
  }
  const sc = new Scanner(text, 0, `manifest ${what}`);
  const out: ManifestEntry[] = [];
  sc.expect("{");
  let seen = false;
  if (sc.peek() !== "}") {
    for (;;) {
      const key = sc.string();
      sc.expect(":");
      if (key.toLowerCase() === "entries") {
        if (seen) sc.fail("repeated entries field");
        seen = true;
        if (sc.peek() === "n") {
          sc.raw();
        } else {
          sc.expect("[");
          if (sc.peek() === "]") sc.i++;
          else
            for (;;) {
              if (sc.peek() === "n") sc.raw(); // null element
              else out.push(decodeEntry(sc));
              const c = sc.peek();
              sc.i++;
              if (c === "]") break;
              if (c !== ",") sc.fail("expected ',' or ']'");
            }
        }
      } else sc.raw();
      const c = sc.peek();
      sc.i++;
      if (c === "}") break;
      if (c !== ",") sc.fail("expected ',' or '}'");
    }
  } else sc.i++;
  return out;
}
