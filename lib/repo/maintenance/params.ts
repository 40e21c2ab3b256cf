// The `type=maintenance` manifest (kopia repo/maintenance/maintenance_params.go, spec §10.4):
// who owns maintenance, quick/full cycles, log retention and object-lock extension.
// Durations are stored as Go time.Duration (ns); this module exposes milliseconds.
import { CorruptDataError } from "../../errors.ts";

export const MAINTENANCE_MANIFEST_LABELS: Readonly<Record<string, string>> = Object.freeze({ type: "maintenance" });

const NS_PER_MS = 1_000_000;
const HOUR_MS = 3_600_000;

export interface CycleParams {
  enabled: boolean;
  intervalMs: number;
}

export interface LogRetention {
  maxTotalSize: number;
  maxCount: number;
  maxAgeMs: number;
}

export interface MaintenanceParams {
  /** "user@host" of the client allowed to run maintenance ("" = nobody yet). */
  owner: string;
  quick: CycleParams;
  full: CycleParams;
  logRetention: LogRetention;
  extendObjectLocks: boolean;
}

export function defaultLogRetention(): LogRetention {
  return { maxTotalSize: 1 << 30, maxCount: 10_000, maxAgeMs: 30 * 24 * HOUR_MS };
}

/** kopia DefaultParams(). */
export function defaultMaintenanceParams(): MaintenanceParams {
  return {
    owner: "",
    quick: { enabled: true, intervalMs: HOUR_MS },
    full: { enabled: true, intervalMs: 24 * HOUR_MS },
    logRetention: defaultLogRetention(),
    extendObjectLocks: false,
  };
}

/** kopia LogRetentionOptions.OrDefault: all-zero means the defaults. */
export function logRetentionOrDefault(r: LogRetention): LogRetention {
  return r.maxCount === 0 && r.maxAgeMs === 0 && r.maxTotalSize === 0 ? defaultLogRetention() : r;
}

/** Payload object in Go struct field order. */
export function paramsToJson(p: MaintenanceParams): Record<string, unknown> {
  return {
    owner: p.owner,
    quick: { enabled: p.quick.enabled, interval: Math.round(p.quick.intervalMs * NS_PER_MS) },
    full: { enabled: p.full.enabled, interval: Math.round(p.full.intervalMs * NS_PER_MS) },
    logRetention: {
      maxTotalSize: p.logRetention.maxTotalSize,
      maxCount: p.logRetention.maxCount,
      maxAge: Math.round(p.logRetention.maxAgeMs * NS_PER_MS),
    },
    extendObjectLocks: p.extendObjectLocks,
  };
}

export function paramsFromJson(o: unknown): MaintenanceParams {
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new CorruptDataError("maintenance parameters manifest: payload is not an object");
  const v = o as Record<string, any>;
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  const cycle = (c: any): CycleParams => ({ enabled: c?.enabled === true, intervalMs: num(c?.interval) / NS_PER_MS });
  return {
    owner: typeof v.owner === "string" ? v.owner : "",
    quick: cycle(v.quick),
    full: cycle(v.full),
    logRetention: {
      maxTotalSize: num(v.logRetention?.maxTotalSize),
      maxCount: num(v.logRetention?.maxCount),
      maxAgeMs: num(v.logRetention?.maxAge) / NS_PER_MS,
    },
    extendObjectLocks: v.extendObjectLocks === true,
  };
}

/** What reading/writing the parameters needs from the manifest layer. */
export interface ParamsManifests {
  find(labels: Record<string, string>): Promise<{ id: string; modTime: Date }[]>;
  get(id: string): Promise<unknown>;
  put(labels: Record<string, string>, payload: unknown): Promise<string>;
  delete(id: string): Promise<void>;
  flush(): Promise<void>;
}

function payloadOf(got: unknown): unknown {
  if (got && typeof got === "object" && "payload" in (got as Record<string, unknown>)) return (got as { payload: unknown }).payload;
  return got;
}

/** kopia manifest.PickLatestID: later modification time wins, then the larger ID. */
export function pickLatestId<T extends { id: string; modTime: Date }>(mds: T[]): T | undefined {
  let best: T | undefined;
  for (const m of mds) {
    if (!best) best = m;
    else if (m.modTime.getTime() > best.modTime.getTime()) best = m;
    else if (m.modTime.getTime() === best.modTime.getTime() && m.id > best.id) best = m;
  }
  return best;
}

/** Current parameters, or the defaults (owner "") when none were ever set. */
export async function getMaintenanceParams(manifests: ParamsManifests): Promise<MaintenanceParams> {
  const latest = pickLatestId(await manifests.find({ ...MAINTENANCE_MANIFEST_LABELS }));
  if (!latest) return defaultMaintenanceParams();
  return paramsFromJson(payloadOf(await manifests.get(latest.id)));
}

/**
 * Replaces all maintenance manifests with one holding `p` (kopia ReplaceManifests). Pass the
 * content manager to make it durable at once (otherwise the next repository flush does).
 */
export async function setMaintenanceParams(
  manifests: ParamsManifests,
  p: MaintenanceParams,
  contents?: { flush(): Promise<void> },
): Promise<string> {
  const old = await manifests.find({ ...MAINTENANCE_MANIFEST_LABELS });
  const id = await manifests.put({ ...MAINTENANCE_MANIFEST_LABELS }, paramsToJson(p));
  for (const m of old) if (m.id !== id) await manifests.delete(m.id);
  await manifests.flush();
  await contents?.flush();
  return id;
}

/** kopia CheckExtendRetention: retention must outlast the full-maintenance interval by 24 h. */
export function checkExtendRetention(retentionPeriodNs: number | undefined, p: MaintenanceParams): string | undefined {
  if (!p.extendObjectLocks) return undefined;
  const periodMs = (retentionPeriodNs ?? 0) / NS_PER_MS;
  if (periodMs > 0 && periodMs - p.full.intervalMs < 24 * HOUR_MS) {
    return `the repository retention period must be 24h greater than the full maintenance interval (retention ${periodMs / HOUR_MS}h, interval ${p.full.intervalMs / HOUR_MS}h)`;
  }
  return undefined;
}
