// Stored Graph event JSON → iCalendar (RFC 5545), following Corso's ics.FromEventable:
// UID = Graph event ID, UTC times for single events, TZID local times for series (so BYDAY rules
// expand in the organiser's zone), DATE values for all-day events, one extra VEVENT per
// exception occurrence (RECURRENCE-ID = its originalStart) and EXDATE for cancelled ones.
// Deliberate differences from Corso are listed in docs/EXPORT.md.

import { CorruptDataError } from "../../errors.ts";
import { escapeText, paramValue, serializeLines } from "./content-lines.ts";
import { htmlToText } from "./html-text.ts";
import {
  isUtcZone, localToUtcMs, resolveTimeZone, utcToLocal, vtimezoneLines, type LocalTime,
} from "./ics-timezones.ts";
import { recurrenceToRrule } from "./rrule.ts";
import type { GraphAttachment, GraphEvent, GraphLocation } from "./types.ts";

export const PRODID = "-//Alcion//Corso";

export interface IcsOptions {
  /** iTIP method (RFC 5546), e.g. "REQUEST" for the calendar part of a meeting request. */
  method?: string;
}

const DT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses a Graph date/time string into wall-clock fields and, if present, its UTC offset (s). */
export function parseGraphDateTime(s: string, what: string): { local: LocalTime; offset: number | null } {
  const m = DT_RE.exec(s.trim());
  if (!m) throw new CorruptDataError(`${what}: invalid date-time "${s}"`);
  const local = { year: +m[1], month: +m[2], day: +m[3], hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0) };
  if (local.month < 1 || local.month > 12 || local.day < 1 || local.day > 31 || local.hour > 23 || local.minute > 59 || local.second > 60) {
    throw new CorruptDataError(`${what}: invalid date-time "${s}"`);
  }
  let offset: number | null = null;
  if (m[7]) {
    if (m[7] === "Z") offset = 0;
    else {
      const sign = m[7][0] === "-" ? -1 : 1;
      const digits = m[7].slice(1).replace(":", "");
      offset = sign * (+digits.slice(0, 2) * 3600 + +digits.slice(2, 4) * 60);
    }
  }
  return { local, offset };
}

function localAsUtc(t: LocalTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

/** UTC instant of a Graph dateTimeTimeZone / DateTimeOffset string. */
export function graphInstant(dateTime: string, timeZone: string | null | undefined, what: string): number {
  const { local, offset } = parseGraphDateTime(dateTime, what);
  if (offset !== null) return localAsUtc(local) - offset * 1000;
  const zone = resolveTimeZone(timeZone);
  if (!zone) throw new CorruptDataError(`${what}: unknown time zone "${timeZone}"`);
  return localToUtcMs(local, zone);
}

const p2 = (n: number) => String(n).padStart(2, "0");

export function fmtUtc(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}T${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
}

function fmtDate(t: { year: number; month: number; day: number }): string {
  return `${String(t.year).padStart(4, "0")}${p2(t.month)}${p2(t.day)}`;
}

function fmtLocal(t: LocalTime): string {
  return `${fmtDate(t)}T${p2(t.hour)}${p2(t.minute)}${p2(t.second)}`;
}

/** How an event's times are written: UTC, TZID-local (series) or DATE (all-day). */
interface TimeStyle {
  allDay: boolean;
  zone: string; // "UTC" or IANA zone used for TZID
}

function timeProp(name: string, ms: number, style: TimeStyle): string {
  if (style.allDay) return `${name};VALUE=DATE:${fmtDate(utcToLocal(ms, "UTC"))}`;
  if (isUtcZone(style.zone)) return `${name}:${fmtUtc(ms)}`;
  return `${name};TZID=${paramValue(style.zone)}:${fmtLocal(utcToLocal(ms, style.zone))}`;
}

/** All-day events: the DATE is the calendar date Graph gives, not converted between zones
 * (Graph stores all-day bounds as midnights; converting could shift them by a day). */
function allDayDateMs(dateTime: string, what: string): number {
  const { local } = parseGraphDateTime(dateTime, what);
  return Date.UTC(local.year, local.month - 1, local.day);
}

function locationString(loc: GraphLocation | null | undefined): string {
  if (!loc) return "";
  const a = loc.address ?? {};
  return [loc.displayName, a.street, a.city, a.state, a.countryOrRegion, a.postalCode]
    .map((s) => (s ?? "").trim())
    .filter(Boolean)
    .join(", ");
}

function isEmail(s: string): boolean {
  return /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+$/.test(s);
}

const PARTSTAT: Record<string, string> = {
  accepted: "ACCEPTED", organizer: "ACCEPTED", declined: "DECLINED",
  tentativelyAccepted: "TENTATIVE", notResponded: "NEEDS-ACTION",
};
const ROLE: Record<string, string> = {
  required: "REQ-PARTICIPANT", optional: "OPT-PARTICIPANT", resource: "NON-PARTICIPANT",
};

function attachLines(atts: GraphAttachment[] | null | undefined): string[] {
  const out: string[] = [];
  for (const a of atts ?? []) {
    // Only file attachments carry bytes; item and reference attachments are skipped (as in Corso).
    if (typeof a.contentBytes !== "string") continue;
    const b64 = a.contentBytes.replace(/\s+/g, "");
    let params = ";ENCODING=BASE64;VALUE=BINARY";
    if (a.contentType) params += `;FMTTYPE=${paramValue(a.contentType)}`;
    if (a.name) params += `;FILENAME=${paramValue(a.name)}`;
    if (a.isInline && a.contentId) params += `;CID=${paramValue(a.contentId)}`;
    out.push(`ATTACH${params}:${b64}`);
  }
  return out;
}

interface EventContext {
  eventId: string;
  style: TimeStyle;
}

function eventTimes(ev: GraphEvent, ctx: EventContext): { start?: number; end?: number } {
  const what = `event ${ctx.eventId}`;
  const r: { start?: number; end?: number } = {};
  for (const key of ["start", "end"] as const) {
    const v = ev[key];
    if (!v?.dateTime) continue;
    r[key] = ctx.style.allDay ? allDayDateMs(v.dateTime, `${what} ${key}`) : graphInstant(v.dateTime, v.timeZone, `${what} ${key}`);
  }
  return r;
}

/** Properties common to the master VEVENT and exception VEVENTs (everything but times/UID). */
function commonProps(ev: GraphEvent): string[] {
  const L: string[] = [];
  if (ev.isCancelled) L.push("STATUS:CANCELLED");
  if (ev.subject) L.push(`SUMMARY:${escapeText(ev.subject)}`);
  const body = ev.body?.content ?? "";
  if (body.trim()) {
    if ((ev.body?.contentType ?? "text").toLowerCase() === "html") {
      const text = htmlToText(body);
      if (text) L.push(`DESCRIPTION:${escapeText(text)}`);
      L.push(`X-ALT-DESC;FMTTYPE=text/html:${escapeText(body)}`);
    } else {
      L.push(`DESCRIPTION:${escapeText(body)}`);
    }
  }
  if (ev.showAs) L.push(`TRANSP:${ev.showAs === "free" || ev.showAs === "unknown" ? "TRANSPARENT" : "OPAQUE"}`);
  for (const c of ev.categories ?? []) if (c) L.push(`CATEGORIES:${escapeText(c)}`);
  if (ev.webLink) L.push(`URL:${ev.webLink}`);
  const org = ev.organizer?.emailAddress;
  if (org?.address) {
    L.push(`ORGANIZER${org.name ? `;CN=${paramValue(org.name)}` : ""}:mailto:${org.address}`);
  }
  for (const at of ev.attendees ?? []) {
    const addr = at.emailAddress?.address ?? "";
    // Exchange-internal X.500 addresses are not useful to calendar clients (Corso skips them too).
    if (!isEmail(addr)) continue;
    let params = "";
    if (at.type && ROLE[at.type]) params += `;ROLE=${ROLE[at.type]}`;
    if (at.type === "resource") params += ";CUTYPE=RESOURCE";
    if (at.emailAddress?.name) params += `;CN=${paramValue(at.emailAddress.name)}`;
    const resp = at.status?.response ?? "";
    if (PARTSTAT[resp]) params += `;PARTSTAT=${PARTSTAT[resp]}`;
    L.push(`ATTENDEE${params}:mailto:${addr}`);
  }
  const loc = locationString(ev.location);
  if (loc) L.push(`LOCATION:${escapeText(loc)}`);
  if (ev.location?.displayName) L.push(`X-MICROSOFT-LOCATIONDISPLAYNAME:${escapeText(ev.location.displayName)}`);
  if (ev.sensitivity === "private") L.push("CLASS:PRIVATE");
  else if (ev.sensitivity === "confidential") L.push("CLASS:CONFIDENTIAL");
  if (ev.importance === "high") L.push("PRIORITY:1");
  else if (ev.importance === "low") L.push("PRIORITY:9");
  if (ev.onlineMeeting?.joinUrl) L.push(`X-MICROSOFT-SKYPETEAMSMEETINGURL:${ev.onlineMeeting.joinUrl}`);
  L.push(...attachLines(ev.attachments));
  return L;
}

function stampProps(ev: GraphEvent, what: string): string[] {
  const L: string[] = [];
  const inst = (s: string | null | undefined) => (s ? graphInstant(s, "UTC", what) : null);
  const created = inst(ev.createdDateTime);
  const modified = inst(ev.lastModifiedDateTime);
  // DTSTAMP is required; derive it from the item so output is a pure function of the input.
  L.push(`DTSTAMP:${fmtUtc(modified ?? created ?? 0)}`);
  if (created !== null) L.push(`CREATED:${fmtUtc(created)}`);
  if (modified !== null) L.push(`LAST-MODIFIED:${fmtUtc(modified)}`);
  return L;
}

/** Cancelled occurrence IDs end in `.YYYY-MM-DD` (the occurrence's date in the series' zone). */
export function cancelledOccurrenceDates(ids: readonly string[], eventId: string): { year: number; month: number; day: number }[] {
  return ids.map((id) => {
    const seg = id.slice(id.lastIndexOf(".") + 1);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(seg);
    if (!m) throw new CorruptDataError(`event ${eventId}: cancelled occurrence "${id}" does not end in a date`);
    return { year: +m[1], month: +m[2], day: +m[3] };
  });
}

/** Converts one Graph event to the unfolded content lines of a VCALENDAR. */
export function eventToIcsLines(event: GraphEvent, opts: IcsOptions = {}): string[] {
  const id = event.id ?? "";
  const what = `event ${id}`;
  const allDay = !!event.isAllDay;
  const rec = event.recurrence?.pattern ? event.recurrence : null;

  // Series are written in their recurrence zone so that BYDAY and DST are evaluated locally.
  let zone = "UTC";
  if (rec) {
    zone =
      resolveTimeZone(rec.range?.recurrenceTimeZone || null) ??
      resolveTimeZone(event.originalStartTimeZone) ??
      resolveTimeZone(event.start?.timeZone) ??
      "UTC";
  }
  const style: TimeStyle = { allDay, zone };
  const ctx: EventContext = { eventId: id, style };
  const { start, end } = eventTimes(event, ctx);

  const L: string[] = ["BEGIN:VCALENDAR", "VERSION:2.0", `PRODID:${PRODID}`, "CALSCALE:GREGORIAN"];
  if (opts.method) L.push(`METHOD:${opts.method.toUpperCase()}`);
  if (!allDay && !isUtcZone(zone) && start !== undefined) {
    L.push(...vtimezoneLines(zone, utcToLocal(start, zone).year - 1));
  }

  L.push("BEGIN:VEVENT", `UID:${escapeText(id)}`, ...stampProps(event, what));
  if (start !== undefined) L.push(timeProp("DTSTART", start, style));
  if (end !== undefined) L.push(timeProp("DTEND", end, style));
  if (rec) {
    let until: string | undefined;
    if ((rec.range?.type ?? "") === "endDate" && rec.range?.endDate) {
      const { local: e } = parseGraphDateTime(rec.range.endDate, `${what} recurrence end`);
      // The series ends at the end of endDate in its own zone.
      until = allDay
        ? fmtDate(e)
        : fmtUtc(localToUtcMs({ ...e, hour: 23, minute: 59, second: 59 }, zone));
    }
    L.push(`RRULE:${recurrenceToRrule(rec, { until })}`);
    const cancelled = cancelledOccurrenceDates(event.cancelledOccurrences ?? [], id);
    if (cancelled.length && start !== undefined) {
      if (allDay) {
        L.push(`EXDATE;VALUE=DATE:${cancelled.map(fmtDate).join(",")}`);
      } else {
        // EXDATE must name the occurrence's exact start: the series' local start time on that date.
        const t0 = utcToLocal(start, zone);
        const at = (d: { year: number; month: number; day: number }): LocalTime => ({ ...d, hour: t0.hour, minute: t0.minute, second: t0.second });
        if (isUtcZone(zone)) L.push(`EXDATE:${cancelled.map((d) => fmtUtc(localAsUtc(at(d)))).join(",")}`);
        else L.push(`EXDATE;TZID=${paramValue(zone)}:${cancelled.map((d) => fmtLocal(at(d))).join(",")}`);
      }
    }
  }
  L.push(...commonProps(event), "END:VEVENT");

  for (const ex of event.exceptionOccurrences ?? []) {
    const exWhat = `${what} exception ${ex.id ?? ""}`;
    if (!ex.originalStart) throw new CorruptDataError(`${exWhat}: no originalStart`);
    const orig = graphInstant(ex.originalStart, event.originalStartTimeZone ?? "UTC", `${exWhat} originalStart`);
    const exAllDay = ex.isAllDay ?? allDay;
    const exStyle: TimeStyle = { allDay: exAllDay, zone: "UTC" };
    const t = eventTimes(ex, { eventId: id, style: exStyle });
    L.push("BEGIN:VEVENT", `UID:${escapeText(id)}`, ...stampProps(ex, exWhat));
    // RECURRENCE-ID uses the master's DTSTART value type and zone (RFC 5545 §3.8.4.4).
    if (allDay) {
      // A UTC midnight is the date itself; otherwise take the date in the series' zone.
      const u = utcToLocal(orig, "UTC");
      const midnight = u.hour === 0 && u.minute === 0 && u.second === 0;
      L.push(`RECURRENCE-ID;VALUE=DATE:${fmtDate(midnight ? u : utcToLocal(orig, zone))}`);
    } else {
      L.push(timeProp("RECURRENCE-ID", orig, style));
    }
    if (t.start !== undefined) L.push(timeProp("DTSTART", t.start, exStyle));
    if (t.end !== undefined) L.push(timeProp("DTEND", t.end, exStyle));
    L.push(...commonProps(ex), "END:VEVENT");
  }
  L.push("END:VCALENDAR");
  return L;
}

/** Stored Graph event → .ics text (CRLF lines, folded at 75 octets). */
export function eventToIcs(event: GraphEvent, opts: IcsOptions = {}): string {
  return serializeLines(eventToIcsLines(event, opts));
}
