// Time zones for iCalendar export: Windows zone names (what Exchange stores) → IANA names, UTC
// conversion through Intl (the runtime's ICU tz database, no embedded tzdata), and VTIMEZONE
// generation. The VTIMEZONE is derived from the zone's real transitions: when they follow a
// yearly "nth weekday of month" rule it is emitted as STANDARD/DAYLIGHT with RRULE, otherwise
// (Morocco, zones that changed their rules) the transitions are listed with RDATE.

/** Windows time-zone IDs (CLDR windowsZones "001" territory) → canonical IANA names. */
export const WINDOWS_TO_IANA: Readonly<Record<string, string>> = {
  "Dateline Standard Time": "Etc/GMT+12",
  "UTC-11": "Etc/GMT+11",
  "Aleutian Standard Time": "America/Adak",
  "Hawaiian Standard Time": "Pacific/Honolulu",
  "Marquesas Standard Time": "Pacific/Marquesas",
  "Alaskan Standard Time": "America/Anchorage",
  "UTC-09": "Etc/GMT+9",
  "Pacific Standard Time (Mexico)": "America/Tijuana",
  "UTC-08": "Etc/GMT+8",
  "Pacific Standard Time": "America/Los_Angeles",
  "US Mountain Standard Time": "America/Phoenix",
  "Mountain Standard Time (Mexico)": "America/Mazatlan",
  "Mountain Standard Time": "America/Denver",
  "Yukon Standard Time": "America/Whitehorse",
  "Central America Standard Time": "America/Guatemala",
  "Central Standard Time": "America/Chicago",
  "Easter Island Standard Time": "Pacific/Easter",
  "Central Standard Time (Mexico)": "America/Mexico_City",
  "Canada Central Standard Time": "America/Regina",
  "SA Pacific Standard Time": "America/Bogota",
  "Eastern Standard Time (Mexico)": "America/Cancun",
  "Eastern Standard Time": "America/New_York",
  "Haiti Standard Time": "America/Port-au-Prince",
  "Cuba Standard Time": "America/Havana",
  "US Eastern Standard Time": "America/Indiana/Indianapolis",
  "Turks And Caicos Standard Time": "America/Grand_Turk",
  "Paraguay Standard Time": "America/Asuncion",
  "Atlantic Standard Time": "America/Halifax",
  "Venezuela Standard Time": "America/Caracas",
  "Central Brazilian Standard Time": "America/Cuiaba",
  "SA Western Standard Time": "America/La_Paz",
  "Pacific SA Standard Time": "America/Santiago",
  "Newfoundland Standard Time": "America/St_Johns",
  "Tocantins Standard Time": "America/Araguaina",
  "E. South America Standard Time": "America/Sao_Paulo",
  "SA Eastern Standard Time": "America/Cayenne",
  "Argentina Standard Time": "America/Argentina/Buenos_Aires",
  "Greenland Standard Time": "America/Nuuk",
  "Montevideo Standard Time": "America/Montevideo",
  "Magallanes Standard Time": "America/Punta_Arenas",
  "Saint Pierre Standard Time": "America/Miquelon",
  "Bahia Standard Time": "America/Bahia",
  "UTC-02": "Etc/GMT+2",
  "Mid-Atlantic Standard Time": "Etc/GMT+2",
  "Azores Standard Time": "Atlantic/Azores",
  "Cape Verde Standard Time": "Atlantic/Cape_Verde",
  "UTC": "UTC",
  "Coordinated Universal Time": "UTC",
  "tzone://Microsoft/Utc": "UTC",
  "GMT Standard Time": "Europe/London",
  "Greenwich Standard Time": "Atlantic/Reykjavik",
  "Sao Tome Standard Time": "Africa/Sao_Tome",
  "Morocco Standard Time": "Africa/Casablanca",
  "W. Europe Standard Time": "Europe/Berlin",
  "Central Europe Standard Time": "Europe/Budapest",
  "Romance Standard Time": "Europe/Paris",
  "Central European Standard Time": "Europe/Warsaw",
  "W. Central Africa Standard Time": "Africa/Lagos",
  "Jordan Standard Time": "Asia/Amman",
  "GTB Standard Time": "Europe/Bucharest",
  "Middle East Standard Time": "Asia/Beirut",
  "Egypt Standard Time": "Africa/Cairo",
  "E. Europe Standard Time": "Europe/Chisinau",
  "Syria Standard Time": "Asia/Damascus",
  "West Bank Standard Time": "Asia/Hebron",
  "South Africa Standard Time": "Africa/Johannesburg",
  "FLE Standard Time": "Europe/Kyiv",
  "Israel Standard Time": "Asia/Jerusalem",
  "South Sudan Standard Time": "Africa/Juba",
  "Kaliningrad Standard Time": "Europe/Kaliningrad",
  "Sudan Standard Time": "Africa/Khartoum",
  "Libya Standard Time": "Africa/Tripoli",
  "Namibia Standard Time": "Africa/Windhoek",
  "Arabic Standard Time": "Asia/Baghdad",
  "Turkey Standard Time": "Europe/Istanbul",
  "Arab Standard Time": "Asia/Riyadh",
  "Belarus Standard Time": "Europe/Minsk",
  "Russian Standard Time": "Europe/Moscow",
  "E. Africa Standard Time": "Africa/Nairobi",
  "Volgograd Standard Time": "Europe/Volgograd",
  "Iran Standard Time": "Asia/Tehran",
  "Arabian Standard Time": "Asia/Dubai",
  "Astrakhan Standard Time": "Europe/Astrakhan",
  "Azerbaijan Standard Time": "Asia/Baku",
  "Russia Time Zone 3": "Europe/Samara",
  "Mauritius Standard Time": "Indian/Mauritius",
  "Saratov Standard Time": "Europe/Saratov",
  "Georgian Standard Time": "Asia/Tbilisi",
  "Caucasus Standard Time": "Asia/Yerevan",
  "Armenian Standard Time": "Asia/Yerevan",
  "Afghanistan Standard Time": "Asia/Kabul",
  "West Asia Standard Time": "Asia/Tashkent",
  "Qyzylorda Standard Time": "Asia/Qyzylorda",
  "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
  "Pakistan Standard Time": "Asia/Karachi",
  "India Standard Time": "Asia/Kolkata",
  "Sri Lanka Standard Time": "Asia/Colombo",
  "Nepal Standard Time": "Asia/Kathmandu",
  "Central Asia Standard Time": "Asia/Almaty",
  "Bangladesh Standard Time": "Asia/Dhaka",
  "Omsk Standard Time": "Asia/Omsk",
  "Myanmar Standard Time": "Asia/Yangon",
  "SE Asia Standard Time": "Asia/Bangkok",
  "Altai Standard Time": "Asia/Barnaul",
  "W. Mongolia Standard Time": "Asia/Hovd",
  "North Asia Standard Time": "Asia/Krasnoyarsk",
  "N. Central Asia Standard Time": "Asia/Novosibirsk",
  "Tomsk Standard Time": "Asia/Tomsk",
  "China Standard Time": "Asia/Shanghai",
  "North Asia East Standard Time": "Asia/Irkutsk",
  "Singapore Standard Time": "Asia/Singapore",
  "W. Australia Standard Time": "Australia/Perth",
  "Taipei Standard Time": "Asia/Taipei",
  "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
  "Aus Central W. Standard Time": "Australia/Eucla",
  "Transbaikal Standard Time": "Asia/Chita",
  "Tokyo Standard Time": "Asia/Tokyo",
  "North Korea Standard Time": "Asia/Pyongyang",
  "Korea Standard Time": "Asia/Seoul",
  "Yakutsk Standard Time": "Asia/Yakutsk",
  "Cen. Australia Standard Time": "Australia/Adelaide",
  "AUS Central Standard Time": "Australia/Darwin",
  "E. Australia Standard Time": "Australia/Brisbane",
  "AUS Eastern Standard Time": "Australia/Sydney",
  "West Pacific Standard Time": "Pacific/Port_Moresby",
  "Tasmania Standard Time": "Australia/Hobart",
  "Vladivostok Standard Time": "Asia/Vladivostok",
  "Lord Howe Standard Time": "Australia/Lord_Howe",
  "Bougainville Standard Time": "Pacific/Bougainville",
  "Russia Time Zone 10": "Asia/Srednekolymsk",
  "Magadan Standard Time": "Asia/Magadan",
  "Norfolk Standard Time": "Pacific/Norfolk",
  "Sakhalin Standard Time": "Asia/Sakhalin",
  "Central Pacific Standard Time": "Pacific/Guadalcanal",
  "Russia Time Zone 11": "Asia/Kamchatka",
  "Kamchatka Standard Time": "Asia/Kamchatka",
  "New Zealand Standard Time": "Pacific/Auckland",
  "UTC+12": "Etc/GMT-12",
  "Fiji Standard Time": "Pacific/Fiji",
  "Chatham Islands Standard Time": "Pacific/Chatham",
  "UTC+13": "Etc/GMT-13",
  "Tonga Standard Time": "Pacific/Tongatapu",
  "Samoa Standard Time": "Pacific/Apia",
  "Line Islands Standard Time": "Pacific/Kiritimati",
};

const validZones = new Map<string, boolean>();

function isIanaZone(name: string): boolean {
  let ok = validZones.get(name);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: name });
      ok = true;
    } catch {
      ok = false;
    }
    validZones.set(name, ok);
  }
  return ok;
}

/** IANA name for a Graph time-zone string (Windows ID, IANA name or UTC alias); null if unknown. */
export function resolveTimeZone(name: string | null | undefined): string | null {
  const n = (name ?? "").trim();
  if (!n) return "UTC";
  const mapped = WINDOWS_TO_IANA[n];
  if (mapped) return mapped;
  if (/^(utc|gmt|z|etc\/utc|etc\/gmt)$/i.test(n)) return "UTC";
  return n.includes("/") && isIanaZone(n) ? n : null;
}

export function isUtcZone(zone: string): boolean {
  return zone === "UTC" || zone === "Etc/UTC";
}

export interface LocalTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", era: "short",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock time in a zone for a UTC instant. */
export function utcToLocal(utcMs: number, zone: string): LocalTime {
  if (isUtcZone(zone)) {
    const d = new Date(utcMs);
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    };
  }
  const v: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(utcMs))) v[p.type] = p.value;
  const year = v.era === "BC" || v.era === "B" ? 1 - Number(v.year) : Number(v.year);
  return { year, month: +v.month, day: +v.day, hour: +v.hour % 24, minute: +v.minute, second: +v.second };
}

function localAsUtcMs(t: LocalTime): number {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  d.setUTCHours(t.hour, t.minute, t.second, 0);
  return d.getTime();
}

/** UTC offset of a zone at an instant, in seconds east of UTC. */
export function zoneOffsetSeconds(zone: string, utcMs: number): number {
  if (isUtcZone(zone)) return 0;
  const floored = Math.floor(utcMs / 1000) * 1000;
  return Math.round((localAsUtcMs(utcToLocal(floored, zone)) - floored) / 1000);
}

/** UTC instant of a wall-clock time in a zone. In a DST gap the pre-transition offset is used
 * (02:30 on spring-forward day becomes 03:30), as RFC 5545 §3.3.5 prescribes. */
export function localToUtcMs(t: LocalTime, zone: string): number {
  const asUtc = localAsUtcMs(t);
  if (isUtcZone(zone)) return asUtc;
  const before = zoneOffsetSeconds(zone, asUtc - 86_400_000);
  const after = zoneOffsetSeconds(zone, asUtc + 86_400_000);
  // Try both candidate offsets; prefer one that round-trips (the earlier instant when ambiguous).
  const candidates = [asUtc - before * 1000, asUtc - after * 1000].sort((a, b) => a - b);
  for (const c of candidates) if (localAsUtcMs(utcToLocal(c, zone)) === asUtc) return c;
  return asUtc - before * 1000;
}

interface Transition {
  utcMs: number;
  from: number; // offset seconds before
  to: number; // offset seconds after
}

/** Offset changes within [fromYear, toYear] (inclusive), found by daily sampling and a minute
 * bisection. Cached per zone and range. */
const transitionCache = new Map<string, Transition[]>();

export function zoneTransitions(zone: string, fromYear: number, toYear: number): Transition[] {
  const key = `${zone}|${fromYear}|${toYear}`;
  const hit = transitionCache.get(key);
  if (hit) return hit;
  const out: Transition[] = [];
  if (!isUtcZone(zone)) {
    const DAY = 86_400_000;
    const start = Date.UTC(fromYear, 0, 1);
    const end = Date.UTC(toYear + 1, 0, 1);
    let prevT = start;
    let prevOff = zoneOffsetSeconds(zone, start);
    for (let t = start + DAY; t <= end; t += DAY) {
      const off = zoneOffsetSeconds(zone, t);
      if (off !== prevOff) {
        // bisect on whole minutes: lo has prevOff, hi has off
        let lo = prevT / 60000;
        let hi = t / 60000;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (zoneOffsetSeconds(zone, mid * 60000) === prevOff) lo = mid;
          else hi = mid;
        }
        out.push({ utcMs: hi * 60000, from: prevOff, to: off });
        prevOff = off;
      }
      prevT = t;
    }
  }
  transitionCache.set(key, out);
  return out;
}

const WEEKDAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

function formatOffset(sec: number): string {
  const sign = sec < 0 ? "-" : "+";
  const a = Math.abs(sec);
  const hh = String(Math.floor(a / 3600)).padStart(2, "0");
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, "0");
  const ss = a % 60 ? String(a % 60).padStart(2, "0") : "";
  return `${sign}${hh}${mm}${ss}`;
}

function fmtLocal(t: LocalTime): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(t.year, 4)}${p(t.month)}${p(t.day)}T${p(t.hour)}${p(t.minute)}${p(t.second)}`;
}

function tzName(zone: string, utcMs: number, offset: number): string {
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" }).formatToParts(new Date(utcMs));
    const n = parts.find((p) => p.type === "timeZoneName")?.value;
    if (n) return n;
  } catch {
    /* fall through */
  }
  return formatOffset(offset);
}

interface Onset {
  t: Transition;
  local: LocalTime; // wall time just before the change, in the "from" offset
}

/** Candidate BYDAY ordinals for a date: its week-of-month, and -1 when it is the last such weekday. */
function ordinals(local: LocalTime): number[] {
  const dim = new Date(Date.UTC(local.year, local.month, 0)).getUTCDate();
  const c = [Math.ceil(local.day / 7)];
  if (local.day + 7 > dim) c.push(-1);
  return c;
}

function weekday(local: LocalTime): number {
  return new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
}

/** Tries to describe onsets (one per year, same kind) as one yearly rule; null when they differ. */
function yearlyRule(onsets: Onset[], years: number): string | null {
  if (onsets.length !== years) return null;
  const f = onsets[0];
  let ords = ordinals(f.local);
  for (const o of onsets) {
    if (o.local.month !== f.local.month || weekday(o.local) !== weekday(f.local)) return null;
    if (o.local.hour !== f.local.hour || o.local.minute !== f.local.minute || o.local.second !== f.local.second) return null;
    if (o.t.from !== f.t.from || o.t.to !== f.t.to) return null;
    const oo = ordinals(o.local);
    ords = ords.filter((x) => oo.includes(x));
  }
  if (!ords.length) return null;
  const ord = ords.includes(-1) ? -1 : ords[0];
  return `FREQ=YEARLY;BYMONTH=${f.local.month};BYDAY=${ord}${WEEKDAYS[weekday(f.local)]}`;
}

/** Years of transitions examined: a zone gets an RRULE only if all of them follow it, otherwise
 * they are listed with RDATE. */
const RDATE_YEARS = 12;

/**
 * VTIMEZONE (unfolded content lines) for an IANA zone, valid from Jan 1 of `fromYear`. The
 * STANDARD/DAYLIGHT onsets start in fromYear, so callers pass a year before their first date.
 */
export function vtimezoneLines(zone: string, fromYear: number): string[] {
  const lines = ["BEGIN:VTIMEZONE", `TZID:${zone}`];
  const trans = zoneTransitions(zone, fromYear, fromYear + RDATE_YEARS - 1);
  if (trans.length === 0) {
    const off = formatOffset(zoneOffsetSeconds(zone, Date.UTC(fromYear, 0, 1)));
    lines.push(
      "BEGIN:STANDARD", "DTSTART:19700101T000000", `TZOFFSETFROM:${off}`, `TZOFFSETTO:${off}`,
      `TZNAME:${tzName(zone, Date.UTC(fromYear, 0, 1), zoneOffsetSeconds(zone, Date.UTC(fromYear, 0, 1)))}`,
      "END:STANDARD",
    );
  } else {
    // Wall time just before each change, computed from the offsets rather than asking Intl
    // about an instant a hair before the transition.
    const onsets: Onset[] = trans.map((t) => {
      const d = new Date(t.utcMs + t.from * 1000);
      const local = {
        year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
        hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
      };
      return { t, local };
    });
    if (onsets.length === 1) {
      // A single one-off offset change: the offset before it must be defined too.
      const off0 = onsets[0].t.from;
      lines.push(
        "BEGIN:STANDARD", "DTSTART:19700101T000000", `TZOFFSETFROM:${formatOffset(off0)}`,
        `TZOFFSETTO:${formatOffset(off0)}`, `TZNAME:${tzName(zone, Date.UTC(fromYear, 0, 1), off0)}`, "END:STANDARD",
      );
    }
    const daylight = onsets.filter((o) => o.t.to > o.t.from);
    const standard = onsets.filter((o) => o.t.to <= o.t.from);
    // RRULE only when every onset of both kinds over the whole window follows one yearly rule.
    const ruled = [daylight, standard].every((l) => l.length === 0 || yearlyRule(l, RDATE_YEARS) !== null);
    for (const [kind, list] of [["DAYLIGHT", daylight], ["STANDARD", standard]] as const) {
      if (!list.length) continue;
      const first = list[0];
      const rule = ruled ? yearlyRule(list, RDATE_YEARS) : null;
      if (rule) {
        lines.push(
          `BEGIN:${kind}`, `DTSTART:${fmtLocal(first.local)}`, `TZOFFSETFROM:${formatOffset(first.t.from)}`,
          `TZOFFSETTO:${formatOffset(first.t.to)}`, `TZNAME:${tzName(zone, first.t.utcMs, first.t.to)}`,
          `RRULE:${rule}`, `END:${kind}`,
        );
        continue;
      }
      // One sub-component per distinct (from, to) pair, each listing its onsets with RDATE.
      const groups = new Map<string, Onset[]>();
      for (const o of list) {
        const k = `${o.t.from}|${o.t.to}`;
        groups.set(k, [...(groups.get(k) ?? []), o]);
      }
      for (const g of groups.values()) {
        const f = g[0];
        lines.push(
          `BEGIN:${kind}`, `DTSTART:${fmtLocal(f.local)}`, `TZOFFSETFROM:${formatOffset(f.t.from)}`,
          `TZOFFSETTO:${formatOffset(f.t.to)}`, `TZNAME:${tzName(zone, f.t.utcMs, f.t.to)}`,
        );
        if (g.length > 1) lines.push(`RDATE:${g.slice(1).map((o) => fmtLocal(o.local)).join(",")}`);
        lines.push(`END:${kind}`);
      }
    }
  }
  lines.push("END:VTIMEZONE");
  return lines;
}
