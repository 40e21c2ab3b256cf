// Streaming (de)serialisation of Corso's DetailsModel `{"entries":[…]}` so that details of
// millions of items never have to be one JS array or one string: entries are produced and
// consumed one JSON object at a time.
import { CorruptDataError } from "../errors.ts";

const OPEN = Buffer.from('{"entries":[');
const CLOSE = Buffer.from("]}");

/**
 * Entry JSON texts joined with commas, in ~1 MiB blocks: the inside of the entries array (or its
 * continuation after earlier entries, with `leadingComma`).
 */
export async function* commaJoined(texts: AsyncIterable<string> | Iterable<string>, leadingComma = false): AsyncGenerator<Uint8Array> {
  let sep = leadingComma;
  let batch: string[] = [];
  let size = 0;
  for await (const t of texts) {
    batch.push(sep ? "," + t : t);
    sep = true;
    size += t.length;
    if (size >= 1 << 20) {
      yield Buffer.from(batch.join(""), "utf8");
      batch = [];
      size = 0;
    }
  }
  if (batch.length) yield Buffer.from(batch.join(""), "utf8");
}

/** Bytes of `{"entries":[e1,e2,…]}` from entry JSON texts. */
export async function* encodeDetailsStream(entries: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  yield* encodeDetailsBody(commaJoined(entries));
}

/**
 * Bytes of `{"entries":[…]}` around pieces that already are the array's comma-separated inside
 * (the backup's details spool).
 */
export async function* encodeDetailsBody(entriesJson: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield OPEN;
  yield* entriesJson;
  yield CLOSE;
}

/**
 * The JSON text of each element of the top-level `entries` array, from a byte stream of the
 * whole document (any key order, any whitespace Go or we may write).
 */
export async function* iterateDetailsEntries(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let depth = 0;
  let inString = false;
  let escaped = false;
  let key = "";
  let readingKey = false;
  let lastKey = "";
  let inEntries = false;
  let entriesDepth = -1;
  let cur: string[] | null = null;
  let segStart = 0;
  for await (const chunk of chunks) {
    const s = dec.decode(chunk, { stream: true });
    segStart = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') {
          inString = false;
          if (readingKey) {
            readingKey = false;
            lastKey = key;
          }
        } else if (readingKey) key += c;
        continue;
      }
      if (c === '"') {
        inString = true;
        if (depth === 1 && !inEntries) {
          readingKey = true;
          key = "";
        }
        continue;
      }
      if (c === "{" || c === "[") {
        depth++;
        if (c === "[" && depth === 2 && lastKey === "entries" && !inEntries) {
          inEntries = true;
          entriesDepth = depth;
        } else if (inEntries && depth === entriesDepth + 1 && cur === null) {
          cur = [];
          segStart = i;
        }
      } else if (c === "}" || c === "]") {
        if (inEntries && depth === entriesDepth + 1 && cur !== null) {
          cur.push(s.slice(segStart, i + 1));
          yield cur.join("");
          cur = null;
        }
        if (inEntries && depth === entriesDepth && c === "]") inEntries = false;
        depth--;
        if (depth < 0) throw new CorruptDataError("details JSON is not balanced");
      }
    }
    if (cur !== null) cur.push(s.slice(segStart));
  }
  if (depth !== 0 || inString) throw new CorruptDataError("details JSON is truncated");
}
