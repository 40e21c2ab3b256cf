// Repository maintenance, compatible with kopia 0.15 (snapshot/snapshotmaintenance +
// repo/maintenance/maintenance_run.go, spec §11). Full maintenance = snapshot GC, short-pack
// rewrite, deletion watermark, unreferenced blob GC, object-lock extension, epoch cleanup,
// log cleanup, each recorded in `kopia.maintenance` so that kopia and we share one history
// and one set of safety margins.
import { CorsoError, UsageError, errorMessage } from "../../errors.ts";
import { cleanupLogs } from "./cleanup-logs.ts";
import { rewriteShortPacks, type RewriteStats } from "./content-rewrite.ts";
import { deleteUnreferencedBlobs, type BlobGCStats } from "./blob-gc.ts";
import { extendBlobRetention } from "./blob-retain.ts";
import {
  type MaintenanceParams, getMaintenanceParams, logRetentionOrDefault, setMaintenanceParams,
} from "./params.ts";
import { type SafetyLevel, type SafetyParameters, safetyFor } from "./safety.ts";
import {
  MAINTENANCE_SCHEDULE_BLOB_ID, type RunInfo, type Schedule, TASK, type TaskType, addRun, findSafeDropTime,
  nextBlobDeleteTime, readSchedule, shouldDeleteOrphanedPacks, shouldFullRewriteContents, writeSchedule,
} from "./schedule.ts";
import { runSnapshotGC, type SnapshotGCStats } from "./snapshot-gc.ts";
import { maintenanceViewOf } from "./view.ts";
import type { MaintenanceRepository } from "./types.ts";
import type { Repository } from "../repository.ts";

export { SAFETY_FULL, SAFETY_NONE, type SafetyParameters, type SafetyLevel } from "./safety.ts";
export {
  type MaintenanceParams, defaultMaintenanceParams, getMaintenanceParams, setMaintenanceParams,
} from "./params.ts";
export { type Schedule, type RunInfo, TASK, type TaskType, readSchedule, writeSchedule, MAINTENANCE_SCHEDULE_BLOB_ID } from "./schedule.ts";
export { maintenanceViewOf } from "./view.ts";

export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Maintenance is owned by another user@host (kopia NotOwnedError). */
export class MaintenanceNotOwnedError extends CorsoError {
  constructor(readonly owner: string, readonly caller: string) {
    super(
      "maintenance-not-owned",
      `maintenance must be run by designated user: ${owner || "(none)"} (this is ${caller}); use --force to take over maintenance`,
    );
  }
}

/** The local clock disagrees with the storage clock by more than 5 minutes. */
export class ClockSkewError extends CorsoError {
  constructor(readonly local: Date, readonly storage: Date) {
    super(
      "clock-skew",
      `clock skew detected: local clock ${local.toISOString()} differs from the repository storage clock ${storage.toISOString()} by more than 5m; refusing to run maintenance`,
    );
  }
}

/** A maintenance task failed; the message names the task. */
export class MaintenanceTaskError extends CorsoError {
  constructor(readonly task: string, cause: unknown) {
    super("maintenance-failed", `maintenance task ${task} failed: ${errorMessage(cause)}`, { cause });
  }
}

export type MaintenanceMode = "quick" | "full";

export interface MaintenanceOptions {
  mode: MaintenanceMode;
  /** Run even if another user@host owns maintenance, and take ownership. */
  force?: boolean;
  /** "user@host" of the caller. */
  owner: string;
  safety: SafetyLevel;
  /** Clock; defaults to the real one. Must be the clock the repository was opened with. */
  now?: () => Date;
  onProgress?: (msg: string) => void;
}

export interface TaskReport {
  task: TaskType;
  ran: boolean;
  /** Why the task did not run. */
  skipped?: string;
  durationMs: number;
  error?: string;
}

export interface MaintenanceReport {
  mode: MaintenanceMode;
  /** Storage mtime of kopia.maintenance written at the start. */
  maintenanceStart: Date;
  /** Set when ownership was (re)claimed for the caller. */
  ownerClaimed: boolean;
  snapshotGC?: SnapshotGCStats;
  rewrite?: RewriteStats;
  blobGC?: BlobGCStats;
  contentsDeleted: number;
  contentsUndeleted: number;
  contentsRewritten: number;
  blobsDeleted: number;
  bytesFreed: number;
  /** Deletion watermark written by this run, if any. */
  deletionWatermark?: Date;
  retentionExtended: number;
  logsDeleted: number;
  epoch?: { compactedEpochs: number[]; supersededIndexBlobsDeleted: number; markersDeleted: number };
  tasks: TaskReport[];
}

interface Ctx {
  repo: MaintenanceRepository;
  schedule: Schedule;
  now: () => Date;
  report: MaintenanceReport;
  progress: (msg: string) => void;
}

/** kopia ReportRun: time the task, record the run (newest first), persist the schedule. */
async function reportRun<T>(ctx: Ctx, task: TaskType, fn: () => Promise<T>): Promise<T> {
  const start = ctx.now();
  const t0 = performance.now();
  let result: T;
  let err: unknown;
  try {
    result = await fn();
  } catch (e) {
    err = e;
  }
  const info: RunInfo = { start, end: ctx.now(), success: err === undefined };
  if (err !== undefined) info.error = errorMessage(err);
  addRun(ctx.schedule, task, info);
  ctx.report.tasks.push({ task, ran: true, durationMs: performance.now() - t0, ...(err !== undefined ? { error: errorMessage(err) } : {}) });
  try {
    await writeSchedule(ctx.repo, ctx.schedule);
  } catch (e) {
    ctx.progress(`unable to report run of ${task}: ${errorMessage(e)}`);
  }
  if (err !== undefined) throw err instanceof CorsoError ? new MaintenanceTaskError(task, err) : err;
  return result!;
}

function skipped(ctx: Ctx, task: TaskType, why: string): void {
  ctx.report.tasks.push({ task, ran: false, skipped: why, durationMs: 0 });
  ctx.progress(`Skipping ${task}: ${why}`);
}

/**
 * Corso's ownership rule (wrapper.go RepoMaintenance): an unowned repository, or a forced run
 * by someone else, makes the caller the owner and disables kopia's automatic cycles.
 */
async function ensureOwner(repo: MaintenanceRepository, params: MaintenanceParams, opts: MaintenanceOptions): Promise<boolean> {
  if (params.owner === opts.owner) return false;
  if (params.owner !== "" && !opts.force) throw new MaintenanceNotOwnedError(params.owner, opts.owner);
  params.owner = opts.owner;
  params.quick.enabled = false;
  params.full.enabled = false;
  await setMaintenanceParams(repo.manifests, params, repo.contents);
  return true;
}

/** Runs quick or full maintenance on an opened repository (see docs/ENGINE.md). */
export async function runMaintenance(repository: Repository | MaintenanceRepository, opts: MaintenanceOptions): Promise<MaintenanceReport> {
  if (!/^[^@\s]+@[^@\s]+$/.test(opts.owner ?? "")) {
    throw new UsageError(`invalid maintenance owner "${opts.owner ?? ""}": expected user@host`);
  }
  const repo = maintenanceViewOf(repository);
  if (repo.readOnly) throw new UsageError("maintenance needs write access, but the repository is opened read-only");
  if (!repo.hasEpochManager) {
    throw new UsageError(
      "maintenance of format version 1 (legacy index) repositories is not supported; run 'kopia maintenance run' or upgrade the repository format",
    );
  }
  const now = opts.now ?? (() => new Date());
  const progress = opts.onProgress ?? (() => {});
  const safety: SafetyParameters = safetyFor(opts.safety);

  // Start from what is on storage now: other clients may have written since this handle opened.
  await repo.contents.refresh();
  repo.manifests.invalidate?.();
  const params = await getMaintenanceParams(repo.manifests);
  const ownerClaimed = await ensureOwner(repo, params, opts);

  // updateSchedule: move the next due times first so a crash doesn't re-run immediately; the
  // mtime of this write is the maintenance start time on the storage clock.
  const schedule = await readSchedule(repo);
  const t = now();
  if (opts.mode === "full") schedule.nextFullMaintenance = new Date(t.getTime() + params.full.intervalMs);
  schedule.nextQuickMaintenance = new Date(t.getTime() + params.quick.intervalMs);
  await writeSchedule(repo, schedule);
  const maintenanceStart = (await repo.storage.getMetadata(MAINTENANCE_SCHEDULE_BLOB_ID)).timestamp;
  const local = now();
  if (Math.abs(maintenanceStart.getTime() - local.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new ClockSkewError(local, maintenanceStart);
  }

  const report: MaintenanceReport = {
    mode: opts.mode, maintenanceStart, ownerClaimed, contentsDeleted: 0, contentsUndeleted: 0, contentsRewritten: 0,
    blobsDeleted: 0, bytesFreed: 0, retentionExtended: 0, logsDeleted: 0, tasks: [],
  };
  const ctx: Ctx = { repo, schedule, now, report, progress };
  progress(`Running ${opts.mode} maintenance...`);
  await repo.contents.refresh();
  repo.manifests.invalidate?.();

  if (opts.mode === "quick") {
    await runQuick(ctx);
  } else {
    await runFull(ctx, safety, params, maintenanceStart);
  }
  progress(`Finished ${opts.mode} maintenance.`);
  return report;
}

async function runQuick(ctx: Ctx): Promise<void> {
  // kopia: "quick maintenance not required for epoch manager" (legacy repositories are refused above).
  ctx.progress("Quick maintenance is not required for repositories with an epoch manager.");
}

async function runCleanupLogs(ctx: Ctx, params: MaintenanceParams): Promise<void> {
  await reportRun(ctx, TASK.cleanupLogs, async () => {
    const deleted = await cleanupLogs(ctx.repo.storage, logRetentionOrDefault(params.logRetention), ctx.now());
    ctx.report.logsDeleted = deleted.length;
    for (const d of deleted) ctx.report.bytesFreed += d.length;
    ctx.progress(`Cleaned up ${deleted.length} logs.`);
  });
}

async function runFull(ctx: Ctx, safety: SafetyParameters, params: MaintenanceParams, maintenanceStart: Date): Promise<void> {
  const { repo, report } = ctx;

  // 1. Snapshot GC (kopia re-reads the schedule inside ReportRun; ours is already current).
  report.snapshotGC = await reportRun(ctx, TASK.snapshotGC, () => runSnapshotGC(repo, safety, maintenanceStart, ctx.progress));
  report.contentsDeleted = report.snapshotGC.deletedCount;
  report.contentsUndeleted = report.snapshotGC.undeletedCount;
  const s = ctx.schedule;

  // 2. Rewrite contents of short packs, unless the previous rewrite's orphans are still pending.
  if (shouldFullRewriteContents(s, safety)) {
    report.rewrite = await reportRun(ctx, TASK.rewriteContentsFull, () => rewriteShortPacks(repo, safety, ctx.now(), ctx.progress));
    report.contentsRewritten = report.rewrite.rewrittenCount;
  } else {
    skipped(ctx, TASK.rewriteContentsFull, "previous content rewrite has not been finalized yet, waiting until the next blob deletion");
  }

  // 3. Drop deleted contents: advance the deletion watermark once two GC cycles make it safe.
  const safeDropTime = safety.requireTwoGCCycles ? findSafeDropTime(s.runs[TASK.snapshotGC], safety) : ctx.now();
  if (safeDropTime === undefined) {
    skipped(ctx, TASK.dropDeletedContentsFull, "not enough time has passed since the previous successful snapshot GC");
  } else {
    ctx.progress(`Found safe time to drop indexes: ${safeDropTime.toISOString()}`);
    await reportRun(ctx, TASK.dropDeletedContentsFull, async () => {
      if (await repo.advanceDeletionWatermark(safeDropTime)) report.deletionWatermark = safeDropTime;
      await repo.contents.refresh();
    });
  }

  // 4. Delete unreferenced blobs, not earlier than MinRewriteToOrphanDeletionDelay after a rewrite.
  if (shouldDeleteOrphanedPacks(ctx.now(), s, safety)) {
    report.blobGC = await reportRun(ctx, TASK.deleteOrphanedBlobsFull, () =>
      deleteUnreferencedBlobs(repo, safety, maintenanceStart, {}, ctx.progress));
    report.blobsDeleted += report.blobGC.deletedCount;
    report.bytesFreed += report.blobGC.deletedBytes;
  } else {
    const next = nextBlobDeleteTime(s, safety);
    skipped(ctx, TASK.deleteOrphanedBlobsFull, `not enough time has passed since the last content rewrite (next at ${next?.toISOString()})`);
  }

  // 5. Extend object locks.
  if (params.extendObjectLocks) {
    await reportRun(ctx, TASK.extendBlobRetentionTimeFull, async () => {
      const r = await extendBlobRetention(repo.storage, repo.retention, ctx.progress);
      report.retentionExtended = r.extended;
    });
  } else {
    skipped(ctx, TASK.extendBlobRetentionTimeFull, "extending object lock retention is disabled");
  }

  // 6. Epoch manager: compact settled epochs, delete superseded indexes, old markers, watermarks.
  if (repo.hasEpochManager) {
    await reportRun(ctx, TASK.cleanupEpochManager, async () => {
      report.epoch = await repo.epochMaintenance();
      ctx.progress(
        `Epoch cleanup: compacted ${report.epoch.compactedEpochs.length} epoch(s), deleted ${report.epoch.supersededIndexBlobsDeleted} superseded index blobs and ${report.epoch.markersDeleted} old markers/watermarks`,
      );
    });
  }

  // 7. Logs last.
  await runCleanupLogs(ctx, params);
}
