// Reading and writing kopia:directory objects (spec §10.3): "k"-prefixed objects, entries
// sorted directories first, then by name.
import { CorruptDataError } from "../../errors.ts";
import type { ObjectManager } from "../object/object-manager.ts";
import {
  DIRECTORY_STREAM,
  compareEntries,
  decodeDirEntry,
  decodeDirectory,
  encodeDirectory,
  summarize,
  type DirEntry,
  type DirectorySummary,
  type FailedEntry,
} from "./dir-entry.ts";

export const DIRECTORY_PREFIX = "k";

/** Sorts entries in place, writes the directory object, returns its ID and summary. */
export async function writeDirectory(
  objects: ObjectManager,
  entries: DirEntry[],
  dirMtimeNs: bigint,
  opts: { description?: string; failed?: FailedEntry[]; ignoredErrors?: number } = {},
): Promise<{ objectId: string; summary: DirectorySummary }> {
  entries.sort(compareEntries);
  const summary = summarize(entries, dirMtimeNs, opts.failed, opts.ignoredErrors);
  const objectId = await objects.writeObject(encodeDirectory(entries, summary), {
    prefix: DIRECTORY_PREFIX,
    description: opts.description ? `DIR:${opts.description}` : "DIR",
  });
  return { objectId, summary };
}

export async function readDirectory(objects: ObjectManager, objectId: string): Promise<DirEntry[]> {
  return decodeDirectory(await objects.readObject(objectId), objectId).entries;
}

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;

/**
 * Streams the entries of a directory object without parsing it whole: a 1,000,000-entry
 * directory is ~300 MB of JSON, its DirEntry objects several times that. The object's chunks
 * are scanned for the top-level `"entries"` array and each element is parsed on its own
 * (decodeDirEntry, as readDirectory does), so memory is one chunk plus one entry.
 * `dirsOnly` stops at the first non-directory entry (kopia sorts directories first).
 */
export async function* iterateDirectory(objects: ObjectManager, objectId: string, opts: { dirsOnly?: boolean } = {}): AsyncGenerator<DirEntry> {
  const r = await objects.open(objectId);
  // one chunk read ahead: a big directory's chunks are up to 8 MB decompressed
  yield* iterateDirectoryBytes(r.stream({ prefetch: 1 }), objectId, opts);
}

/** The parser of iterateDirectory over any chunk source. */
export async function* iterateDirectoryBytes(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  objectId: string,
  opts: { dirsOnly?: boolean } = {},
): AsyncGenerator<DirEntry> {
  const what = `directory ${objectId}`;
  const bad = (msg: string) => new CorruptDataError(`unable to parse directory object ${objectId}: ${msg}`);
  const src = (Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (chunks as Iterable<Uint8Array>)[Symbol.iterator]()) as
    AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  let buf = Buffer.alloc(0);
  let pos = 0;
  let eof = false;
  // keeps buf[keep..] and appends the next chunk; returns the shift applied to positions
  const more = async (keep: number): Promise<number> => {
    if (eof) return -1;
    const n = await src.next();
    if (n.done) {
      eof = true;
      return -1;
    }
    const c = n.value;
    const rest = buf.length - keep;
    const nb = Buffer.allocUnsafe(rest + c.length);
    buf.copy(nb, 0, keep);
    nb.set(c, rest);
    buf = nb;
    pos -= keep;
    return keep;
  };
  const peek = async (): Promise<number> => {
    for (;;) {
      while (pos < buf.length && WS[buf[pos]]) pos++;
      if (pos < buf.length) return buf[pos];
      if ((await more(pos)) < 0) return -1;
    }
  };
  const expect = async (ch: number) => {
    const c = await peek();
    if (c !== ch) throw bad(c < 0 ? "unexpected end" : `expected '${String.fromCharCode(ch)}' at byte ${pos}`);
    pos++;
  };
  // the extent of one JSON value starting at pos (strings, nesting and escapes respected)
  const value = async (): Promise<string> => {
    const first = await peek();
    if (first < 0) throw bad("unexpected end");
    let i = pos;
    let depth = 0;
    let inStr = false;
    let esc = false;
    const scalar = first !== 0x7b && first !== 0x5b && first !== 0x22;
    for (;;) {
      if (i >= buf.length) {
        const shift = await more(pos);
        if (shift < 0) {
          if (scalar && depth === 0) break;
          throw bad("unexpected end");
        }
        i -= shift;
        continue;
      }
      const b = buf[i];
      if (inStr) {
        if (esc) esc = false;
        else if (b === 0x5c) esc = true;
        else if (b === 0x22) {
          inStr = false;
          if (depth === 0) {
            i++;
            break;
          }
        }
      } else if (scalar) {
        if (b === 0x2c || b === 0x7d || b === 0x5d || WS[b]) break;
      } else if (b === 0x22) inStr = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (--depth === 0) {
          i++;
          break;
        }
      }
      i++;
    }
    const s = buf.toString("utf8", pos, i);
    pos = i;
    return s;
  };
  const parse = (s: string): any => {
    try {
      return JSON.parse(s);
    } catch (e) {
      throw bad((e as Error).message);
    }
  };

  try {
  await expect(0x7b);
  let stream: unknown;
  if ((await peek()) === 0x7d) pos++;
  else
    for (;;) {
      const key = parse(await value());
      await expect(0x3a);
      if (key === "entries" && (await peek()) === 0x5b) {
        if (stream !== undefined && stream !== DIRECTORY_STREAM) break;
        pos++;
        if ((await peek()) === 0x5d) pos++;
        else
          for (;;) {
            const e = decodeDirEntry(parse(await value()), what);
            if (opts.dirsOnly && e.type !== "d") return;
            yield e;
            const c = await peek();
            pos++;
            if (c === 0x5d) break;
            if (c !== 0x2c) throw bad(c < 0 ? "unexpected end" : `expected ',' or ']' at byte ${pos - 1}`);
          }
      } else {
        const v = await value();
        if (key === "stream") stream = parse(v);
      }
      const c = await peek();
      pos++;
      if (c === 0x7d) break;
      if (c !== 0x2c) throw bad(c < 0 ? "unexpected end" : `expected ',' or '}' at byte ${pos - 1}`);
    }
  if (stream !== DIRECTORY_STREAM) throw new CorruptDataError(`invalid directory stream type in object ${objectId}`);
  } finally {
    // stops the object reader's prefetch when the caller stopped early
    await src.return?.();
  }
}

/** The entry called `name` of a directory, streamed (directories are listed first, so looking
 * for a subdirectory reads only the start of a huge folder's object). */
export async function findDirectoryEntry(objects: ObjectManager, objectId: string, name: string, type?: DirEntry["type"]): Promise<DirEntry | undefined> {
  for await (const e of iterateDirectory(objects, objectId, { dirsOnly: type === "d" })) {
    if (e.name === name) return type === undefined || e.type === type ? e : undefined;
  }
  return undefined;
}
