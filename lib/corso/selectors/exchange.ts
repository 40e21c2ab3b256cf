// Exchange selectors for details / export filtering (spec corso-cli §6.0–§6.1, Corso
// pkg/selectors/exchange.go + pkg/filters). Include scopes (items, folders) are OR-ed within a
// category; info filters (subject, sender, times …) are AND-ed and a filter of one category
// excludes entries of categories that have no filter of their own.
import { UsageError } from "../../errors.ts";
import type { DetailsEntry } from "../details.ts";
import { splitElements } from "../path.ts";
import { parseCorsoTime } from "./time.ts";

export interface CategorySelector {
  /** Item IDs / ShortRefs; ["*"] = any; undefined = not given. */
  items?: string[];
  /** Folder (or calendar) paths; "/x" = prefix, "x" = contains, "/" or "*" = any. */
  folders?: string[];
  /** Info filters, all of which must pass. */
  filters: InfoFilter[];
}

export type InfoFilter =
  | { kind: "contains"; field: "subject" | "sender" | "organizer" | "contactName"; value: string }
  | { kind: "after" | "before"; field: "received" | "eventStart"; value: string /* RFC3339Nano UTC */ }
  | { kind: "recurs"; value: boolean };

export interface ExchangeSelector {
  email: CategorySelector;
  events: CategorySelector;
  contacts: CategorySelector;
}

export interface ExchangeSelectorFlags {
  email?: string[];
  emailFolder?: string[];
  emailSubject?: string;
  emailSender?: string;
  emailReceivedAfter?: string;
  emailReceivedBefore?: string;
  event?: string[];
  eventCalendar?: string[];
  eventSubject?: string;
  eventOrganizer?: string;
  eventRecurs?: string;
  eventStartsAfter?: string;
  eventStartsBefore?: string;
  contact?: string[];
  contactFolder?: string[];
  contactName?: string;
}

const norm = (s: string) => s.trim().toLowerCase();
const given = (v: string[] | undefined): v is string[] => Array.isArray(v) && v.length > 0;
const set = (v: string | undefined): v is string => typeof v === "string" && v !== "";

function time(v: string, flag: string): string {
  const t = parseCorsoTime(v);
  if (!t) throw new UsageError(`invalid time format for --${flag}: "${v}"`);
  return t;
}

function parseBool(v: string): boolean {
  const s = v.trim();
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  throw new UsageError(`invalid value for --event-recurs: "${v}" (use true or false)`);
}

/** Builds the selector from CLI flag values; malformed times or booleans throw UsageError. */
export function selectorFromFlags(f: ExchangeSelectorFlags): ExchangeSelector {
  const email: CategorySelector = { filters: [] };
  const events: CategorySelector = { filters: [] };
  const contacts: CategorySelector = { filters: [] };
  if (given(f.email)) email.items = f.email;
  if (given(f.emailFolder)) email.folders = f.emailFolder;
  if (given(f.event)) events.items = f.event;
  if (given(f.eventCalendar)) events.folders = f.eventCalendar;
  if (given(f.contact)) contacts.items = f.contact;
  if (given(f.contactFolder)) contacts.folders = f.contactFolder;
  if (set(f.emailSubject)) email.filters.push({ kind: "contains", field: "subject", value: f.emailSubject });
  if (set(f.emailSender)) email.filters.push({ kind: "contains", field: "sender", value: f.emailSender });
  if (set(f.emailReceivedAfter)) email.filters.push({ kind: "after", field: "received", value: time(f.emailReceivedAfter, "email-received-after") });
  if (set(f.emailReceivedBefore)) email.filters.push({ kind: "before", field: "received", value: time(f.emailReceivedBefore, "email-received-before") });
  if (set(f.eventSubject)) events.filters.push({ kind: "contains", field: "subject", value: f.eventSubject });
  if (set(f.eventOrganizer)) events.filters.push({ kind: "contains", field: "organizer", value: f.eventOrganizer });
  if (set(f.eventRecurs)) events.filters.push({ kind: "recurs", value: parseBool(f.eventRecurs) });
  if (set(f.eventStartsAfter)) events.filters.push({ kind: "after", field: "eventStart", value: time(f.eventStartsAfter, "event-starts-after") });
  if (set(f.contactName)) contacts.filters.push({ kind: "contains", field: "contactName", value: f.contactName });
  if (set(f.eventStartsBefore)) events.filters.push({ kind: "before", field: "eventStart", value: time(f.eventStartsBefore, "event-starts-before") });
  const anyScope = [email, events, contacts].some((c) => c.items || c.folders);
  if (!anyScope) {
    // AllData: every category included, everything in it
    for (const c of [email, events, contacts]) {
      c.items = ["*"];
      c.folders = ["*"];
    }
  } else {
    for (const c of [email, events, contacts]) {
      if (c.items && !c.folders) c.folders = ["*"];
      if (c.folders && !c.items) c.items = ["*"];
    }
  }
  return { email, events, contacts };
}

/** Selects everything (AllData). */
export function allExchangeData(): ExchangeSelector {
  return selectorFromFlags({});
}

function folderMatches(pattern: string, elems: readonly string[]): boolean {
  let p = pattern.trim();
  if (p === "*" || p === "/") return true;
  const prefix = p.startsWith("/");
  // trailing unescaped '/' trimmed
  while (p.endsWith("/") && !p.endsWith("\\/")) p = p.slice(0, -1);
  const want = splitElements(p).map(norm);
  if (want.length === 0) return true;
  const have = elems.map(norm);
  if (prefix) return want.length <= have.length && want.every((w, i) => have[i] === w);
  for (let i = 0; i + want.length <= have.length; i++) {
    if (want.every((w, j) => have[i + j] === w)) return true;
  }
  return false;
}

function categoryOf(e: DetailsEntry): keyof ExchangeSelector | undefined {
  switch (e.exchange?.itemType) {
    case 3:
      return "email";
    case 2:
      return "events";
    case 1:
      return "contacts";
  }
  return undefined;
}

function passesFilter(f: InfoFilter, info: NonNullable<DetailsEntry["exchange"]>): boolean {
  switch (f.kind) {
    case "contains":
      return norm(String(info[f.field] ?? "")).includes(norm(f.value));
    case "after":
      return f.value < String(info[f.field] ?? "");
    case "before":
      return f.value > String(info[f.field] ?? "");
    case "recurs":
      return Boolean(info.eventRecurs) === f.value;
  }
}

function folderElems(e: DetailsEntry): string[] {
  if (e.locationRef) return splitElements(e.locationRef);
  const parts = splitElements(e.repoRef);
  return parts.slice(4, -1);
}

function idElems(e: DetailsEntry): string[] {
  return splitElements(e.repoRef).slice(4, -1);
}

/** Item entries (folder entries dropped) matching the selector, in input order. */
export function filterDetails(entries: readonly DetailsEntry[], sel: ExchangeSelector): DetailsEntry[] {
  const filtered = (Object.keys(sel) as (keyof ExchangeSelector)[]).filter((k) => sel[k].filters.length > 0);
  return entries.filter((e) => {
    const cat = categoryOf(e);
    if (!cat || e.folder) return false;
    const cs = sel[cat];
    if (!cs.items || !cs.folders) return false;
    const itemOk = cs.items.some((v) => v === "*" || v === e.shortRef || v === e.itemRef);
    if (!itemOk) return false;
    // display-name path (LocationRef), or the folder IDs of the RepoRef (calendars by ID too)
    const folderOk = cs.folders.some((p) => folderMatches(p, folderElems(e)) || folderMatches(p, idElems(e)));
    if (!folderOk) return false;
    if (filtered.length > 0 && !filtered.includes(cat)) return false;
    const info = e.exchange!;
    return cs.filters.every((f) => passesFilter(f, info));
  });
}
