// Snapshot directory entries and summaries (spec §10.3, kopia snapshot/manifest.go and
// fs/entry.go), encoded field for field like Go's encoding/json so that identical trees give
// identical directory objects (and therefore dedup against kopia's).
import { CorruptDataError } from "../../errors.ts";
import { formatRfc3339Nano, goString, parseRfc3339Nano } from "../manifest/go-json.ts";

export type EntryType = "f" | "d" | "s" | "";

export interface FailedEntry {
  path: string;
  error: string;
}

/** fs.DirectorySummary. */
export interface DirectorySummary {
  size: number;
  files: number;
  symlinks: number;
  dirs: number;
  /** Newest mtime in the subtree, ns since the epoch. */
  maxTimeNs: bigint;
  incomplete?: string;
  numFailed: number;
  numIgnoredErrors: number;
  errors?: FailedEntry[];
}

/** snapshot.DirEntry. */
export interface DirEntry {
  name: string;
  type: EntryType;
  /** Go os.FileMode permission bits (perm | ModeSetuid | ModeSetgid | ModeSticky). */
  mode: number;
  size: number;
  /** Modification time, ns since the epoch (fs.UTCTimestamp). */
  mtimeNs: bigint;
  uid: number;
  gid: number;
  /** Object ID ("" when absent). */
  obj: string;
  summ?: DirectorySummary;
}

export const MAX_FAILED_ENTRIES_PER_SUMMARY = 10;
export const DIRECTORY_STREAM = "kopia:directory";

// Go os.FileMode bits for the special permission flags
const GO_SETUID = 1 << 23;
const GO_SETGID = 1 << 22;
const GO_STICKY = 1 << 20;

/** Unix st_mode → kopia Permissions (mode & fs.ModBits in Go's FileMode bit layout). */
export function permissionsFromUnixMode(m: number): number {
  let p = m & 0o777;
  if (m & 0o4000) p |= GO_SETUID;
  if (m & 0o2000) p |= GO_SETGID;
  if (m & 0o1000) p |= GO_STICKY;
  return p;
}

/** kopia Permissions → Unix mode bits for chmod. */
export function unixModeFromPermissions(p: number): number {
  let m = p & 0o777;
  if (p & GO_SETUID) m |= 0o4000;
  if (p & GO_SETGID) m |= 0o2000;
  if (p & GO_STICKY) m |= 0o1000;
  return m;
}

export function encodeSummary(s: DirectorySummary): string {
  let j = `{"size":${s.size},"files":${s.files},"symlinks":${s.symlinks},"dirs":${s.dirs}`;
  j += `,"maxTime":"${formatRfc3339Nano(s.maxTimeNs)}"`;
  if (s.incomplete) j += `,"incomplete":${goString(s.incomplete)}`;
  j += `,"numFailed":${s.numFailed}`;
  if (s.numIgnoredErrors) j += `,"numIgnoredErrors":${s.numIgnoredErrors}`;
  if (s.errors && s.errors.length > 0) {
    j += `,"errors":[${s.errors.map((e) => `{"path":${goString(e.path)},"error":${goString(e.error)}}`).join(",")}]`;
  }
  return j + "}";
}

/** JSON of one DirEntry (all fields omitempty except obj, which is a struct in Go). */
export function encodeDirEntry(e: DirEntry): string {
  const f: string[] = [];
  if (e.name) f.push(`"name":${goString(e.name)}`);
  if (e.type) f.push(`"type":"${e.type}"`);
  if (e.mode) f.push(`"mode":"0${e.mode.toString(8)}"`);
  if (e.size) f.push(`"size":${e.size}`);
  if (e.mtimeNs !== 0n) f.push(`"mtime":"${formatRfc3339Nano(e.mtimeNs)}"`);
  if (e.uid) f.push(`"uid":${e.uid}`);
  if (e.gid) f.push(`"gid":${e.gid}`);
  f.push(`"obj":${goString(e.obj)}`);
  if (e.summ) f.push(`"summ":${encodeSummary(e.summ)}`);
  return "{" + f.join(",") + "}";
}

function num(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new CorruptDataError(`${what}: expected a number`);
  return v;
}

function parseMode(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "string") throw new CorruptDataError(`${what}: mode must be a string`);
  // strconv.ParseInt(s, 0, 32): leading 0 = octal, 0x = hex, 0o/0b too
  let n: number;
  if (/^0[0-7]*$/.test(v)) n = Number.parseInt(v, 8);
  else if (/^0[xX][0-9a-fA-F]+$/.test(v)) n = Number.parseInt(v.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(v)) n = Number.parseInt(v.slice(2), 8);
  else if (/^[1-9][0-9]*$/.test(v)) n = Number.parseInt(v, 10);
  else throw new CorruptDataError(`${what}: unable to parse permission string "${v}"`);
  return n;
}

export function decodeSummary(raw: any, what: string): DirectorySummary {
  if (!raw || typeof raw !== "object") throw new CorruptDataError(`${what}: invalid directory summary`);
  const s: DirectorySummary = {
    size: num(raw.size, what),
    files: num(raw.files, what),
    symlinks: num(raw.symlinks, what),
    dirs: num(raw.dirs, what),
    maxTimeNs: raw.maxTime === undefined ? 0n : parseRfc3339Nano(raw.maxTime, `${what} maxTime`),
    numFailed: num(raw.numFailed, what),
    numIgnoredErrors: num(raw.numIgnoredErrors, what),
  };
  if (raw.incomplete) s.incomplete = String(raw.incomplete);
  if (Array.isArray(raw.errors) && raw.errors.length > 0) {
    s.errors = raw.errors.map((e: any) => ({ path: String(e?.path ?? ""), error: String(e?.error ?? "") }));
  }
  return s;
}

export function decodeDirEntry(raw: any, what: string): DirEntry {
  if (!raw || typeof raw !== "object") throw new CorruptDataError(`${what}: invalid directory entry`);
  const e: DirEntry = {
    name: typeof raw.name === "string" ? raw.name : "",
    type: (raw.type ?? "") as EntryType,
    mode: parseMode(raw.mode, what),
    size: num(raw.size, what),
    mtimeNs: raw.mtime === undefined || raw.mtime === null ? 0n : parseRfc3339Nano(raw.mtime, `${what} mtime`),
    uid: num(raw.uid, what),
    gid: num(raw.gid, what),
    obj: typeof raw.obj === "string" ? raw.obj : "",
  };
  if (raw.summ) e.summ = decodeSummary(raw.summ, what);
  return e;
}

/** kopia's directory order: directories first, then by name (byte order of UTF-8). */
export function compareEntries(a: DirEntry, b: DirEntry): number {
  const ad = a.type === "d";
  const bd = b.type === "d";
  if (ad !== bd) return ad ? -1 : 1;
  if (a.name === b.name) return 0;
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** Adds one entry to a summary being built (kopia's DirManifestBuilder.addEntry); a
 * subdirectory's failed entries are appended to `errors`. */
export function addToSummary(s: DirectorySummary, errors: FailedEntry[], e: DirEntry): void {
  if (e.mtimeNs > s.maxTimeNs) s.maxTimeNs = e.mtimeNs;
  if (e.type === "s") s.symlinks++;
  else if (e.type === "f") {
    s.files++;
    s.size += e.size;
  } else if (e.type === "d" && e.summ) {
    s.files += e.summ.files;
    s.size += e.summ.size;
    s.dirs += e.summ.dirs;
    s.numFailed += e.summ.numFailed;
    s.numIgnoredErrors += e.summ.numIgnoredErrors;
    if (e.summ.errors) errors.push(...e.summ.errors);
    if (e.summ.maxTimeNs > s.maxTimeNs) s.maxTimeNs = e.summ.maxTimeNs;
  }
}

/** Builds a directory's summary from its entries like kopia's DirManifestBuilder; `failed` are
 * this directory's fatal entry errors, `ignored` its ignored ones. */
export function summarize(entries: readonly DirEntry[], dirMtimeNs: bigint, failed: FailedEntry[] = [], ignored = 0): DirectorySummary {
  const s: DirectorySummary = {
    size: 0,
    files: 0,
    symlinks: 0,
    dirs: 1,
    maxTimeNs: 0n,
    numFailed: failed.length,
    numIgnoredErrors: ignored,
  };
  let errors: FailedEntry[] = [...failed];
  for (const e of entries) addToSummary(s, errors, e);
  if (entries.length === 0) s.maxTimeNs = dirMtimeNs;
  if (errors.length > 0) {
    errors.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    s.errors = errors.slice(0, MAX_FAILED_ENTRIES_PER_SUMMARY);
  }
  return s;
}

/** The directory object bytes: json.Encoder output of DirManifest (trailing newline). */
export function encodeDirectory(sortedEntries: readonly DirEntry[], summary: DirectorySummary): Uint8Array {
  const entries = sortedEntries.length === 0 ? "null" : "[" + sortedEntries.map(encodeDirEntry).join(",") + "]";
  return Buffer.from(`{"stream":"${DIRECTORY_STREAM}","entries":${entries},"summary":${encodeSummary(summary)}}\n`, "utf8");
}

export function decodeDirectory(data: Uint8Array, objectId: string): { entries: DirEntry[]; summary?: DirectorySummary } {
  let doc: any;
  try {
    doc = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
  } catch (e) {
    throw new CorruptDataError(`unable to parse directory object ${objectId}: ${(e as Error).message}`);
  }
  if (!doc || doc.stream !== DIRECTORY_STREAM) {
    throw new CorruptDataError(`invalid directory stream type in object ${objectId}`);
  }
  const what = `directory ${objectId}`;
  const entries = Array.isArray(doc.entries) ? doc.entries.map((r: any) => decodeDirEntry(r, what)) : [];
  return { entries, summary: doc.summary ? decodeSummary(doc.summary, what) : undefined };
}
