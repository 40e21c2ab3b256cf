// Corso's accepted time formats (pkg/dttm ParseTime, tried in order), normalised to
// RFC3339Nano UTC (the form details times are stored in) so comparisons are meaningful.

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

function fmt(ms: number, fracDigits: string): string {
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = fracDigits.replace(/0+$/, "");
  return base + (frac ? "." + frac : "") + "Z";
}

export function parseCorsoTime(v: string): string | undefined {
  const s = v.trim();
  // RFC3339 / RFC3339Nano / 2006-01-02T15:04:05Z / 2006-01-02T15:04:05.0000000 (UTC assumed)
  let m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?$/.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, frac = "", tz] = m;
    if (!tz && frac.length !== 7) return undefined;
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}${tz && tz !== "Z" ? tz : "Z"}`);
    return Number.isNaN(ms) ? undefined : fmt(ms, frac);
  }
  // 02-Jan-2006_15-04-05.000000, 02-Jan-2006_15:04:05, 02-Jan-2006_15-04-05, 02-Jan-2006_15:04, 02-Jan-2006_15-04
  m = /^(\d\d)-([A-Za-z]{3})-(\d{4})_(\d\d)([-:])(\d\d)(?:\5(\d\d)(?:\.(\d{6}))?)?$/.exec(s);
  if (m) {
    const [, d, mon, y, h, , mi, se = "00", frac = ""] = m;
    const mo = MONTHS[mon.toLowerCase()];
    if (mo === undefined) return undefined;
    const ms = Date.UTC(+y, mo, +d, +h, +mi, +se);
    return Number.isNaN(ms) ? undefined : fmt(ms, frac);
  }
  m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
  if (m) {
    const ms = Date.parse(`${s}T00:00:00Z`);
    return Number.isNaN(ms) ? undefined : fmt(ms, "");
  }
  return undefined;
}
