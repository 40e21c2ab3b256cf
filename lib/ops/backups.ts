// Listing, reading and deleting backups (Corso pkg/repository/backups.go).
import { BACKUP_SCHEMA, BACKUP_TYPE_TAG, SERVICE_TAG, decodeBackupModel, type BackupModel } from "../corso/backup-model.ts";
import type { DetailsEntry, FaultErrors } from "../corso/details.ts";
import { findModels, getModel, ModelNotFoundError } from "../corso/model-store.ts";
import { readStreamStore } from "../corso/streamstore.ts";
import { CorsoError } from "../errors.ts";
import type { Repository } from "../repo/repository.ts";
import { loadSnapshot, SnapshotNotFoundError } from "../repo/snapshot/manifest.ts";

/** `no backup exists with the id <id>` (for the CLI: one line, exit 1). */
export class BackupNotFoundError extends CorsoError {
  constructor(readonly backupId: string, message?: string) {
    super("backup-not-found", message ?? `no backup exists with the id ${backupId}`);
  }
}

function byStart(a: BackupModel, b: BackupModel): number {
  return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0;
}

/** Backups of a service, oldest first; assist backups are excluded (as `backup list`). */
export async function listBackups(repo: Repository, service: "exchange" | string, opts: { includeAssist?: boolean } = {}): Promise<BackupModel[]> {
  const found = await findModels<any>(repo.manifests, BACKUP_SCHEMA, { [SERVICE_TAG]: service });
  return found
    .map((m) => decodeBackupModel(m.model, m.tags))
    .filter((b) => opts.includeAssist || b.tags?.[BACKUP_TYPE_TAG] !== "assist-backup")
    .sort(byStart);
}

export async function getBackup(repo: Repository, id: string): Promise<BackupModel> {
  try {
    const m = await getModel<any>(repo.manifests, BACKUP_SCHEMA, id);
    return decodeBackupModel(m.model, m.tags);
  } catch (e) {
    if (e instanceof ModelNotFoundError) throw new BackupNotFoundError(id);
    throw e;
  }
}

export async function getBackupDetails(repo: Repository, id: string): Promise<{ backup: BackupModel; details: DetailsEntry[]; faults: FaultErrors }> {
  const backup = await getBackup(repo, id);
  const service = backup.tags?.[SERVICE_TAG] ?? "exchange";
  const { details, faults } = await readStreamStore(repo, backup.streamStoreID, service);
  return { backup, details, faults };
}

/**
 * Deletes backups with their item-data and details snapshots, all or nothing: every ID is
 * checked first and all manifests go away in one manifest write.
 */
export async function deleteBackups(repo: Repository, ids: readonly string[]): Promise<void> {
  const toDelete: string[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const found = await findModels<any>(repo.manifests, BACKUP_SCHEMA, { stableID: id });
    if (found.length === 0) {
      missing.push(id);
      continue;
    }
    for (const m of found) {
      toDelete.push(m.manifestId);
      const b = decodeBackupModel(m.model, m.tags);
      for (const sid of [b.snapshotID, b.streamStoreID]) {
        if (!sid) continue;
        try {
          await loadSnapshot(repo.manifests, sid);
          toDelete.push(sid);
        } catch (e) {
          if (!(e instanceof SnapshotNotFoundError)) throw e;
        }
      }
    }
  }
  if (missing.length > 0) {
    throw new BackupNotFoundError(missing.join(", "), `Deleting backup [${ids.join(" ")}]: no backup exists with that id: ${missing.join(", ")}`);
  }
  for (const mid of new Set(toDelete)) await repo.manifests.delete(mid);
  await repo.flush();
}
