// Indirect list objects (spec §9.2): the seek table of a multi-chunk object, encoded exactly as
// Go's json.Encoder prints IndirectObjectEntry (s and l omitempty, trailing newline), so
// identical data produces identical list contents and deduplicates against kopia's.
import { CorruptDataError } from "../../errors.ts";
import { parseObjectId } from "./object-id.ts";

export interface IndirectEntry {
  /** Start offset of the chunk within the object. */
  s: number;
  /** Chunk length. */
  l: number;
  /** Object ID of the chunk. */
  o: string;
}

export const INDIRECT_STREAM = "kopia:indirect";

export function encodeIndirect(entries: readonly IndirectEntry[]): Uint8Array {
  const parts: string[] = [];
  for (const e of entries) {
    let s = "{";
    if (e.s !== 0) s += `"s":${e.s},`;
    if (e.l !== 0) s += `"l":${e.l},`;
    // object IDs are [IZD g-z 0-9a-f] only: no escaping needed
    s += `"o":"${e.o}"}`;
    parts.push(s);
  }
  return new TextEncoder().encode(`{"stream":"${INDIRECT_STREAM}","entries":[${parts.join(",")}]}\n`);
}

/** Parses and validates a seek table: contiguous, non-overlapping, starting at 0. */
export function decodeIndirect(data: Uint8Array, what: string): IndirectEntry[] {
  let doc: any;
  try {
    doc = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    throw new CorruptDataError(`invalid indirect object ${what}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.entries)) {
    throw new CorruptDataError(`invalid indirect object ${what}: no entries`);
  }
  // kopia does not check the stream field on read; neither do we, beyond its type
  const out: IndirectEntry[] = [];
  let pos = 0;
  for (const raw of doc.entries) {
    const s = raw?.s ?? 0;
    const l = raw?.l ?? 0;
    const o = raw?.o;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(l) || l < 0 || typeof o !== "string") {
      throw new CorruptDataError(`invalid indirect object ${what}: bad entry ${JSON.stringify(raw)}`);
    }
    if (s !== pos) throw new CorruptDataError(`invalid indirect object ${what}: gap or overlap at offset ${pos}`);
    parseObjectId(o);
    out.push({ s, l, o });
    pos = s + l;
  }
  if (out.length === 0) throw new CorruptDataError(`invalid indirect object ${what}: empty seek table`);
  return out;
}
