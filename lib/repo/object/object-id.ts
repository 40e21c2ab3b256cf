// Object IDs (spec §9.1): ("I" × indirection) + ["Z" if legacy-compressed] + contentID.
// A legacy "D" before the content ID is accepted on parse and dropped on format.
import { CorruptDataError } from "../../errors.ts";

export interface ObjectId {
  /** Number of indirect-list levels ("I" prefixes). */
  indirection: number;
  /** Legacy object-level compression ("Z"): the content holds header+compressed stream. */
  compressed: boolean;
  /** "[prefix]" + hex(hash). */
  contentId: string;
}

const HEX = /^[0-9a-f]*$/;

/** Validates a content ID the way kopia's index.ParseID does: odd length = one prefix letter
 * in 'g'..'z', then an even number of lowercase hex digits (at most 32 bytes). */
export function isValidContentId(cid: string): boolean {
  let hex = cid;
  if (cid.length % 2 === 1) {
    const p = cid.charCodeAt(0);
    if (p < 0x67 || p > 0x7a) return false; // 'g'..'z'
    hex = cid.slice(1);
  }
  return hex.length > 0 && hex.length <= 64 && HEX.test(hex);
}

export function parseObjectId(s: string): ObjectId {
  if (typeof s !== "string") throw new CorruptDataError(`malformed object ID: ${String(s)}`);
  let i = 0;
  let indirection = 0;
  while (i < s.length && s[i] === "I") {
    indirection++;
    i++;
  }
  let compressed = false;
  if (s[i] === "Z") {
    compressed = true;
    i++;
  }
  if (s[i] === "D") i++;
  if (indirection > 0 && compressed) {
    throw new CorruptDataError(`malformed object ID "${s}": compression and indirection are mutually exclusive`);
  }
  const contentId = s.slice(i);
  if (!isValidContentId(contentId)) throw new CorruptDataError(`malformed object ID "${s}"`);
  return { indirection, compressed, contentId };
}

export function formatObjectId(id: ObjectId): string {
  return "I".repeat(id.indirection) + (id.compressed ? "Z" : "") + id.contentId;
}

/** Object ID of the object whose indirect list is stored as object `listId`. */
export function indirectObjectId(listId: string): string {
  const id = parseObjectId(listId);
  if (id.compressed) throw new CorruptDataError(`cannot make an indirect object from compressed object ${listId}`);
  return "I" + formatObjectId(id);
}

/** Content-ID prefix of an object ("k" for directories, "" for file data). */
export function objectIdPrefix(objectId: string): string {
  const cid = parseObjectId(objectId).contentId;
  return cid.length % 2 === 1 ? cid[0] : "";
}
