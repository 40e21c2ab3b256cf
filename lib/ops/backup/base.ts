// Finding the base of an incremental backup (Corso's base_finder): per category, the newest
// item-data snapshot of this resource whose backup model exists (merge or assist), plus the
// `delta` and `previouspath` metadata it stored.
import { BACKUP_SCHEMA, decodeBackupModel, type BackupModel } from "../../corso/backup-model.ts";
import { getModel, ModelNotFoundError } from "../../corso/model-store.ts";
import { encodeElements } from "../../corso/path-encoder.ts";
import { DELTA_FILE, EXCHANGE_METADATA_SERVICE, EXCHANGE_SERVICE, PREVIOUS_PATH_FILE, type ExchangeCategory } from "../../corso/path.ts";
import { stripHeader } from "../../corso/serialization.ts";
import { lookupEntry, TAG_BACKUP_ID } from "../../corso/snapshots.ts";
import type { Repository } from "../../repo/repository.ts";
import type { DirEntry } from "../../repo/snapshot/dir-entry.ts";
import { listSnapshotsByLabels } from "./snapshot-find.ts";

export interface CategoryBase {
  backup: BackupModel;
  snapshotId: string;
  root: DirEntry;
  /** containerID → previous path string (escaped Corso path without item). */
  previousPaths: Map<string, string>;
  /** containerID → deltaLink (only for containers that also have a previous path). */
  deltas: Map<string, string>;
  /** False when the metadata could not be read: the category runs as a full backup (no carry-over by delta). */
  metadataOk: boolean;
}

async function readJsonFile(repo: Repository, root: DirEntry, elems: string[]): Promise<Record<string, string> | undefined> {
  const e = await lookupEntry(repo, root, encodeElements(elems));
  if (!e) return undefined;
  const body = stripHeader(await repo.objects.readObject(e.obj), elems.join("/")).body;
  const j = JSON.parse(Buffer.from(body).toString("utf8"));
  if (!j || typeof j !== "object" || Array.isArray(j)) throw new Error("metadata is not a JSON object");
  return j as Record<string, string>;
}

export async function findCategoryBase(repo: Repository, resource: string, cat: ExchangeCategory): Promise<CategoryBase | undefined> {
  const snaps = await listSnapshotsByLabels(repo, { [`tag:${resource}`]: "0", [`tag:${EXCHANGE_SERVICE}${cat}`]: "0" });
  // newest first
  for (const s of snaps.reverse()) {
    const bid = s.tags?.[TAG_BACKUP_ID];
    if (!bid || !s.rootEntry || s.incomplete) continue;
    let backup: BackupModel;
    try {
      const m = await getModel<any>(repo.manifests, BACKUP_SCHEMA, bid);
      backup = decodeBackupModel(m.model, m.tags);
    } catch (e) {
      if (e instanceof ModelNotFoundError) continue; // orphan snapshot of a killed run
      throw e;
    }
    if (backup.snapshotID !== s.id) continue;
    const base: CategoryBase = { backup, snapshotId: s.id, root: s.rootEntry, previousPaths: new Map(), deltas: new Map(), metadataOk: true };
    try {
      const pp = (await readJsonFile(repo, s.rootEntry, [EXCHANGE_METADATA_SERVICE, resource, cat, PREVIOUS_PATH_FILE])) ?? {};
      const dl = (await readJsonFile(repo, s.rootEntry, [EXCHANGE_METADATA_SERVICE, resource, cat, DELTA_FILE])) ?? {};
      for (const [k, v] of Object.entries(pp)) if (typeof v === "string" && v) base.previousPaths.set(k, v);
      // entries with a delta but no path are dropped (coll/exchange/metadata.go)
      for (const [k, v] of Object.entries(dl)) if (typeof v === "string" && v && base.previousPaths.has(k)) base.deltas.set(k, v);
    } catch {
      base.metadataOk = false;
      base.previousPaths.clear();
      base.deltas.clear();
    }
    return base;
  }
  return undefined;
}
