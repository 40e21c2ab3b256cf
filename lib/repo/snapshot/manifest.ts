// Snapshot manifests (spec §10.2, kopia snapshot/manifest.go and manager.go): a `type=snapshot`
// manifest labelled with its source, whose payload names the root directory entry.
import { CorruptDataError, CorsoError, UsageError } from "../../errors.ts";
import { formatRfc3339Nano, goString, parseRfc3339Nano } from "../manifest/go-json.ts";
import { ManifestNotFoundError, RawJson, type ManifestManager } from "../manifest/manifest-manager.ts";
import { decodeDirEntry, encodeDirEntry, type DirEntry } from "./dir-entry.ts";

export const SNAPSHOT_TYPE = "snapshot";

export interface SourceInfo {
  host: string;
  userName: string;
  path: string;
}

export interface SnapshotStats {
  totalSize: number;
  excludedTotalSize: number;
  fileCount: number;
  cachedFiles: number;
  nonCachedFiles: number;
  dirCount: number;
  excludedFileCount: number;
  excludedDirCount: number;
  ignoredErrorCount: number;
  errorCount: number;
}

export interface SnapshotManifest {
  /** Manifest ID (not stored in the payload; "" before save). */
  id: string;
  source: SourceInfo;
  description: string;
  startTimeNs: bigint;
  endTimeNs: bigint;
  stats: SnapshotStats;
  incomplete?: string;
  rootEntry: DirEntry | null;
  tags?: Record<string, string>;
  /** StorageStats, kept as parsed JSON (we never compute it). */
  storageStats?: unknown;
  pins?: string[];
}

/** A snapshot ID that does not exist or is not a snapshot. */
export class SnapshotNotFoundError extends CorsoError {
  constructor(readonly snapshotId: string) {
    super("snapshot-not-found", `snapshot ${snapshotId} not found`);
  }
}

export function emptyStats(): SnapshotStats {
  return {
    totalSize: 0,
    excludedTotalSize: 0,
    fileCount: 0,
    cachedFiles: 0,
    nonCachedFiles: 0,
    dirCount: 0,
    excludedFileCount: 0,
    excludedDirCount: 0,
    ignoredErrorCount: 0,
    errorCount: 0,
  };
}

export function sourceString(s: SourceInfo): string {
  if (!s.host && !s.path && !s.userName) return "(global)";
  if (!s.path) return `${s.userName}@${s.host}`;
  return `${s.userName}@${s.host}:${s.path}`;
}

function sortedMap(m: Record<string, string>): string {
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return "{" + keys.map((k) => `${goString(k)}:${goString(m[k])}`).join(",") + "}";
}

/** Payload JSON in Go field order (id cleared, as SaveSnapshot does). */
export function encodeSnapshotManifest(m: SnapshotManifest): string {
  const st = m.stats;
  let j = `{"id":"","source":{"host":${goString(m.source.host)},"userName":${goString(m.source.userName)},"path":${goString(m.source.path)}}`;
  j += `,"description":${goString(m.description)}`;
  j += `,"startTime":"${formatRfc3339Nano(m.startTimeNs)}","endTime":"${formatRfc3339Nano(m.endTimeNs)}"`;
  j +=
    `,"stats":{"totalSize":${st.totalSize},"excludedTotalSize":${st.excludedTotalSize},"fileCount":${st.fileCount}` +
    `,"cachedFiles":${st.cachedFiles},"nonCachedFiles":${st.nonCachedFiles},"dirCount":${st.dirCount}` +
    `,"excludedFileCount":${st.excludedFileCount},"excludedDirCount":${st.excludedDirCount}` +
    `,"ignoredErrorCount":${st.ignoredErrorCount},"errorCount":${st.errorCount}}`;
  if (m.incomplete) j += `,"incomplete":${goString(m.incomplete)}`;
  j += `,"rootEntry":${m.rootEntry ? encodeDirEntry(m.rootEntry) : "null"}`;
  if (m.tags && Object.keys(m.tags).length > 0) j += `,"tags":${sortedMap(m.tags)}`;
  if (m.storageStats !== undefined && m.storageStats !== null) j += `,"storageStats":${JSON.stringify(m.storageStats)}`;
  if (m.pins && m.pins.length > 0) j += `,"pins":[${[...m.pins].sort().map(goString).join(",")}]`;
  return j + "}";
}

export function decodeSnapshotManifest(doc: any, id: string): SnapshotManifest {
  if (!doc || typeof doc !== "object") throw new CorruptDataError(`snapshot ${id}: invalid manifest payload`);
  const what = `snapshot ${id}`;
  const st = { ...emptyStats(), ...(doc.stats ?? {}) } as SnapshotStats;
  const src = doc.source ?? {};
  const m: SnapshotManifest = {
    id,
    source: { host: String(src.host ?? ""), userName: String(src.userName ?? ""), path: String(src.path ?? "") },
    description: String(doc.description ?? ""),
    startTimeNs: doc.startTime ? parseRfc3339Nano(doc.startTime, `${what} startTime`) : 0n,
    endTimeNs: doc.endTime ? parseRfc3339Nano(doc.endTime, `${what} endTime`) : 0n,
    stats: st,
    rootEntry: doc.rootEntry ? decodeDirEntry(doc.rootEntry, what) : null,
  };
  if (doc.incomplete) m.incomplete = String(doc.incomplete);
  if (doc.tags && typeof doc.tags === "object") m.tags = { ...doc.tags };
  if (doc.storageStats) m.storageStats = doc.storageStats;
  if (Array.isArray(doc.pins) && doc.pins.length > 0) m.pins = doc.pins.map(String);
  return m;
}

export function sourceLabels(s: SourceInfo): Record<string, string> {
  const l: Record<string, string> = { type: SNAPSHOT_TYPE, hostname: s.host };
  if (s.userName) l.username = s.userName;
  if (s.path) l.path = s.path;
  return l;
}

/** Stores the manifest (pending until manifests.flush()) and returns its ID (also set on `m`). */
export async function saveSnapshot(manifests: ManifestManager, m: SnapshotManifest): Promise<string> {
  if (!m.source.host) throw new UsageError("snapshot source is missing host");
  if (!m.source.userName) throw new UsageError("snapshot source is missing username");
  if (!m.source.path) throw new UsageError("snapshot source is missing path");
  const labels = sourceLabels(m.source);
  for (const [k, v] of Object.entries(m.tags ?? {})) {
    if (k in labels) throw new UsageError(`invalid or duplicate tag <key> found in snapshot (${k})`);
    labels[k] = v;
  }
  m.id = "";
  const id = await manifests.put(labels, new RawJson(encodeSnapshotManifest(m)));
  m.id = id;
  return id;
}

export async function loadSnapshot(manifests: ManifestManager, id: string): Promise<SnapshotManifest> {
  let got;
  try {
    got = await manifests.get(id);
  } catch (e) {
    if (e instanceof ManifestNotFoundError) throw new SnapshotNotFoundError(id);
    throw e;
  }
  if (got.metadata.labels.type !== SNAPSHOT_TYPE) throw new SnapshotNotFoundError(id);
  return decodeSnapshotManifest(got.payload, id);
}

/** Snapshots of one source (or all), oldest first by start time. */
export async function listSnapshots(manifests: ManifestManager, source?: SourceInfo): Promise<SnapshotManifest[]> {
  const found = await manifests.find(source ? sourceLabels(source) : { type: SNAPSHOT_TYPE });
  const out: SnapshotManifest[] = [];
  for (const md of found) out.push(await loadSnapshot(manifests, md.id));
  out.sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : a.startTimeNs > b.startTimeNs ? 1 : 0));
  return out;
}

export async function deleteSnapshot(manifests: ManifestManager, id: string): Promise<void> {
  await loadSnapshot(manifests, id); // typed error for unknown / non-snapshot IDs
  await manifests.delete(id);
}
