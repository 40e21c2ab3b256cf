// The `kopia.maintenance` blob (kopia repo/maintenance/maintenance_schedule.go, spec §11.3):
// next due times and the last 5 runs of every task, AES-256-GCM encrypted with
// HKDF(masterKey, uniqueID, "maintenance schedule") and AAD "maintenance".
import { BlobNotFoundError, CorruptDataError } from "../../errors.ts";
import { aesGcmOpen, aesGcmSeal } from "../../crypto/aes-gcm.ts";
import type { BlobStorage } from "../../storage/types.ts";
import { goMarshal, goTime } from "../format/go-json.ts";
import type { SafetyParameters } from "./safety.ts";

export const MAINTENANCE_SCHEDULE_BLOB_ID = "kopia.maintenance";
const KEY_PURPOSE = "maintenance schedule";
const AAD = new TextEncoder().encode("maintenance");
export const MAX_RETAINED_RUNS_PER_TASK = 5;

/** Task names exactly as kopia records them. */
export const TASK = {
  snapshotGC: "snapshot-gc",
  deleteOrphanedBlobsQuick: "quick-delete-blobs",
  deleteOrphanedBlobsFull: "full-delete-blobs",
  rewriteContentsQuick: "quick-rewrite-contents",
  rewriteContentsFull: "full-rewrite-contents",
  dropDeletedContentsFull: "full-drop-deleted-content",
  indexCompaction: "index-compaction",
  extendBlobRetentionTimeFull: "extend-blob-retention-time",
  cleanupLogs: "cleanup-logs",
  cleanupEpochManager: "cleanup-epoch-manager",
} as const;
export type TaskType = (typeof TASK)[keyof typeof TASK];

export interface RunInfo {
  start: Date;
  end: Date;
  success: boolean;
  error?: string;
}

export interface Schedule {
  /** undefined = Go's zero time (never scheduled). */
  nextFullMaintenance?: Date;
  nextQuickMaintenance?: Date;
  /** Task name → runs, newest first, at most 5. Unknown task names are preserved. */
  runs: Record<string, RunInfo[]>;
}

/** What the schedule needs from a repository. */
export interface ScheduleRepo {
  storage: BlobStorage;
  deriveKey(purpose: string, length: number): Uint8Array | Promise<Uint8Array>;
}

const GO_ZERO_TIME = "0001-01-01T00:00:00Z";
// Date.UTC maps years 0..99 to 1900..1999, so year 1 is set explicitly.
const ZERO_MS = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
})();

function encodeTime(d: Date | undefined): string {
  return d === undefined ? GO_ZERO_TIME : goTime(d);
}

function decodeTime(v: unknown, what: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new CorruptDataError(`${MAINTENANCE_SCHEDULE_BLOB_ID}: ${what} is not a time`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new CorruptDataError(`${MAINTENANCE_SCHEDULE_BLOB_ID}: ${what} is not a time ("${v}")`);
  return d.getTime() <= ZERO_MS ? undefined : d;
}

export function emptySchedule(): Schedule {
  return { runs: {} };
}

/** JSON exactly as Go's json.Marshal(Schedule) (map keys sorted, omitempty fields). */
export function serializeSchedule(s: Schedule): Uint8Array {
  const runs: Record<string, unknown> = {};
  for (const task of Object.keys(s.runs).sort()) {
    runs[task] = s.runs[task].map((r) => {
      const o: Record<string, unknown> = { start: encodeTime(r.start), end: encodeTime(r.end) };
      if (r.success) o.success = true;
      if (r.error) o.error = r.error;
      return o;
    });
  }
  const o = {
    nextFullMaintenance: encodeTime(s.nextFullMaintenance),
    nextQuickMaintenance: encodeTime(s.nextQuickMaintenance),
    runs,
  };
  return new TextEncoder().encode(goMarshal(o));
}

export function parseSchedule(json: Uint8Array): Schedule {
  let o: any;
  try {
    o = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw new CorruptDataError(`${MAINTENANCE_SCHEDULE_BLOB_ID}: malformed schedule JSON (${(e as Error).message})`);
  }
  if (!o || typeof o !== "object") throw new CorruptDataError(`${MAINTENANCE_SCHEDULE_BLOB_ID}: malformed schedule`);
  const s: Schedule = {
    nextFullMaintenance: decodeTime(o.nextFullMaintenance, "nextFullMaintenance"),
    nextQuickMaintenance: decodeTime(o.nextQuickMaintenance, "nextQuickMaintenance"),
    runs: {},
  };
  if (o.runs && typeof o.runs === "object") {
    for (const [task, list] of Object.entries(o.runs)) {
      if (!Array.isArray(list)) continue;
      s.runs[task] = list.map((r: any) => ({
        start: decodeTime(r?.start, `${task}.start`) ?? new Date(ZERO_MS),
        end: decodeTime(r?.end, `${task}.end`) ?? new Date(ZERO_MS),
        success: r?.success === true,
        ...(typeof r?.error === "string" && r.error ? { error: r.error } : {}),
      }));
    }
  }
  return s;
}

async function scheduleKey(repo: ScheduleRepo): Promise<Uint8Array> {
  return await repo.deriveKey(KEY_PURPOSE, 32);
}

/** Reads the schedule; a missing blob is an empty schedule (as kopia). */
export async function readSchedule(repo: ScheduleRepo): Promise<Schedule> {
  let raw: Uint8Array;
  try {
    raw = await repo.storage.getBlob(MAINTENANCE_SCHEDULE_BLOB_ID);
  } catch (e) {
    if (e instanceof BlobNotFoundError) return emptySchedule();
    throw e;
  }
  let plain: Uint8Array;
  try {
    plain = aesGcmOpen(await scheduleKey(repo), raw, AAD);
  } catch (e) {
    throw new CorruptDataError(`${MAINTENANCE_SCHEDULE_BLOB_ID}: unable to decrypt schedule blob`, { cause: e });
  }
  return parseSchedule(plain);
}

export async function writeSchedule(repo: ScheduleRepo, s: Schedule): Promise<void> {
  const sealed = aesGcmSeal(await scheduleKey(repo), serializeSchedule(s), AAD);
  await repo.storage.putBlob(MAINTENANCE_SCHEDULE_BLOB_ID, sealed);
}

/** Adds a run as the newest entry of its task and keeps at most 5 (kopia Schedule.ReportRun). */
export function addRun(s: Schedule, task: string, info: RunInfo): void {
  s.runs[task] = [info, ...(s.runs[task] ?? [])].slice(0, MAX_RETAINED_RUNS_PER_TASK);
}

/** Latest end time of successful runs over the given task histories (undefined if none). */
export function maxEndTime(...histories: (RunInfo[] | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const h of histories) {
    for (const r of h ?? []) {
      if (!r.success) continue;
      if (best === undefined || r.end.getTime() > best.getTime()) best = r.end;
    }
  }
  return best;
}

/**
 * Latest time before which deleted contents may be dropped from indexes (kopia
 * findSafeDropTime): two successful snapshot-GC runs more than MarginBetweenSnapshotGC apart,
 * result = the older run's start − DropContentFromIndexExtraMargin. undefined = not yet safe.
 */
export function findSafeDropTime(runs: RunInfo[] | undefined, safety: SafetyParameters): Date | undefined {
  const ok = (runs ?? []).filter((r) => r.success).sort((a, b) => b.start.getTime() - a.start.getTime());
  if (ok.length <= 1) return undefined;
  const latestStart = ok[0].start.getTime();
  for (const r of ok.slice(1)) {
    const diff = latestStart - r.end.getTime();
    if (diff > safety.marginBetweenSnapshotGCMs) {
      return new Date(r.start.getTime() - safety.dropContentFromIndexExtraMarginMs);
    }
  }
  return undefined;
}

/** kopia shouldFullRewriteContents: don't start a rewrite until the previous one's orphans were deleted. */
export function shouldFullRewriteContents(s: Schedule, safety: SafetyParameters): boolean {
  const lastRewrite = maxEndTime(s.runs[TASK.rewriteContentsFull]);
  const lastDelete = maxEndTime(s.runs[TASK.deleteOrphanedBlobsFull], s.runs[TASK.deleteOrphanedBlobsQuick]);
  if (lastRewrite === undefined || safety.minRewriteToOrphanDeletionDelayMs === 0) return true;
  return lastDelete !== undefined && lastDelete.getTime() >= lastRewrite.getTime();
}

/** Earliest time orphaned blobs may be deleted after the last content rewrite. */
export function nextBlobDeleteTime(s: Schedule, safety: SafetyParameters): Date | undefined {
  const lastRewrite = maxEndTime(s.runs[TASK.rewriteContentsFull], s.runs[TASK.rewriteContentsQuick]);
  if (lastRewrite === undefined) return undefined;
  return new Date(lastRewrite.getTime() + safety.minRewriteToOrphanDeletionDelayMs);
}

export function shouldDeleteOrphanedPacks(now: Date, s: Schedule, safety: SafetyParameters): boolean {
  const t = nextBlobDeleteTime(s, safety);
  return t === undefined || now.getTime() >= t.getTime();
}
