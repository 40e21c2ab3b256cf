// Recurring events: expands a seriesMaster's patternedRecurrence into occurrences, applies exceptions and
// cancellations. Occurrence ids encode (master id, date) so GET/PATCH/DELETE on an instance need no table.
// Times are handled as wall-clock UTC; recurrenceTimeZone is kept but not converted.

import { graphDateTime } from "./generate.ts";
import { decodeExchangeId, exchangeId } from "./ids.ts";
import type { Store, StoredItem } from "./store.ts";
import type { GraphObject } from "./types.ts";

export interface Series {
  cancelled: string[];
  exceptions: Record<string, GraphObject>;
}

const DAY = 86_400_000;
const DOW = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

function dateOf(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const m = /(\d{4}-\d{2}-\d{2})/.exec(v);
  return m?.[1];
}

/** Builds series state from fixture/POST data: cancelled dates (or OID.x.date strings) and exception objects. */
export function seriesOf(cancelled: string[] | undefined, exceptions: GraphObject[] | undefined): Series {
  const s: Series = { cancelled: [], exceptions: {} };
  for (const c of cancelled ?? []) {
    const d = dateOf(c.split(".").pop());
    if (d) s.cancelled.push(d);
  }
  for (const e of exceptions ?? []) {
    const d = dateOf(e.originalStart) ?? dateOf((e.start as GraphObject | undefined)?.dateTime);
    if (!d) continue;
    const patch = { ...e };
    for (const k of ["id", "type", "seriesMasterId", "originalStart", "@odata.etag"]) delete patch[k];
    s.exceptions[d] = patch;
  }
  return s;
}

export function instanceId(masterId: string, date: string): string {
  return exchangeId("AAMkAGinst", `${masterId}|${date}`) + "AAA=";
}

export function findInstance(store: Store, id: string): { master: StoredItem; series: Series; date: string } | undefined {
  if (!id.startsWith("AAMkAGinst") || !id.endsWith("AAA=")) return undefined;
  const raw = decodeExchangeId("AAMkAGinst", id.slice(0, -4));
  const m = raw && /^(.*)\|(\d{4}-\d{2}-\d{2})$/.exec(raw);
  if (!m) return undefined;
  const f = store.findItem(m[1]!);
  if (!f?.stored?.series) return undefined;
  if (f.stored.series.cancelled.includes(m[2]!)) return undefined;
  if (!occurrenceDates(f.stored.obj, Date.parse(m[2]! + "T00:00:00Z"), Date.parse(m[2]! + "T00:00:00Z") + DAY).includes(m[2]!)) return undefined;
  return { master: f.stored, series: f.stored.series, date: m[2]! };
}

function parseWall(v: unknown): number {
  const s = String((v as GraphObject | undefined)?.dateTime ?? "");
  return Date.parse(s.replace(/(\.\d{3})\d*$/, "$1") + (s.endsWith("Z") ? "" : "Z"));
}

/** Occurrence dates (YYYY-MM-DD) of the master's pattern that fall within [a, b). */
export function occurrenceDates(master: GraphObject, a: number, b: number): string[] {
  const rec = master.recurrence as { pattern?: GraphObject; range?: GraphObject } | null;
  if (!rec?.pattern || !rec.range) return [];
  const p = rec.pattern;
  const rg = rec.range;
  const start = Date.parse(String(rg.startDate ?? dateOf((master.start as GraphObject)?.dateTime)) + "T00:00:00Z");
  const endLimit = rg.type === "endDate" && rg.endDate ? Date.parse(String(rg.endDate) + "T00:00:00Z") + DAY : Infinity;
  const maxCount = rg.type === "numbered" ? Number(rg.numberOfOccurrences ?? 0) : Infinity;
  const interval = Math.max(1, Number(p.interval ?? 1));
  const days = ((p.daysOfWeek as string[] | undefined) ?? []).map((d) => DOW.indexOf(d.toLowerCase()));
  const out: string[] = [];
  let count = 0;
  const stop = Math.min(endLimit, b);
  for (let t = start, guard = 0; t < stop && count < maxCount && guard < 200_000; t += DAY, guard++) {
    const d = new Date(t);
    const daysSince = Math.round((t - start) / DAY);
    let hit = false;
    switch (p.type) {
      case "daily":
        hit = daysSince % interval === 0;
        break;
      case "weekly": {
        const startWeek = Math.floor((start / DAY + 4) / 7); // weeks since epoch, Sunday-based
        const week = Math.floor((t / DAY + 4) / 7);
        hit = (week - startWeek) % interval === 0 && (days.length ? days : [new Date(start).getUTCDay()]).includes(d.getUTCDay());
        break;
      }
      case "absoluteMonthly": {
        const months = (d.getUTCFullYear() - new Date(start).getUTCFullYear()) * 12 + d.getUTCMonth() - new Date(start).getUTCMonth();
        hit = months % interval === 0 && d.getUTCDate() === Number(p.dayOfMonth ?? new Date(start).getUTCDate());
        break;
      }
      case "absoluteYearly":
        hit = d.getUTCMonth() + 1 === Number(p.month ?? new Date(start).getUTCMonth() + 1) && d.getUTCDate() === Number(p.dayOfMonth ?? new Date(start).getUTCDate());
        break;
      case "relativeMonthly": {
        const idx = ["first", "second", "third", "fourth"].indexOf(String(p.index ?? "first"));
        hit = days.includes(d.getUTCDay()) && (p.index === "last" ? d.getUTCDate() + 7 > new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() : Math.floor((d.getUTCDate() - 1) / 7) === idx);
        break;
      }
    }
    if (!hit) continue;
    count++;
    if (t >= a) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

export function instanceObject(store: Store, master: StoredItem, date: string): GraphObject {
  const m = master.obj;
  const ms = parseWall(m.start);
  const me = parseWall(m.end);
  const tod = ms - Date.parse(new Date(ms).toISOString().slice(0, 10) + "T00:00:00Z");
  const st = Date.parse(date + "T00:00:00Z") + tod;
  const tz = (m.start as GraphObject | undefined)?.timeZone ?? "UTC";
  const ex = master.series?.exceptions[date];
  const o: GraphObject = {
    ...m,
    id: instanceId(master.id, date),
    type: ex ? "exception" : "occurrence",
    seriesMasterId: master.id,
    recurrence: null,
    originalStart: new Date(st).toISOString().replace(/\.\d{3}Z$/, "Z"),
    start: { dateTime: graphDateTime(st), timeZone: tz },
    end: { dateTime: graphDateTime(st + (me - ms)), timeZone: tz },
  };
  delete o.cancelledOccurrences;
  delete o.exceptionOccurrences;
  if (ex) for (const [k, v] of Object.entries(ex)) if (k !== "attachments") o[k] = v;
  void store;
  return o;
}

export function expandInstances(store: Store, master: StoredItem, a: number, b: number): GraphObject[] {
  if (!master.series) return [];
  // Widen by a day so occurrences starting late on the previous day are considered, then filter by time.
  const dates = occurrenceDates(master.obj, a - DAY, b);
  return dates
    .filter((d) => !master.series!.cancelled.includes(d))
    .map((d) => instanceObject(store, master, d))
    .filter((o) => {
      const s = parseWall(o.start);
      const e = parseWall(o.end);
      return e > a && s < b;
    });
}

/** Removes the simulator's series extensions (`cancelledOccurrences`, `exceptionOccurrences`) from an
 * event object and returns its series when the event recurs; shared by the fixture loader, the admin
 * add and the Graph POST route so all three create the same series. */
export function takeSeries(obj: GraphObject): Series | undefined {
  const cancelled = obj.cancelledOccurrences as string[] | undefined;
  const exceptions = obj.exceptionOccurrences as GraphObject[] | undefined;
  delete obj.cancelledOccurrences;
  delete obj.exceptionOccurrences;
  if (!obj.recurrence) return undefined;
  return seriesOf(cancelled, exceptions);
}
