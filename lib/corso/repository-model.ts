// The manifests Corso keeps in a repository besides backups (kopia-format spec §10.4, §12.2,
// §12.5): the global snapshot policy Corso sets at init, kopia's maintenance parameters, and
// Corso's RepositorySchema identity model whose stableID is the repository ID.
import { CorruptDataError } from "../errors.ts";
import {
  MAINTENANCE_MANIFEST_LABELS,
  getMaintenanceParams,
  setMaintenanceParams,
  type MaintenanceParams,
} from "../repo/maintenance/params.ts";

/** What this module needs from the repository's manifest manager. */
export interface ManifestStore {
  put(labels: Record<string, string>, payload: unknown): Promise<string>;
  get(id: string): Promise<unknown>;
  find(labels: Record<string, string>): Promise<{ id: string; labels: Record<string, string>; modTime: Date }[]>;
  delete(id: string): Promise<void>;
  flush(): Promise<void>;
}

export const DEFAULT_COMPRESSOR = "zstd-better-compression";
export const GLOBAL_POLICY_LABELS: Readonly<Record<string, string>> = Object.freeze({ type: "policy", policyType: "global" });
export const REPOSITORY_SCHEMA = "RepositorySchema";
/** Corso's model store version label value (globalModelVersion). */
export const MODEL_STORE_VERSION = "1";
/** Corso's defaultMinEpochDuration. */
export const CORSO_MIN_EPOCH_DURATION_MS = 8 * 3_600_000;

/** manifests.get may return the payload itself or {payload, labels}; normalise to the payload. */
export function payloadOf(v: unknown): unknown {
  if (v && typeof v === "object" && "payload" in (v as object) && ("labels" in (v as object) || "metadata" in (v as object))) {
    return (v as { payload: unknown }).payload;
  }
  return v;
}

/** The newest manifest matching labels (kopia picks the latest modTime when several exist). */
async function newest(ms: ManifestStore, labels: Record<string, string>) {
  const all = await ms.find(labels);
  if (all.length === 0) return undefined;
  return all.reduce((a, b) => (b.modTime.getTime() > a.modTime.getTime() ? b : a));
}

// ---------------------------------------------------------------------------------------------
// Global policy

/**
 * The global policy exactly as Corso's setDefaultConfigValues leaves a fresh repository: an
 * empty kopia policy with compression zstd-better-compression, every retention keep* = 0 and
 * scheduling interval 0. Key order and empty sub-objects match Go's json.Marshal of
 * policy.Policy (checked against kopia v0.15's structs).
 */
export function corsoDefaultGlobalPolicy(): Record<string, unknown> {
  return {
    retention: { keepLatest: 0, keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepAnnual: 0 },
    files: {},
    errorHandling: {},
    scheduling: {},
    compression: { compressorName: DEFAULT_COMPRESSOR },
    actions: {},
    logging: { directories: {}, entries: {} },
    upload: {},
  };
}

const RETENTION_KEYS = ["keepLatest", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepAnnual"];

/** Applies Corso's defaults to an existing policy; returns undefined when nothing changes. */
export function applyCorsoPolicyDefaults(existing: Record<string, any>): Record<string, unknown> | undefined {
  const p: Record<string, any> = structuredClone(existing);
  let changed = false;
  if (p.compression?.compressorName !== DEFAULT_COMPRESSOR) {
    p.compression = { compressorName: DEFAULT_COMPRESSOR };
    changed = true;
  }
  const r = p.retention ?? {};
  const retentionOk = RETENTION_KEYS.every((k) => r[k] === 0) && Object.keys(r).every((k) => RETENTION_KEYS.includes(k));
  if (!retentionOk) {
    p.retention = Object.fromEntries(RETENTION_KEYS.map((k) => [k, 0]));
    changed = true;
  }
  if ((p.scheduling?.intervalSeconds ?? 0) !== 0) {
    p.scheduling = { ...p.scheduling };
    delete p.scheduling.intervalSeconds;
    changed = true;
  }
  return changed ? p : undefined;
}

export async function getGlobalPolicy(ms: ManifestStore): Promise<{ id: string; policy: Record<string, any> } | undefined> {
  const m = await newest(ms, { ...GLOBAL_POLICY_LABELS });
  if (!m) return undefined;
  const payload = payloadOf(await ms.get(m.id));
  if (!payload || typeof payload !== "object") throw new CorruptDataError(`global policy manifest ${m.id}: payload is not an object`);
  return { id: m.id, policy: payload as Record<string, any> };
}

/** Writes Corso's default global policy (replacing older global policy manifests) when needed. */
export async function ensureCorsoGlobalPolicy(ms: ManifestStore): Promise<boolean> {
  const cur = await getGlobalPolicy(ms);
  const next = cur ? applyCorsoPolicyDefaults(cur.policy) : corsoDefaultGlobalPolicy();
  if (!next) return false;
  const old = await ms.find({ ...GLOBAL_POLICY_LABELS });
  await ms.put({ ...GLOBAL_POLICY_LABELS }, next);
  for (const o of old) await ms.delete(o.id);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Maintenance parameters

/** Whether the repository holds a maintenance parameters manifest at all. */
export async function hasMaintenanceParams(ms: ManifestStore): Promise<boolean> {
  return (await ms.find({ ...MAINTENANCE_MANIFEST_LABELS })).length > 0;
}

export { getMaintenanceParams, setMaintenanceParams };

/**
 * Corso's maintenance ownership: owner = user@host with kopia's automatic cycles disabled
 * (wrapper.go setMaintenanceParams). Applied at init and when maintenance takes ownership.
 */
export function corsoOwnedParams(p: MaintenanceParams, owner: string): MaintenanceParams {
  return { ...p, owner, quick: { ...p.quick, enabled: false }, full: { ...p.full, enabled: false } };
}

// ---------------------------------------------------------------------------------------------
// Repository identity (Corso's repositoryModel, schema RepositorySchema)

export function repositoryModelLabels(repoId: string): Record<string, string> {
  return { type: REPOSITORY_SCHEMA, stableID: repoId, storeVersion: MODEL_STORE_VERSION };
}

/** The repository ID from the RepositorySchema model, or "" when the repository has none. */
export async function getRepositoryId(ms: ManifestStore): Promise<string> {
  const all = await ms.find({ type: REPOSITORY_SCHEMA });
  if (all.length === 0) return "";
  // Corso takes the first model returned; pick the oldest for determinism.
  const m = all.reduce((a, b) => (b.modTime.getTime() < a.modTime.getTime() ? b : a));
  return m.labels.stableID ?? "";
}

export async function putRepositoryModel(ms: ManifestStore, repoId: string): Promise<string> {
  return ms.put(repositoryModelLabels(repoId), { ID: repoId });
}
