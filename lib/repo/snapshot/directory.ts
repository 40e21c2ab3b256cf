// Reading and writing kopia:directory objects (spec §10.3): "k"-prefixed objects, entries
// sorted directories first, then by name.
import type { ObjectManager } from "../object/object-manager.ts";
import {
  compareEntries,
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
