// Corso's pre-maintenance cleanup (src/internal/kopia/cleanup_backups.go, spec §12.6): before
// full maintenance, delete item-data snapshots, details snapshots, legacy details models and
// backup models older than a buffer (7 days) that do not form a complete backup, and old
// assist backups superseded by a newer backup for the same reason. Only manifests are deleted;
// kopia's snapshot GC then frees the data.
import { CorsoError, errorMessage } from "../errors.ts";
import { runMaintenance, type MaintenanceOptions, type MaintenanceReport } from "../repo/maintenance/index.ts";
import type { Repository } from "../repo/repository.ts";

export const DEFAULT_CLEANUP_BUFFER_MS = 7 * 24 * 3600 * 1000;

const USER_TAG_PREFIX = "tag:";
const SERVICE_CAT_TAG_PREFIX = "sc-";
const TENANT_TAG = "tenant";
const KOPIA_PATH_LABEL = "path";
const TAG_BACKUP_ID = "backup-id";
const TAG_BACKUP_CATEGORY = "is-canon-backup";
const STABLE_ID_KEY = "stableID";
const MODEL_VERSION_KEY = "storeVersion";
const GLOBAL_MODEL_VERSION = 1;
const BACKUP_TYPE_TAG = "backup-type";
const ASSIST_BACKUP = "assist-backup";

export interface CleanupManifestMetadata {
  id: string;
  labels: Record<string, string>;
  modTime: Date;
}

/** What the cleanup needs from the manifest layer. */
export interface CleanupManifests {
  find(labels: Record<string, string>): Promise<CleanupManifestMetadata[]>;
  /** Payload of a manifest; throws (any error) when it does not exist. */
  get(id: string): Promise<unknown>;
  delete(id: string): Promise<void>;
  flush(): Promise<void>;
}

export interface CleanupResult {
  /** Manifest IDs deleted (snapshots and models). */
  deleted: string[];
  /** Of those, old assist backups (their model, data and details snapshot IDs). */
  assistDeleted: string[];
}

interface BackupModel {
  modelStoreId: string;
  modTime: Date;
  tags: Record<string, string>;
  creationTime: Date;
  snapshotId: string;
  streamStoreId: string;
  detailsId: string;
  protectedResourceId: string;
}

function payloadOf(got: unknown): any {
  if (got && typeof got === "object" && "payload" in (got as Record<string, unknown>)) return (got as any).payload;
  return got;
}

/** Corso path elements are base64 URL encoding with padding. */
function decodeElement(s: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new CorsoError("corrupt", `invalid path element "${s}"`);
  return Buffer.from(s, "base64url").toString("utf8");
}

/** ModelStore.baseModelFromMetadata: stableID and storeVersion "1" are required. */
function modelTags(md: CleanupManifestMetadata): Record<string, string> {
  if (!(STABLE_ID_KEY in md.labels)) throw new CorsoError("corrupt", `model ${md.id} has no stableID`);
  const v = Number.parseInt(md.labels[MODEL_VERSION_KEY] ?? "", 10);
  if (v !== GLOBAL_MODEL_VERSION) throw new CorsoError("corrupt", `model ${md.id}: bad model version "${md.labels[MODEL_VERSION_KEY] ?? ""}"`);
  const tags = { ...md.labels };
  delete tags[STABLE_ID_KEY];
  delete tags[MODEL_VERSION_KEY];
  delete tags.type;
  return tags;
}

function transferTags(snap: CleanupManifestMetadata, bup: BackupModel): void {
  const tenant = decodeElement(snap.labels[KOPIA_PATH_LABEL] ?? "");
  bup.tags[TENANT_TAG] = tenant;
  const skip = new Set([USER_TAG_PREFIX + TAG_BACKUP_ID, USER_TAG_PREFIX + TAG_BACKUP_CATEGORY, USER_TAG_PREFIX + bup.protectedResourceId]);
  for (const tag of Object.keys(snap.labels)) {
    if (skip.has(tag) || !tag.startsWith(USER_TAG_PREFIX)) continue;
    bup.tags[tag.replace(USER_TAG_PREFIX, SERVICE_CAT_TAG_PREFIX)] = "0";
  }
}

function keysForBackup(bup: BackupModel): string[] | undefined {
  const tenant = bup.tags[TENANT_TAG];
  if (!tenant) return undefined;
  return Object.keys(bup.tags).filter((t) => t.startsWith(SERVICE_CAT_TAG_PREFIX)).map((t) => tenant + bup.protectedResourceId + t);
}

function collectOldAssistBases(mostRecentMergeBase: Map<string, number>, bups: BackupModel[]): string[] {
  const maybeDelete = new Map<string, BackupModel>();
  const byReason = new Map<string, BackupModel[]>();
  for (const b of bups) {
    const keys = keysForBackup(b);
    if (!keys) continue;
    maybeDelete.set(b.modelStoreId, b);
    for (const k of keys) byReason.set(k, [...(byReason.get(k) ?? []), b]);
  }
  for (const [reason, set] of byReason) {
    if (set.length === 0) continue;
    const sorted = [...set].sort((a, b) => b.creationTime.getTime() - a.creationTime.getTime());
    const merge = mostRecentMergeBase.get(reason) ?? Number.NEGATIVE_INFINITY;
    // Keep the youngest assist base unless a younger merge base exists for this reason.
    if (!(sorted[0].creationTime.getTime() < merge)) maybeDelete.delete(sorted[0].modelStoreId);
  }
  const res: string[] = [];
  for (const [id, b] of maybeDelete) res.push(id, b.snapshotId, b.streamStoreId);
  return res;
}

export async function cleanupOrphanedBackups(
  manifests: CleanupManifests,
  opts: {
    bufferMs?: number;
    now?: () => Date;
    onProgress?: (msg: string) => void;
    /** Content manager to flush so the deletions are durable on return. */
    contents?: { flush(): Promise<void> };
  } = {},
): Promise<CleanupResult> {
  const now = (opts.now ?? (() => new Date()))();
  const cutoff = now.getTime() - (opts.bufferMs ?? DEFAULT_CLEANUP_BUFFER_MS);
  const oldEnough = (d: Date) => cutoff > d.getTime();

  const deets = new Set<string>();
  const dataSnaps = new Map<string, CleanupManifestMetadata>();
  const toDelete = new Set<string>();

  for (const snap of await manifests.find({ type: "snapshot" })) {
    if (!oldEnough(snap.modTime)) continue;
    toDelete.add(snap.id);
    if (USER_TAG_PREFIX + TAG_BACKUP_CATEGORY in snap.labels) dataSnaps.set(snap.id, snap);
    else deets.add(snap.id);
  }

  for (const d of await manifests.find({ type: "BackupDetailsSchema" })) {
    modelTags(d);
    if (!oldEnough(d.modTime)) continue;
    deets.add(d.id);
    toDelete.add(d.id);
  }

  const assistBackups: BackupModel[] = [];
  const mostRecentMergeBase = new Map<string, number>();
  for (const md of await manifests.find({ type: "BackupSchema" })) {
    const tags = modelTags(md);
    if (!oldEnough(md.modTime)) continue;
    toDelete.add(md.id);
    let p: any;
    try {
      p = payloadOf(await manifests.get(md.id));
    } catch (e) {
      // Model vanished (concurrent delete): its data is orphaned and stays in the delete set.
      opts.onProgress?.(`backup model ${md.id} not found: ${errorMessage(e)}`);
      continue;
    }
    const bm: BackupModel = {
      modelStoreId: md.id,
      modTime: md.modTime,
      tags: { ...tags },
      creationTime: new Date(typeof p?.creationTime === "string" ? p.creationTime : 0),
      snapshotId: String(p?.snapshotID ?? ""),
      streamStoreId: String(p?.streamStoreID ?? ""),
      detailsId: String(p?.detailsID ?? ""),
      protectedResourceId: String(p?.protectedResourceID ?? ""),
    };
    const ssid = bm.streamStoreId || bm.detailsId;
    const d = dataSnaps.get(bm.snapshotId);
    if (!(d && deets.has(ssid))) continue;
    toDelete.delete(md.id);
    toDelete.delete(bm.snapshotId);
    toDelete.delete(ssid);
    try {
      transferTags(d, bm);
    } catch (e) {
      opts.onProgress?.(`transferring legacy tags of backup ${md.id}: ${errorMessage(e)}`);
      continue;
    }
    if (tags[BACKUP_TYPE_TAG] === ASSIST_BACKUP) {
      assistBackups.push(bm);
      continue;
    }
    for (const k of keysForBackup(bm) ?? []) {
      const t = mostRecentMergeBase.get(k);
      if (t !== undefined && t > bm.creationTime.getTime()) continue;
      mostRecentMergeBase.set(k, bm.creationTime.getTime());
    }
  }

  const assist = collectOldAssistBases(mostRecentMergeBase, assistBackups);
  const all = [...assist, ...toDelete];
  for (const id of all) {
    if (!id) throw new CorsoError("corrupt", "cleanup: a backup model references an empty snapshot or details ID");
  }
  const unique = [...new Set(all)];
  opts.onProgress?.(`Garbage collecting ${unique.length} orphaned or incomplete backup items (${assist.length} from old assist backups)`);
  for (const id of unique) await manifests.delete(id);
  if (unique.length > 0) {
    await manifests.flush();
    await opts.contents?.flush();
  }
  return { deleted: unique, assistDeleted: assist };
}

// ---------------------------------------------------------------------------------------------
// Corso's RepoMaintenance (wrapper.go): cleanup first (full mode only; a failure there is
// recorded, not fatal), then kopia-compatible maintenance.

export interface CorsoMaintenanceReport extends MaintenanceReport {
  cleanup?: CleanupResult;
  /** Set when the pre-maintenance cleanup failed (maintenance still ran). */
  cleanupError?: string;
}

export async function corsoRepoMaintenance(
  repo: Repository,
  opts: MaintenanceOptions & { cleanupBufferMs?: number },
): Promise<CorsoMaintenanceReport> {
  let cleanup: CleanupResult | undefined;
  let cleanupError: string | undefined;
  if (opts.mode === "full") {
    try {
      cleanup = await cleanupOrphanedBackups(repo.manifests, {
        bufferMs: opts.cleanupBufferMs,
        now: opts.now,
        onProgress: opts.onProgress,
        contents: repo.contents,
      });
    } catch (e) {
      cleanupError = `cleaning up failed backups, some space may not be freed: ${errorMessage(e)}`;
      opts.onProgress?.(cleanupError);
    }
  }
  const report: CorsoMaintenanceReport = await runMaintenance(repo, opts);
  if (cleanup) report.cleanup = cleanup;
  if (cleanupError) report.cleanupError = cleanupError;
  return report;
}
