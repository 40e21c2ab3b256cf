import { afterAll, describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { escapeText, foldLine, paramValue, serializeLines } from "../../../lib/corso/export/content-lines.ts";
import { htmlToText } from "../../../lib/corso/export/html-text.ts";
import {
  WINDOWS_TO_IANA, localToUtcMs, resolveTimeZone, utcToLocal, vtimezoneLines, zoneOffsetSeconds,
} from "../../../lib/corso/export/ics-timezones.ts";
import { exportLayout, sanitizePathElement } from "../../../lib/corso/export/layout.ts";
import {
  addressHeader, base64Lines, encodedWords, paramHeader, rfc5322Date, unstructuredHeader,
} from "../../../lib/corso/export/mime.ts";
import { recurrenceToRrule } from "../../../lib/corso/export/rrule.ts";
import { makeTempDir, runChecker } from "./helpers.ts";

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

/** Minimal RFC 2047 B decoder for the unit tests (the EML tests use Python's real one). */
function decodeWords(s: string): string {
  const words = s.trim().split(/\s+/);
  return Buffer.concat(
    words.map((w) => {
      const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w);
      if (!m) throw new Error(`not an encoded word: ${w}`);
      return Buffer.from(m[1], "base64");
    }),
  ).toString("utf8");
}

describe("content lines (RFC 5545/6350)", () => {
  test("escapeText escapes backslash, semicolon, comma and every newline form", () => {
    expect(escapeText("a\\b;c,d\ne\r\nf\rg")).toBe("a\\\\b\\;c\\,d\\ne\\nf\\ng");
    expect(escapeText("tab\tok\x01gone")).toBe("tab\tokgone");
  });

  test("paramValue quotes values with : ; , and removes DQUOTE", () => {
    expect(paramValue("Lee Gu")).toBe("Lee Gu");
    expect(paramValue("Gu, Lee")).toBe('"Gu, Lee"');
    expect(paramValue('say "hi": now')).toBe(`"say 'hi': now"`);
  });

  test("foldLine: ≤ 75 octets per line, continuation starts with a space, unfolds to the input", () => {
    const enc = new TextEncoder();
    for (const line of ["x".repeat(75), "x".repeat(76), "é".repeat(100), "a" + "😀".repeat(50), "日本".repeat(77)]) {
      const folded = foldLine(line);
      expect(folded.endsWith("\r\n")).toBe(true);
      const phys = folded.slice(0, -2).split("\r\n");
      phys.forEach((p, i) => {
        expect(enc.encode(p).length).toBeLessThanOrEqual(75);
        if (i > 0) expect(p.startsWith(" ")).toBe(true);
        expect(p).not.toContain("\uFFFD");
      });
      expect(folded.slice(0, -2).replace(/\r\n /g, "")).toBe(line);
    }
    expect(foldLine("x".repeat(75))).toBe("x".repeat(75) + "\r\n");
    expect(serializeLines(["A", "B"])).toBe("A\r\nB\r\n");
  });
});

describe("MIME helpers", () => {
  test("encoded words: ≤ 60 chars each, UTF-8 never split, round-trip", () => {
    for (const s of ["Grüße", "会议纪要".repeat(20), "😀".repeat(40), "a".repeat(200)]) {
      const words = encodedWords(s);
      for (const w of words) {
        expect(w.length).toBeLessThanOrEqual(60);
        const m = /^=\?UTF-8\?B\?(.*)\?=$/.exec(w)!;
        expect(Buffer.from(m[1], "base64").toString("utf8")).not.toContain("\uFFFD");
      }
      expect(decodeWords(words.join(" "))).toBe(s);
    }
  });

  test("unstructuredHeader: plain ASCII stays readable and folds at spaces; others are encoded", () => {
    expect(unstructuredHeader("Subject", "Hello world")).toBe("Subject: Hello world\r\n");
    const long = unstructuredHeader("Subject", "word ".repeat(30).trim());
    for (const l of long.split("\r\n").filter(Boolean)) expect(l.length).toBeLessThanOrEqual(78);
    expect(long.replace(/\r\n(?= )/g, "")).toBe("Subject: " + "word ".repeat(30).trim() + "\r\n");
    const enc = unstructuredHeader("Subject", "Grüße\r\nzweite Zeile");
    expect(decodeWords(enc.slice("Subject: ".length).replace(/\r\n/g, ""))).toBe("Grüße zweite Zeile");
  });

  test("addressHeader: quoting, encoded names, bare addresses, empty entries skipped", () => {
    expect(addressHeader("To", [{ name: "A \"B\" C", address: "a@x" }, { name: "b@x", address: "b@x" }, {}])).toBe(
      'To: "A \\"B\\" C" <a@x>, b@x\r\n',
    );
    expect(addressHeader("To", [{}, { name: "", address: "" }])).toBeNull();
    const h = addressHeader("From", [{ name: "Jürgen", address: "j@x" }])!;
    expect(h).toMatch(/^From: =\?UTF-8\?B\?[^ ]+\?= <j@x>\r\n$/);
  });

  test("paramHeader: RFC 2231 for non-ASCII and long names, continuations keep lines short", () => {
    expect(paramHeader("Content-Disposition", "attachment", [["filename", "a b.txt"]])).toBe(
      'Content-Disposition: attachment; filename="a b.txt"\r\n',
    );
    expect(paramHeader("Content-Type", "text/plain", [["charset", "UTF-8"]])).toBe("Content-Type: text/plain; charset=UTF-8\r\n");
    const h = paramHeader("Content-Disposition", "attachment", [["filename", "Résumé.pdf"]]);
    expect(h).toContain("filename*=utf-8''R%C3%A9sum%C3%A9.pdf");
    const long = paramHeader("Content-Disposition", "attachment", [["filename", "履歴書".repeat(40) + ".pdf"]]);
    expect(long).toContain("filename*0*=utf-8''");
    for (const l of long.split("\r\n")) expect(l.length).toBeLessThanOrEqual(78);
  });

  test("base64Lines wraps at 76 and rfc5322Date formats UTC", () => {
    const data = new Uint8Array(1000).map((_, i) => i & 255);
    const out = base64Lines(data);
    const lines = out.split("\r\n").filter(Boolean);
    expect(lines.slice(0, -1).every((l) => l.length === 76)).toBe(true);
    expect(Buffer.from(lines.join(""), "base64")).toEqual(Buffer.from(data));
    expect(base64Lines(new Uint8Array(0))).toBe("");
    expect(rfc5322Date(new Date("2024-01-05T03:04:05Z"))).toBe("Fri, 5 Jan 2024 03:04:05 +0000");
  });
});

describe("HTML → text", () => {
  test("keeps text and structure, drops head/style/script, decodes entities, shows link targets", () => {
    const html =
      "<html><head><title>T</title><style>x{}</style></head><body><script>alert(1)</script>" +
      "<p>Hello&nbsp;&amp; welcome&#33; &#x263A;</p><div>Line<br/>break</div><ul><li>one</li><li>two</li></ul>" +
      '<a href="https://e.example/x?a=1&amp;b=2">site</a> <a href="https://same.example">https://same.example</a></body></html>';
    expect(htmlToText(html)).toBe(
      "Hello & welcome! ☺\nLine\nbreak\n\n* one\n* two\nsite ( https://e.example/x?a=1&b=2 ) https://same.example",
    );
    expect(htmlToText("")).toBe("");
  });
});

describe("RRULE mapping", () => {
  const R = (pattern: any, range: any = { type: "noEnd" }, until?: string) => recurrenceToRrule({ pattern, range }, { until });
  test("all pattern types", () => {
    expect(R({ type: "daily", interval: 1 })).toBe("FREQ=DAILY");
    expect(R({ type: "daily", interval: 3 }, { type: "numbered", numberOfOccurrences: 10 })).toBe("FREQ=DAILY;INTERVAL=3;COUNT=10");
    expect(R({ type: "weekly", interval: 2, daysOfWeek: ["monday", "friday"], firstDayOfWeek: "monday" })).toBe(
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=MO",
    );
    expect(R({ type: "absoluteMonthly", interval: 1, dayOfMonth: 31, month: 0, daysOfWeek: [] })).toBe("FREQ=MONTHLY;BYMONTHDAY=31");
    expect(R({ type: "relativeMonthly", interval: 1, daysOfWeek: ["thursday"], index: "third" })).toBe("FREQ=MONTHLY;BYDAY=3TH");
    expect(R({ type: "relativeMonthly", interval: 1, daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday"], index: "last" })).toBe(
      "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    );
    expect(R({ type: "absoluteYearly", interval: 1, month: 2, dayOfMonth: 29 })).toBe("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29");
    expect(R({ type: "relativeYearly", interval: 1, month: 11, daysOfWeek: ["thursday"], index: "fourth" })).toBe(
      "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
    );
    expect(R({ type: "daily" }, { type: "endDate", endDate: "2024-12-31" }, "20241231T235959Z")).toBe("FREQ=DAILY;UNTIL=20241231T235959Z");
    // index is ignored for non-relative patterns; zero month/day are not emitted
    expect(R({ type: "weekly", interval: 1, daysOfWeek: ["sunday"], index: "first", month: 0, dayOfMonth: 0 })).toBe("FREQ=WEEKLY;BYDAY=SU");
  });

  test("invalid patterns are typed errors naming the field", () => {
    expect(() => R({ type: "hourly" })).toThrow(CorruptDataError);
    expect(() => R({ type: "weekly", daysOfWeek: ["funday"] })).toThrow(/unknown day of week "funday"/);
    expect(() => R({ type: "absoluteYearly", month: 13, dayOfMonth: 1 })).toThrow(/month between 1 and 12/);
    expect(() => R({ type: "absoluteMonthly" })).toThrow(/dayOfMonth/);
    expect(() => R({ type: "relativeMonthly", daysOfWeek: [] })).toThrow(/needs daysOfWeek/);
    expect(() => R({ type: "relativeMonthly", daysOfWeek: ["monday"], index: "fifth" })).toThrow(/unknown week index/);
    expect(() => R({ type: "daily" }, { type: "sometimes" })).toThrow(/unknown range type/);
  });
});

describe("time zones", () => {
  test("every mapped Windows zone resolves to a zone the runtime knows", () => {
    const names = Object.keys(WINDOWS_TO_IANA);
    expect(names.length).toBeGreaterThan(135);
    for (const w of names) {
      const iana = resolveTimeZone(w)!;
      expect(iana).toBe(WINDOWS_TO_IANA[w]);
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: iana })).not.toThrow();
    }
    expect(resolveTimeZone("Pacific Standard Time")).toBe("America/Los_Angeles");
    expect(resolveTimeZone("W. Europe Standard Time")).toBe("Europe/Berlin");
    expect(resolveTimeZone("Europe/Paris")).toBe("Europe/Paris");
    expect(resolveTimeZone("UTC")).toBe("UTC");
    expect(resolveTimeZone("")).toBe("UTC");
    expect(resolveTimeZone("Customized Time Zone")).toBeNull();
    expect(resolveTimeZone("Nowhere/Atlantis")).toBeNull();
  });

  test("local ↔ UTC conversion around DST changes", () => {
    const la = "America/Los_Angeles";
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(iso(localToUtcMs({ year: 2024, month: 3, day: 9, hour: 10, minute: 0, second: 0 }, la))).toBe("2024-03-09T18:00:00.000Z");
    expect(iso(localToUtcMs({ year: 2024, month: 3, day: 11, hour: 10, minute: 0, second: 0 }, la))).toBe("2024-03-11T17:00:00.000Z");
    // 02:30 does not exist on 2024-03-10: the pre-transition offset applies (→ 03:30 PDT)
    expect(iso(localToUtcMs({ year: 2024, month: 3, day: 10, hour: 2, minute: 30, second: 0 }, la))).toBe("2024-03-10T10:30:00.000Z");
    // 01:30 on 2024-11-03 happens twice: the first (PDT) is chosen
    expect(iso(localToUtcMs({ year: 2024, month: 11, day: 3, hour: 1, minute: 30, second: 0 }, la))).toBe("2024-11-03T08:30:00.000Z");
    expect(utcToLocal(Date.UTC(2024, 6, 1, 12), "Europe/Berlin")).toEqual({ year: 2024, month: 7, day: 1, hour: 14, minute: 0, second: 0 });
    expect(zoneOffsetSeconds("Asia/Kathmandu", Date.UTC(2024, 0, 1))).toBe(5 * 3600 + 45 * 60);
  });

  test("VTIMEZONE shapes: rule zones get RRULE, irregular zones RDATE, fixed zones one STANDARD", () => {
    const la = vtimezoneLines("America/Los_Angeles", 2023);
    expect(la).toContain("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU");
    expect(la).toContain("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU");
    expect(la).toContain("DTSTART:20230312T020000");
    const be = vtimezoneLines("Europe/Berlin", 2023);
    expect(be).toContain("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
    expect(be).toContain("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
    expect(vtimezoneLines("Africa/Casablanca", 2023).some((l) => l.startsWith("RDATE:"))).toBe(true);
    expect(vtimezoneLines("Asia/Kolkata", 2023)).toEqual([
      "BEGIN:VTIMEZONE", "TZID:Asia/Kolkata", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0530",
      "TZOFFSETTO:+0530", "TZNAME:GMT+5:30", "END:STANDARD", "END:VTIMEZONE",
    ]);
  });

  test(
    "the VTIMEZONE of every mapped zone matches tzdata (icalendar's tzinfo vs zoneinfo, hourly over 3 years)",
    () => {
      const zones = [...new Set(Object.values(WINDOWS_TO_IANA))].filter((z) => z !== "UTC");
      const L = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Alcion//Corso"];
      for (const z of zones) L.push(...vtimezoneLines(z, 2023));
      L.push("BEGIN:VEVENT", "UID:tz", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T000000Z", "END:VEVENT", "END:VCALENDAR");
      const s = runChecker(tmp.dir, "check_ics.py", "zones.ics", serializeLines(L), ["2024-01-01", "2024-01-02", "3", "1"]);
      expect(s.timezones.length).toBe(zones.length);
      expect(s.tz_mismatches).toEqual([]);
      // zones with DST really got both observances
      const subs = Object.fromEntries(s.timezones.map((t: any) => [t.tzid, t.subs]));
      expect(subs["America/Los_Angeles"]).toEqual(["DAYLIGHT", "STANDARD"]);
      expect(subs["Europe/Berlin"]).toEqual(["DAYLIGHT", "STANDARD"]);
      expect(subs["Australia/Sydney"]).toEqual(["DAYLIGHT", "STANDARD"]);
    },
    120_000,
  );
});

describe("export layout", () => {
  test("paths per category with sanitised elements", () => {
    expect(exportLayout({ category: "email", folders: ["Inbox", "Projects/2024", "a:b"], id: "AAMk=" })).toBe(
      "Emails/Inbox/Projects_2024/a_b/AAMk=.eml",
    );
    expect(exportLayout({ category: "events", folders: ["Calendar"], id: "E1" })).toBe("Events/Calendar/E1.ics");
    expect(exportLayout({ category: "contacts", folders: ["Contacts"], id: "C1" })).toBe("Contacts/Contacts/C1.vcf");
  });

  test("sanitizePathElement handles Windows-invalid names, dots, reserved names and length", () => {
    expect(sanitizePathElement('a<b>c:d"e/f\\g|h?i*j')).toBe("a_b_c_d_e_f_g_h_i_j");
    expect(sanitizePathElement("..")).toBe("_");
    expect(sanitizePathElement(".")).toBe("_");
    expect(sanitizePathElement("")).toBe("_");
    expect(sanitizePathElement("name. . ")).toBe("name");
    expect(sanitizePathElement("CON")).toBe("_CON");
    expect(sanitizePathElement("lpt1.txt")).toBe("_lpt1.txt");
    expect(sanitizePathElement("tab\there\x00")).toBe("tab_here_");
    expect(sanitizePathElement("Ünïcödé 📁")).toBe("Ünïcödé 📁");
    const long = sanitizePathElement("日".repeat(100));
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(255);
    expect(long).toBe("日".repeat(85));
  });
});
