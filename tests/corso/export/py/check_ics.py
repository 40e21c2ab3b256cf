"""Validates an .ics with independent parsers and prints a JSON summary.

- icalendar parses it (strict enough to reject malformed lines) and vobject parses it too;
- every VTIMEZONE is turned into a tzinfo by icalendar and compared, instant by instant, with
  the IANA zone of the same name from zoneinfo (tzdata): any offset mismatch is reported;
- recurring_ical_events expands the series between argv[2] and argv[3] (ISO dates), applying
  EXDATE and RECURRENCE-ID overrides; occurrences are printed in UTC.
"""
import datetime as dt
import json
import sys
import warnings
import zoneinfo

import icalendar
import recurring_ical_events
import vobject

warnings.simplefilter("ignore", DeprecationWarning)
path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
# optional: years of VTIMEZONE comparison and sampling step in hours
YEARS = int(sys.argv[4]) if len(sys.argv) > 4 else 4
STEP_HOURS = float(sys.argv[5]) if len(sys.argv) > 5 else 6
raw = open(path, "rb").read()
cal = icalendar.Calendar.from_ical(raw)
vobject.readOne(raw.decode("utf-8"))  # raises on malformed input


def prop_json(v):
    if isinstance(v, list):
        return [prop_json(x) for x in v]
    params = dict(getattr(v, "params", {}) or {})
    if hasattr(v, "dt"):
        d = v.dt
        return {"dt": d.isoformat(), "tz": str(d.tzinfo) if isinstance(d, dt.datetime) and d.tzinfo else None, "params": params}
    if hasattr(v, "dts"):
        return {"dts": [x.dt.isoformat() for x in v.dts], "params": params}
    if hasattr(v, "cats"):
        return {"cats": list(v.cats), "params": params}
    if hasattr(v, "to_ical") and not isinstance(v, str):
        return {"value": v.to_ical().decode("utf-8"), "params": params}
    if isinstance(v, bytes):
        return {"value": v.decode("latin-1"), "params": params}
    return {"value": str(v), "params": params}


out = {"calendar": {k: prop_json(v) for k, v in cal.items()}, "events": [], "timezones": [], "tz_mismatches": []}
for comp in cal.walk():
    if comp.name == "VEVENT":
        e = {}
        for k, v in comp.property_items(recursive=False):
            if k in ("BEGIN", "END"):
                continue
            e.setdefault(k, []).append(prop_json(comp[k]) if not isinstance(comp[k], list) else None)
        # decoded attachments
        atts = comp.get("ATTACH")
        if atts is not None:
            atts = atts if isinstance(atts, list) else [atts]
            import hashlib, base64
            e["_attach"] = [
                {"params": dict(a.params), "sha256": hashlib.sha256(base64.b64decode(a.to_ical())).hexdigest()} for a in atts
            ]
        for k in list(e):
            if not k.startswith("_"):
                v = comp[k]
                e[k] = [prop_json(x) for x in v] if isinstance(v, list) else [prop_json(v)]
                if k.startswith("X-"):
                    # icalendar keeps unknown X- properties raw; decode them as TEXT with its own unescaper
                    for item in e[k]:
                        item["value"] = icalendar.parser.unescape_char(item["value"])
        out["events"].append(e)
    elif comp.name == "VTIMEZONE":
        tzid = str(comp["TZID"])
        out["timezones"].append({"tzid": tzid, "subs": [s.name for s in comp.subcomponents]})
        mine = comp.to_tz()
        ref = zoneinfo.ZoneInfo(tzid)
        y0 = int(start[:4])
        t = dt.datetime(y0, 1, 1, tzinfo=dt.timezone.utc)
        while t.year <= y0 + YEARS - 1:
            a = t.astimezone(mine).utcoffset()
            b = t.astimezone(ref).utcoffset()
            if a != b:
                out["tz_mismatches"].append([tzid, t.isoformat(), str(a), str(b)])
            t += dt.timedelta(hours=STEP_HOURS)

occ = []
for ev in recurring_ical_events.of(cal).between(dt.date.fromisoformat(start), dt.date.fromisoformat(end)):
    s = ev["DTSTART"].dt
    e = ev["DTEND"].dt if "DTEND" in ev else None
    fmt = lambda d: d.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(d, dt.datetime) else d.isoformat()
    occ.append({"start": fmt(s), "end": fmt(e) if e else None, "summary": str(ev.get("SUMMARY", ""))})
occ.sort(key=lambda o: o["start"])
out["occurrences"] = occ
print(json.dumps(out, default=str))
