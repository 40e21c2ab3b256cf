// Graph patternedRecurrence → RFC 5545 RRULE value.
// https://learn.microsoft.com/graph/api/resources/patternedrecurrence
//
// Differences from Corso's mapping (ics.go getRecurrencePattern), all towards RFC correctness:
// - relative patterns with several days use BYSETPOS ("first weekday" = BYDAY=MO,…,FR;BYSETPOS=1)
//   instead of prefixing only the first day;
// - BYMONTH/BYMONTHDAY are written only for the pattern types that define them (Graph sends
//   zeros or stale values for the others);
// - UNTIL is a DATE for all-day series (RFC 5545 §3.3.10: same value type as DTSTART).

import { CorruptDataError } from "../../errors.ts";
import type { GraphPatternedRecurrence } from "./types.ts";

export const GRAPH_TO_ICAL_DAY: Readonly<Record<string, string>> = {
  sunday: "SU", monday: "MO", tuesday: "TU", wednesday: "WE", thursday: "TH", friday: "FR", saturday: "SA",
};

export const GRAPH_TO_ICAL_INDEX: Readonly<Record<string, number>> = {
  first: 1, second: 2, third: 3, fourth: 4, last: -1,
};

export interface RruleOptions {
  /** UNTIL value already formatted (UTC date-time `…Z` or DATE); computed by the caller, which
   * knows the recurrence time zone and whether DTSTART is a DATE. */
  until?: string;
}

function day(d: string): string {
  const v = GRAPH_TO_ICAL_DAY[d.toLowerCase()];
  if (!v) throw new CorruptDataError(`recurrence: unknown day of week "${d}"`);
  return v;
}

/** The RRULE value (without the `RRULE:` name) for a Graph recurrence. */
export function recurrenceToRrule(rec: GraphPatternedRecurrence, opts: RruleOptions = {}): string {
  const pat = rec.pattern ?? {};
  const type = pat.type ?? "";
  const parts: string[] = [];
  const freq: Record<string, string> = {
    daily: "DAILY", weekly: "WEEKLY", absoluteMonthly: "MONTHLY", relativeMonthly: "MONTHLY",
    absoluteYearly: "YEARLY", relativeYearly: "YEARLY",
  };
  if (!freq[type]) throw new CorruptDataError(`recurrence: unknown pattern type "${type}"`);
  parts.push(`FREQ=${freq[type]}`);
  if (pat.interval && pat.interval > 1) parts.push(`INTERVAL=${pat.interval}`);

  const days = (pat.daysOfWeek ?? []).map(day);
  if (type === "absoluteYearly" || type === "relativeYearly") {
    if (!pat.month || pat.month < 1 || pat.month > 12) {
      throw new CorruptDataError(`recurrence: ${type} needs a month between 1 and 12, got ${pat.month}`);
    }
    parts.push(`BYMONTH=${pat.month}`);
  }
  if (type === "absoluteMonthly" || type === "absoluteYearly") {
    if (!pat.dayOfMonth || pat.dayOfMonth < 1 || pat.dayOfMonth > 31) {
      throw new CorruptDataError(`recurrence: ${type} needs a dayOfMonth between 1 and 31, got ${pat.dayOfMonth}`);
    }
    parts.push(`BYMONTHDAY=${pat.dayOfMonth}`);
  }
  if (type === "weekly" && days.length) parts.push(`BYDAY=${days.join(",")}`);
  if (type === "relativeMonthly" || type === "relativeYearly") {
    if (!days.length) throw new CorruptDataError(`recurrence: ${type} needs daysOfWeek`);
    const idx = GRAPH_TO_ICAL_INDEX[(pat.index ?? "first").toLowerCase()];
    if (idx === undefined) throw new CorruptDataError(`recurrence: unknown week index "${pat.index}"`);
    if (days.length === 1) parts.push(`BYDAY=${idx}${days[0]}`);
    else parts.push(`BYDAY=${days.join(",")}`, `BYSETPOS=${idx}`);
  }
  if (pat.firstDayOfWeek) parts.push(`WKST=${day(pat.firstDayOfWeek)}`);

  const range = rec.range ?? {};
  switch (range.type ?? "noEnd") {
    case "endDate":
      if (opts.until) parts.push(`UNTIL=${opts.until}`);
      break;
    case "numbered":
      if (range.numberOfOccurrences && range.numberOfOccurrences > 0) parts.push(`COUNT=${range.numberOfOccurrences}`);
      break;
    case "noEnd":
      break;
    default:
      throw new CorruptDataError(`recurrence: unknown range type "${range.type}"`);
  }
  return parts.join(";");
}
