import { afterAll, describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { eventToIcs } from "../../../lib/corso/export/ics.ts";
import { crlfLines, fixture, makeTempDir, runChecker, sha256Base64 } from "./helpers.ts";

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function check(ics: string, name: string, from: string, to: string) {
  return runChecker(tmp.dir, "check_ics.py", name, ics, [from, to]);
}

const first = (e: any, k: string) => e[k]?.[0];

function assertFolded(ics: string) {
  const enc = new TextEncoder();
  for (const l of crlfLines(ics)) {
    expect(enc.encode(l).length).toBeLessThanOrEqual(75);
    expect(l.includes("\uFFFD")).toBe(false); // no UTF-8 sequence split by folding
  }
}

describe("eventToIcs: weekly series in Pacific time with an exception and a cancellation", () => {
  const ev = fixture("event-weekly-pacific.json");
  const ics = eventToIcs(ev);
  const s = check(ics, "weekly.ics", "2024-01-01", "2024-12-31");

  test("folding, calendar properties, one valid VTIMEZONE matching tzdata", () => {
    assertFolded(ics);
    expect(s.calendar.PRODID.value).toBe("-//Alcion//Corso");
    expect(s.calendar.VERSION.value).toBe("2.0");
    expect(s.timezones).toEqual([{ tzid: "America/Los_Angeles", subs: ["DAYLIGHT", "STANDARD"] }]);
    expect(s.tz_mismatches).toEqual([]);
  });

  test("occurrences expand to what the Graph recurrence means (DST change, EXDATE, moved exception)", () => {
    // Mondays and Wednesdays 10:00–10:30 Pacific from 2024-03-04 until 2024-03-27; US DST starts
    // 2024-03-10 (UTC-8 → UTC-7). 03-13 is cancelled; 03-20 moved to Thu 03-21 14:00–15:00 PDT.
    const pst = (d: string) => `2024-03-${d}T18:00:00Z`;
    const pdt = (d: string) => `2024-03-${d}T17:00:00Z`;
    expect(s.occurrences.map((o: any) => o.start)).toEqual([
      pst("04"), pst("06"), pdt("11"), pdt("18"), "2024-03-21T21:00:00Z", pdt("25"), pdt("27"),
    ]);
    const moved = s.occurrences.find((o: any) => o.start === "2024-03-21T21:00:00Z");
    expect(moved.end).toBe("2024-03-21T22:00:00Z");
    expect(moved.summary).toBe("Weekly sync (moved to Thursday)");
    expect(s.occurrences[0].end).toBe("2024-03-04T18:30:00Z");
  });

  test("master VEVENT properties", () => {
    const [m, x] = s.events;
    expect(s.events.length).toBe(2);
    expect(first(m, "UID").value).toBe(ev.id);
    expect(first(m, "DTSTART")).toMatchObject({ dt: "2024-03-04T10:00:00-08:00", params: { TZID: "America/Los_Angeles" } });
    expect(first(m, "RRULE").value).toBe("FREQ=WEEKLY;UNTIL=20240328T065959Z;BYDAY=MO,WE;WKST=SU");
    expect(first(m, "EXDATE").dts).toEqual(["2024-03-13T10:00:00-07:00"]);
    expect(first(m, "SUMMARY").value).toBe(ev.subject); // ; , \ round-trip
    expect(first(m, "DESCRIPTION").value).toBe("Agenda für die Woche:\n\n* Zahlen & Fakten\n* Next steps\n\nJoin: Teams ( https://teams.microsoft.com/l/meetup-join/abc )");
    expect(first(m, "X-ALT-DESC")).toMatchObject({ value: ev.body.content, params: { FMTTYPE: "text/html" } });
    expect(first(m, "TRANSP").value).toBe("OPAQUE");
    expect(m.CATEGORIES.map((c: any) => c.cats).flat()).toEqual(ev.categories);
    expect(first(m, "URL").value).toBe(ev.webLink);
    expect(first(m, "ORGANIZER")).toMatchObject({ value: "mailto:MeganB@contoso.example", params: { CN: "Megan Bowen" } });
    const att = m.ATTENDEE.map((a: any) => [a.value, a.params.ROLE, a.params.PARTSTAT ?? null, a.params.CN]);
    expect(att).toEqual([
      ["mailto:AdeleV@contoso.example", "REQ-PARTICIPANT", "ACCEPTED", "Adele Vance"],
      ["mailto:zoe@contoso.example", "OPT-PARTICIPANT", "TENTATIVE", "Zoë Ünger, PhD"],
      ["mailto:LeeG@contoso.example", "REQ-PARTICIPANT", "DECLINED", "Lee Gu"],
      ["mailto:NestorW@contoso.example", "REQ-PARTICIPANT", "NEEDS-ACTION", "Nestor Wilke"],
      ["mailto:room3@contoso.example", "NON-PARTICIPANT", null, "Conf Room 3"],
    ]); // the X.500 legacy address is left out
    expect(first(m, "LOCATION").value).toBe("Conf Room 3/1234, Building 3, 1 Microsoft Way, Redmond, WA, United States, 98052");
    expect(first(m, "X-MICROSOFT-LOCATIONDISPLAYNAME").value).toBe("Conf Room 3/1234, Building 3");
    expect(first(m, "CLASS").value).toBe("PRIVATE");
    expect(first(m, "PRIORITY").value).toBe("1");
    expect(first(m, "X-MICROSOFT-SKYPETEAMSMEETINGURL").value).toBe(ev.onlineMeeting.joinUrl);
    expect(first(m, "DTSTAMP").dt).toBe("2024-03-18T09:15:00+00:00");
    // attachments: file ones only, decoded byte-for-byte; inline keeps its CID
    expect(m._attach.map((a: any) => [a.params.FILENAME, a.params.FMTTYPE, a.params.CID ?? null, a.sha256])).toEqual([
      ["agenda.txt", "text/plain", null, sha256Base64(ev.attachments[0].contentBytes)],
      ["logo.png", "image/png", "logo@contoso", sha256Base64(ev.attachments[1].contentBytes)],
    ]);
    expect(m._attach[0].params.ENCODING).toBe("BASE64");
    expect(m._attach[0].params.VALUE).toBe("BINARY");

    expect(first(x, "UID").value).toBe(ev.id);
    expect(first(x, "RECURRENCE-ID")).toMatchObject({ dt: "2024-03-20T10:00:00-07:00", params: { TZID: "America/Los_Angeles" } });
    expect(first(x, "DESCRIPTION").value).toBe(ev.exceptionOccurrences[0].body.content);
    expect(x._attach.map((a: any) => a.sha256)).toEqual([sha256Base64(ev.exceptionOccurrences[0].attachments[0].contentBytes)]);
    expect(x.RRULE).toBeUndefined();
  });
});

describe("eventToIcs: other shapes", () => {
  test("relativeMonthly (last Friday, every 2 months, 5 times) in W. Europe Standard Time", () => {
    const ev = fixture("event-monthly-berlin.json");
    const ics = eventToIcs(ev);
    assertFolded(ics);
    const s = check(ics, "berlin.ics", "2024-01-01", "2025-12-31");
    expect(s.timezones).toEqual([{ tzid: "Europe/Berlin", subs: ["DAYLIGHT", "STANDARD"] }]);
    expect(s.tz_mismatches).toEqual([]);
    // 15:00 Berlin: CET (UTC+1) in Jan/Mar 29 (before Mar 31 switch), CEST (UTC+2) after
    expect(s.occurrences.map((o: any) => o.start)).toEqual([
      "2024-01-26T14:00:00Z", "2024-03-29T14:00:00Z", "2024-05-31T13:00:00Z", "2024-07-26T13:00:00Z", "2024-09-27T13:00:00Z",
    ]);
    const m = s.events[0];
    expect(first(m, "TRANSP").value).toBe("TRANSPARENT");
    expect(first(m, "CLASS").value).toBe("CONFIDENTIAL");
    expect(first(m, "PRIORITY").value).toBe("9");
    expect(m.DESCRIPTION).toBeUndefined();
  });

  test("all-day cancelled single event: DATE values, no VTIMEZONE, STATUS:CANCELLED, escaped text", () => {
    const ev = fixture("event-allday.json");
    const ics = eventToIcs(ev);
    const s = check(ics, "allday.ics", "2024-01-01", "2024-12-31");
    const m = s.events[0];
    expect(first(m, "DTSTART")).toMatchObject({ dt: "2024-05-01", params: { VALUE: "DATE" } });
    expect(first(m, "DTEND")).toMatchObject({ dt: "2024-05-02", params: { VALUE: "DATE" } });
    expect(first(m, "STATUS").value).toBe("CANCELLED");
    expect(first(m, "DESCRIPTION").value).toBe(ev.body.content);
    expect(s.timezones).toEqual([]);
    expect(s.occurrences).toEqual([{ start: "2024-05-01", end: "2024-05-02", summary: "Public holiday" }]);
    expect(ics).toContain("DESCRIPTION:Line one\\nLine two\\, with comma\\; and semicolon \\\\ backslash");
  });

  test("single timed event in a Windows zone is written in UTC", () => {
    const ics = eventToIcs({
      id: "e1", subject: "x",
      start: { dateTime: "2024-07-01T09:00:00.0000000", timeZone: "Pacific Standard Time" },
      end: { dateTime: "2024-07-01T10:00:00.0000000", timeZone: "Pacific Standard Time" },
    });
    expect(ics).toContain("DTSTART:20240701T160000Z\r\n");
    expect(ics).toContain("DTEND:20240701T170000Z\r\n");
    expect(ics).not.toContain("VTIMEZONE");
    const s = check(ics, "single.ics", "2024-01-01", "2024-12-31");
    expect(s.occurrences.map((o: any) => o.start)).toEqual(["2024-07-01T16:00:00Z"]);
  });

  test("all-day weekly series with cancellation and exception: DATE EXDATE and RECURRENCE-ID", () => {
    const ev = {
      id: "ad1", subject: "Gym", isAllDay: true,
      start: { dateTime: "2024-06-03T00:00:00.0000000", timeZone: "UTC" },
      end: { dateTime: "2024-06-04T00:00:00.0000000", timeZone: "UTC" },
      recurrence: {
        pattern: { type: "weekly", interval: 1, daysOfWeek: ["monday"], firstDayOfWeek: "sunday" },
        range: { type: "endDate", startDate: "2024-06-03", endDate: "2024-06-24", recurrenceTimeZone: "W. Europe Standard Time" },
      },
      cancelledOccurrences: ["OID.ad1=.2024-06-10"],
      exceptionOccurrences: [{
        id: "ad1x", subject: "Gym (Tuesday)", isAllDay: true, originalStart: "2024-06-17T00:00:00Z",
        start: { dateTime: "2024-06-18T00:00:00.0000000", timeZone: "UTC" }, end: { dateTime: "2024-06-19T00:00:00.0000000", timeZone: "UTC" },
      }],
    };
    const ics = eventToIcs(ev);
    expect(ics).toContain("RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;UNTIL=20240624\r\n");
    expect(ics).toContain("EXDATE;VALUE=DATE:20240610\r\n");
    expect(ics).toContain("RECURRENCE-ID;VALUE=DATE:20240617\r\n");
    const s = check(ics, "allday-series.ics", "2024-01-01", "2024-12-31");
    expect(s.occurrences.map((o: any) => o.start)).toEqual(["2024-06-03", "2024-06-18", "2024-06-24"]);
  });

  test("long Unicode lines fold at 75 octets without splitting characters", () => {
    const subject = "日本語のとても長い件名".repeat(20) + "🎉".repeat(30);
    const ics = eventToIcs({ id: "u1", subject, start: { dateTime: "2024-01-01T00:00:00", timeZone: "UTC" } });
    assertFolded(ics);
    const s = check(ics, "unicode.ics", "2024-01-01", "2024-01-02");
    expect(first(s.events[0], "SUMMARY").value).toBe(subject);
  });

  test("bad input gets typed one-line errors", () => {
    expect(() => eventToIcs({ id: "b1", start: { dateTime: "2024-01-01T00:00:00", timeZone: "Mars Standard Time" } })).toThrow(
      /event b1 start: unknown time zone "Mars Standard Time"/,
    );
    expect(() => eventToIcs({ id: "b2", start: { dateTime: "not a date", timeZone: "UTC" } })).toThrow(CorruptDataError);
    const rec = { pattern: { type: "weekly", daysOfWeek: ["monday"] }, range: { type: "noEnd" } };
    expect(() => eventToIcs({ id: "b3", start: { dateTime: "2024-01-01T00:00:00", timeZone: "UTC" }, recurrence: rec, cancelledOccurrences: ["OID.x.notadate"] })).toThrow(
      /event b3: cancelled occurrence "OID.x.notadate" does not end in a date/,
    );
    expect(() => eventToIcs({ id: "b4", start: { dateTime: "2024-01-01T00:00:00", timeZone: "UTC" }, recurrence: rec, exceptionOccurrences: [{ id: "x" }] })).toThrow(
      /event b4 exception x: no originalStart/,
    );
  });
});
