// How backups, details entries and fault items print (corso-cli spec §8.1–§8.3), as Corso's
// Headers()/Values()/MinimumPrintable() do. Inputs are the stored Corso JSON shapes (backup model,
// details entry, fault.Errors), typed structurally here so this file needs none of the engine.
import type { CommandContext } from "./context.ts";
import { configurePrint, isJSON, type Printable } from "./print.ts";

/** Kept for the Exchange commands: every command now prints through print.ts's synchronous writers. */
export function useSyncStdout(ctx: CommandContext): void {
  configurePrint({ json: isJSON(), beforePrint: () => ctx.progress.clearLine() });
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers (Go's humanize.Bytes, time.Duration.String, dttm tabular format)

const SI = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];

/** go-humanize Bytes: SI units, one decimal below 10 (`401 kB`, `1.2 MB`, `7 B`). */
export function humanizeBytes(n: number): string {
  if (!Number.isFinite(n) || n < 10) return `${Math.max(0, Math.floor(n || 0))} B`;
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${SI[e]}` : `${val.toFixed(0)} ${SI[e]}`;
}

/** Epoch nanoseconds of an RFC 3339 timestamp, keeping sub-millisecond digits. */
export function epochNanos(ts: string | undefined): bigint | undefined {
  if (!ts) return undefined;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  const ms = Date.parse(m ? `${m[1]}${m[3]}` : ts);
  if (Number.isNaN(ms)) return undefined;
  const frac = m?.[2] ? BigInt((m[2] + "000000000").slice(0, 9)) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}

/** Go's time.Duration.String() for a nanosecond count. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? "-" : "";
  const frac = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits, "0").replace(/0+$/, "");
    return s ? "." + s : "";
  };
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${u / 1_000n}${frac(u % 1_000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${u / 1_000_000n}${frac(u % 1_000_000n, 6)}ms`;
  const h = u / 3_600_000_000_000n;
  u -= h * 3_600_000_000_000n;
  const m = u / 60_000_000_000n;
  u -= m * 60_000_000_000n;
  const s = `${u / 1_000_000_000n}${frac(u % 1_000_000_000n, 9)}s`;
  if (h > 0n) return `${sign}${h}h${m}m${s}`;
  if (m > 0n) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** dttm.FormatToTabularDisplay: `2006-01-02T15:04:05Z` in UTC ("" for zero/absent times). */
export function tabularTime(ts: string | undefined): string {
  if (!ts || ts.startsWith("0001-01-01")) return ts?.startsWith("0001-01-01") ? "0001-01-01T00:00:00Z" : "";
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return ts;
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------
// Backup model (§8.1)

/** The fields of Corso's stored backup model that printing uses. */
export interface BackupView {
  ID?: string;
  id?: string;
  status?: string;
  selectors?: { service?: number | string; discreteOwner?: string; discreteOwnerName?: string; includes?: unknown[] } & Record<string, unknown>;
  protectedResourceID?: string;
  protectedResourceName?: string;
  resourceOwnerID?: string;
  resourceOwnerName?: string;
  errorCount?: number;
  failure?: string;
  bytesRead?: number;
  bytesUploaded?: number;
  nonMetaBytesUploaded?: number;
  nonMetaItemsWritten?: number;
  itemsRead?: number;
  itemsWritten?: number;
  startedAt?: string;
  completedAt?: string;
  totalSkippedItems?: number;
  skippedMalware?: number;
  skippedInvalidOneNoteFile?: number;
  /** Category names shown in the Data column, if the library provides them directly. */
  categories?: string[];
}

export function backupId(b: BackupView): string {
  return String(b.ID ?? b.id ?? "");
}

/** Status with Corso's error/skip suffix: `Completed (2 errors, 1 skipped: 1 malware)`. */
export function backupStatus(b: BackupView): string {
  const errs = b.errorCount ?? 0;
  const skipped = b.totalSkippedItems ?? 0;
  let s = b.status ?? "Status Unknown";
  if (errs + skipped > 0) s += " (";
  if (errs > 0) s += `${errs} errors`;
  if (errs > 0 && skipped > 0) s += ", ";
  if (skipped > 0) {
    s += `${skipped} skipped`;
    if ((b.skippedMalware ?? 0) + (b.skippedInvalidOneNoteFile ?? 0) > 0) s += ": ";
  }
  const kinds: string[] = [];
  if ((b.skippedMalware ?? 0) > 0) kinds.push(`${b.skippedMalware} malware`);
  if ((b.skippedInvalidOneNoteFile ?? 0) > 0) kinds.push(`${b.skippedInvalidOneNoteFile} invalid OneNote file`);
  s += kinds.join(", ");
  if (errs + skipped > 0) s += ")";
  return s;
}

const CATEGORY_NAMES: Record<string, string> = {
  email: "Emails", mail: "Emails", emails: "Emails", contacts: "Contacts", contact: "Contacts", events: "Events", event: "Events",
  files: "Files", libraries: "Libraries", lists: "Lists", pages: "Pages", messages: "Messages", posts: "Posts", chats: "Chats",
  // Selector scope categories as Corso stores them.
  exchangemail: "Emails", exchangemailfolder: "Emails", exchangecontact: "Contacts", exchangecontactfolder: "Contacts",
  exchangeevent: "Events", exchangeeventcalendar: "Events",
};

/** Sorted, comma-joined data categories of the backup's selector (`Contacts,Emails,Events`). */
export function backupData(b: BackupView): string {
  const found = new Set<string>();
  for (const c of b.categories ?? []) found.add(CATEGORY_NAMES[c.toLowerCase()] ?? c);
  if (found.size === 0) {
    for (const scope of (b.selectors?.includes ?? []) as Record<string, unknown>[]) {
      const cat = scope?.category;
      const key = typeof cat === "string" ? cat : typeof cat === "object" && cat && "Target" in cat ? String((cat as { Target: unknown }).Target) : "";
      const name = CATEGORY_NAMES[key.toLowerCase()];
      if (name) found.add(name);
    }
  }
  return [...found].sort().join(",");
}

export function protectedResource(b: BackupView): string {
  const vs = [b.protectedResourceName, b.resourceOwnerName, b.protectedResourceID, b.resourceOwnerID, b.selectors?.discreteOwnerName, b.selectors?.discreteOwner];
  return vs.find((v) => typeof v === "string" && v !== "") ?? "";
}

export function backupPrintable(b: BackupView): Printable {
  return {
    headers: () => ["ID", "Started at", "Duration", "Status", "Protected resource", "Data"],
    values: () => {
      const a = epochNanos(b.startedAt);
      const z = epochNanos(b.completedAt);
      return [backupId(b), tabularTime(b.startedAt), goDuration(a !== undefined && z !== undefined ? z - a : 0n), backupStatus(b), protectedResource(b), backupData(b)];
    },
    minimumPrintable: () => {
      const out: Record<string, unknown> = { id: backupId(b), status: backupStatus(b), version: "0" };
      const owner = b.selectors?.discreteOwner ?? b.protectedResourceID;
      if (owner) out.protectedResourceID = owner;
      const ownerName = b.selectors?.discreteOwnerName ?? b.protectedResourceName;
      if (ownerName) out.protectedResourceName = ownerName;
      if (b.resourceOwnerName) out.owner = b.resourceOwnerName;
      out.stats = {
        id: backupId(b),
        bytesRead: b.bytesRead ?? 0,
        bytesUploaded: b.nonMetaBytesUploaded ?? b.bytesUploaded ?? 0,
        endedAt: b.completedAt ?? "",
        errorCount: b.errorCount ?? 0,
        itemsRead: b.itemsRead ?? 0,
        itemsSkipped: b.totalSkippedItems ?? 0,
        itemsWritten: b.nonMetaItemsWritten ?? b.itemsWritten ?? 0,
        startedAt: b.startedAt ?? "",
      };
      return out;
    },
  };
}

/** The `backup create` stats one-liner. */
export function statsLine(b: BackupView): string {
  return `Bytes uploaded: ${humanizeBytes(b.nonMetaBytesUploaded ?? b.bytesUploaded ?? 0)} | Items uploaded: ${b.nonMetaItemsWritten ?? b.itemsWritten ?? 0} | Items skipped: ${b.totalSkippedItems ?? 0} | Errors: ${b.errorCount ?? 0}`;
}

// ---------------------------------------------------------------------------------------------
// Details entries (§8.2)

export interface ExchangeInfoView {
  itemType?: number;
  sender?: string;
  subject?: string;
  recipient?: string[];
  parentPath?: string;
  received?: string;
  eventStart?: string;
  eventEnd?: string;
  organizer?: string;
  contactName?: string;
  eventRecurs?: boolean;
  created?: string;
  modified?: string;
  size?: number;
}

export interface DetailsEntryView {
  repoRef: string;
  shortRef: string;
  parentRef?: string;
  locationRef?: string;
  itemRef?: string;
  exchange?: ExchangeInfoView;
  folder?: { displayName?: string } & Record<string, unknown>;
  [k: string]: unknown;
}

export const EXCHANGE_CONTACT = 1;
export const EXCHANGE_EVENT = 2;
export const EXCHANGE_MAIL = 3;

/** Table kind of an entry: "mail" | "event" | "contact" | "folder" | "other". */
export function entryKind(e: DetailsEntryView): string {
  if (e.folder) return "folder";
  switch (e.exchange?.itemType) {
    case EXCHANGE_MAIL:
      return "mail";
    case EXCHANGE_EVENT:
      return "event";
    case EXCHANGE_CONTACT:
      return "contact";
  }
  return "other";
}

export function entryHeaders(kind: string): string[] {
  switch (kind) {
    case "mail":
      return ["ID", "Sender", "Folder", "Subject", "Received"];
    case "event":
      return ["ID", "Organizer", "Subject", "Starts", "Ends", "Recurring"];
    case "contact":
      return ["ID", "Contact Name"];
    case "folder":
      return ["ID", "Display Name"];
  }
  return ["ID"];
}

export function entryValues(e: DetailsEntryView): string[] {
  const x = e.exchange ?? {};
  switch (entryKind(e)) {
    case "mail":
      return [e.shortRef, x.sender ?? "", x.parentPath ?? "", x.subject ?? "", tabularTime(x.received)];
    case "event":
      return [e.shortRef, x.organizer ?? "", x.subject ?? "", tabularTime(x.eventStart), tabularTime(x.eventEnd), String(x.eventRecurs === true)];
    case "contact":
      return [e.shortRef, x.contactName ?? ""];
    case "folder":
      return [e.shortRef, String(e.folder?.displayName ?? "")];
  }
  return [e.shortRef];
}

export function entryPrintable(e: DetailsEntryView): Printable {
  return { headers: () => entryHeaders(entryKind(e)), values: () => entryValues(e), minimumPrintable: () => e };
}

/** Groups entries by item type in first-seen order (one table per type, as Corso prints them). */
export function groupEntries(entries: DetailsEntryView[]): DetailsEntryView[][] {
  const byKind = new Map<string, DetailsEntryView[]>();
  for (const e of entries) {
    const k = entryKind(e);
    const list = byKind.get(k);
    if (list) list.push(e);
    else byKind.set(k, [e]);
  }
  return [...byKind.values()];
}

// ---------------------------------------------------------------------------------------------
// Fault items (§8.3)

export interface FaultItemView {
  id?: string;
  name?: string;
  type?: string;
  cause?: string;
  namespace?: string;
  additional?: Record<string, unknown>;
}

export interface FaultsView {
  failure?: unknown;
  recovered?: unknown[];
  items?: FaultItemView[];
  skipped?: ({ item?: FaultItemView } & FaultItemView)[];
  alerts?: { message?: string; item?: FaultItemView }[];
  Alerts?: { message?: string; item?: FaultItemView }[];
}

function container(i: FaultItemView | undefined): string {
  const a = i?.additional ?? {};
  return String(a.container_name ?? a.containerName ?? a.container ?? "");
}

function errText(e: unknown): string {
  if (typeof e === "string") return e;
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    return String(o.msg ?? o.message ?? o.error ?? JSON.stringify(o));
  }
  return String(e);
}

export interface FaultSections {
  alerts: boolean;
  skipped: boolean;
  failed: boolean;
  recovered: boolean;
}

/** Fault rows in Corso's print order: alerts, skipped, failed items, recovered errors. */
export function faultPrintables(f: FaultsView | undefined, show: FaultSections): Printable[] {
  if (!f) return [];
  const out: Printable[] = [];
  const row = (headers: string[], values: string[], json: unknown): Printable => ({ headers: () => headers, values: () => values, minimumPrintable: () => json });
  if (show.alerts) {
    for (const a of f.alerts ?? f.Alerts ?? []) {
      out.push(row(["Action", "Message", "Container", "Name", "ID"], ["Alert", a.message ?? "", container(a.item), a.item?.name ?? "", a.item?.id ?? ""], a));
    }
  }
  if (show.skipped) {
    for (const s of f.skipped ?? []) {
      const i = s.item ?? s;
      out.push(row(["Action", "Type", "Name", "Container", "Cause"], ["Skip", i.type ?? "", i.name ?? "", container(i), i.cause ?? ""], s));
    }
  }
  if (show.failed) {
    for (const i of f.items ?? []) {
      out.push(row(["Action", "Type", "Name", "Container", "Cause"], ["Error", i.type ?? "", i.name ?? "", container(i), i.cause ?? ""], i));
    }
  }
  if (show.recovered) {
    for (const e of f.recovered ?? []) out.push(row(["Error"], [errText(e)], e));
  }
  return out;
}
