// Backup details (pkg/backup/details, spec corso-graph §7): one entry per stored item plus
// synthesised folder entries, serialised as Corso's DetailsModel {"entries":[…]}. Times are Go
// time.Time JSON (RFC3339Nano; the zero time is not omitted, as omitempty has no effect on
// structs in Go).
import { CorsoPath, joinElements } from "./path.ts";

export const ITEM_TYPE = { contact: 1, event: 2, mail: 3, folder: 306 } as const;
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

export interface ExchangeInfo {
  itemType: 1 | 2 | 3;
  sender?: string;
  subject?: string;
  recipient?: string[];
  parentPath?: string;
  received: string;
  eventStart: string;
  eventEnd: string;
  organizer?: string;
  contactName?: string;
  eventRecurs?: boolean;
  created: string;
  modified: string;
  size?: number;
}

export interface FolderInfo {
  itemType: 306;
  displayName: string;
  modified: string;
  size?: number;
  dataType?: number;
  driveName?: string;
  driveID?: string;
}

export interface DetailsEntry {
  repoRef: string;
  shortRef: string;
  parentRef?: string;
  locationRef?: string;
  itemRef?: string;
  folder?: FolderInfo;
  exchange?: ExchangeInfo;
  [other: string]: unknown;
}

/** Go's time.Time JSON for a Graph timestamp (RFC3339Nano, UTC, trailing zeros trimmed). */
export function goTime(v: unknown, assumeUtc = false): string {
  if (typeof v !== "string" || !v) return GO_ZERO_TIME;
  let s = v;
  if (assumeUtc && !/(Z|[+-]\d\d:\d\d)$/.test(s)) s += "Z";
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return GO_ZERO_TIME;
  const base = new Date(m[1] + (m[3] === "Z" ? "Z" : m[3]));
  if (Number.isNaN(base.getTime())) return GO_ZERO_TIME;
  const frac = (m[2] ?? "").slice(1).replace(/0+$/, "");
  return base.toISOString().slice(0, 19) + (frac ? "." + frac.slice(0, 9) : "") + "Z";
}

type J = Record<string, any>;

function addr(r: J | undefined): string {
  return String(r?.emailAddress?.address ?? "");
}

export function mailInfo(m: J, parentPath: string): ExchangeInfo {
  const atts = Array.isArray(m.attachments) ? m.attachments : [];
  const size = String(m.body?.content ?? "").length + atts.reduce((s: number, a: J) => s + (Number(a?.size) || 0), 0);
  const to = Array.isArray(m.toRecipients) ? m.toRecipients.map(addr).filter(Boolean) : [];
  return {
    itemType: 3,
    sender: addr(m.sender) || addr(m.from) || undefined,
    subject: m.subject || undefined,
    recipient: to.length ? to : undefined,
    parentPath: parentPath || undefined,
    received: goTime(m.receivedDateTime),
    eventStart: GO_ZERO_TIME,
    eventEnd: GO_ZERO_TIME,
    created: goTime(m.createdDateTime),
    modified: goTime(m.lastModifiedDateTime),
    size: size || undefined,
  };
}

export function eventInfo(e: J, parentPath: string, serializedLength: number): ExchangeInfo {
  return {
    itemType: 2,
    subject: e.subject || undefined,
    organizer: addr(e.organizer) || undefined,
    parentPath: parentPath || undefined,
    received: GO_ZERO_TIME,
    eventStart: goTime(e.start?.dateTime, true),
    eventEnd: goTime(e.end?.dateTime, true),
    eventRecurs: e.recurrence ? true : undefined,
    created: goTime(e.createdDateTime),
    modified: goTime(e.lastModifiedDateTime),
    size: serializedLength || undefined,
  };
}

export function contactInfo(c: J, parentPath: string, serializedLength: number): ExchangeInfo {
  return {
    itemType: 1,
    contactName: c.displayName || undefined,
    parentPath: parentPath || undefined,
    received: GO_ZERO_TIME,
    eventStart: GO_ZERO_TIME,
    eventEnd: GO_ZERO_TIME,
    created: goTime(c.createdDateTime),
    modified: goTime(c.lastModifiedDateTime),
    size: serializedLength || undefined,
  };
}

/** ExchangeInfo in Go field order (omitempty where Go omits). */
function orderExchange(i: ExchangeInfo): ExchangeInfo {
  const o: J = { itemType: i.itemType };
  if (i.sender) o.sender = i.sender;
  if (i.subject) o.subject = i.subject;
  if (i.recipient?.length) o.recipient = i.recipient;
  if (i.parentPath) o.parentPath = i.parentPath;
  o.received = i.received;
  o.eventStart = i.eventStart;
  o.eventEnd = i.eventEnd;
  if (i.organizer) o.organizer = i.organizer;
  if (i.contactName) o.contactName = i.contactName;
  if (i.eventRecurs) o.eventRecurs = true;
  o.created = i.created;
  o.modified = i.modified;
  if (i.size) o.size = i.size;
  return o as ExchangeInfo;
}

export function itemEntry(path: CorsoPath, locationRef: string, info: ExchangeInfo): DetailsEntry {
  const e: DetailsEntry = {
    repoRef: path.toString(),
    shortRef: path.shortRef(),
    parentRef: path.dir().shortRef(),
  };
  if (locationRef) e.locationRef = locationRef;
  e.itemRef = path.item;
  e.exchange = orderExchange({ ...info, parentPath: locationRef || info.parentPath });
  return e;
}

/**
 * Accumulates folder entries (one per ancestor folder of every item): size is the sum of the
 * item sizes below, modified the newest item time. Memory is per folder, not per item.
 */
export class FolderEntries {
  private readonly folders = new Map<string, { path: CorsoPath; loc: string[]; size: number; modified: string; dataType: number }>();

  add(item: CorsoPath, locationElems: readonly string[], info: ExchangeInfo): void {
    let dir = item.dir();
    let loc = [...locationElems];
    while (dir.folders.length > 0) {
      const key = dir.toString();
      let f = this.folders.get(key);
      if (!f) {
        f = { path: dir, loc: loc.slice(), size: 0, modified: GO_ZERO_TIME, dataType: info.itemType };
        this.folders.set(key, f);
      }
      f.size += info.size ?? 0;
      if (info.modified > f.modified) f.modified = info.modified;
      dir = dir.dir();
      loc = loc.slice(0, -1);
    }
  }

  entries(): DetailsEntry[] {
    const out: DetailsEntry[] = [];
    for (const f of this.folders.values()) {
      const e: DetailsEntry = { repoRef: f.path.toString(), shortRef: f.path.shortRef(), parentRef: f.path.dir().shortRef() };
      if (f.loc.length) e.locationRef = joinElements(f.loc);
      const fi: FolderInfo = { itemType: 306, displayName: f.loc[f.loc.length - 1] ?? f.path.folders[f.path.folders.length - 1], modified: f.modified };
      if (f.size) fi.size = f.size;
      fi.dataType = f.dataType;
      e.folder = fi;
      out.push(e);
    }
    return out;
  }
}

export function isFolderEntry(e: DetailsEntry): boolean {
  return Boolean(e.folder);
}

/** DetailsModel JSON as Corso marshals it. */
export function encodeDetails(entries: readonly DetailsEntry[]): string {
  return JSON.stringify({ entries });
}

export function decodeDetails(json: string): DetailsEntry[] {
  const d = JSON.parse(json);
  return Array.isArray(d?.entries) ? d.entries : [];
}

// ---------------------------------------------------------------------------------------------
// fault.Errors (pkg/fault): what went wrong, persisted next to the details.

export interface FaultItem {
  id: string;
  name: string;
  type: "file" | "container" | "resource_owner";
  cause: string;
  additional: Record<string, unknown> | null;
}

export interface FaultErrors {
  failure: { msg: string } | null;
  recovered: { msg: string }[];
  items: FaultItem[];
  skipped: { item: FaultItem }[];
  alerts: { message: string; item: FaultItem }[];
  failFast: boolean;
}

export function emptyFaults(failFast = false): FaultErrors {
  return { failure: null, recovered: [], items: [], skipped: [], alerts: [], failFast };
}
