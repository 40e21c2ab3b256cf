// Corso's kopia snapshots (spec kopia §12.3): source, tags, the `corso` pin, and lookups of
// entries by Corso path inside a snapshot tree.
import type { Repository } from "../repo/repository.ts";
import type { DirEntry } from "../repo/snapshot/dir-entry.ts";
import { readDirectory } from "../repo/snapshot/directory.ts";
import { saveSnapshot, type SnapshotManifest, type SnapshotStats, type SourceInfo } from "../repo/snapshot/manifest.ts";
import { dateToNs } from "../repo/manifest/go-json.ts";
import { encodeElement } from "./path-encoder.ts";
import { snapshotHost } from "./path.ts";

export const CORSO_PIN = "corso";
export const TAG_BACKUP_ID = "tag:backup-id";
export const TAG_CANON = "tag:is-canon-backup";
export const CORSO_COMPRESSION = "zstd-better-compression";

export interface Reason {
  service: string;
  category: string;
}

export function corsoSource(tenant: string, resource: string, reasons: readonly Reason[]): SourceInfo {
  return { host: snapshotHost(reasons), userName: `${tenant}-${resource}`, path: encodeElement(tenant) };
}

/** Tags every Corso snapshot carries: the resource and each `<service><category>` ("0" values). */
export function reasonTags(resource: string, reasons: readonly Reason[]): Record<string, string> {
  const t: Record<string, string> = { [`tag:${resource}`]: "0" };
  for (const r of reasons) t[`tag:${r.service}${r.category}`] = "0";
  return t;
}

export async function writeCorsoSnapshot(
  repo: Repository,
  init: { source: SourceInfo; tags: Record<string, string>; root: DirEntry; stats: SnapshotStats; startedAt: Date; description?: string },
): Promise<string> {
  const m: SnapshotManifest = {
    id: "",
    source: init.source,
    description: init.description ?? "",
    startTimeNs: dateToNs(init.startedAt),
    endTimeNs: dateToNs(new Date()),
    stats: init.stats,
    rootEntry: init.root,
    tags: init.tags,
    pins: [CORSO_PIN],
  };
  return saveSnapshot(repo.manifests, m);
}

/** The entry at encoded path elements below the snapshot root (undefined when absent). */
export async function lookupEntry(repo: Repository, root: DirEntry, encoded: readonly string[]): Promise<DirEntry | undefined> {
  let cur: DirEntry = root;
  for (const name of encoded) {
    if (cur.type !== "d") return undefined;
    const entries = await readDirectory(repo.objects, cur.obj);
    const next = entries.find((e) => e.name === name);
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}

export async function readEntryBytes(repo: Repository, e: DirEntry): Promise<Uint8Array> {
  return repo.objects.readObject(e.obj);
}
