// Corso's output formats (corso-cli spec §8) as lib/cli/details-print.ts renders them: go-humanize
// bytes, Go durations, tabular times, backup status suffixes, Data column, details rows, faults.
import { describe, expect, test } from "bun:test";
import {
  backupData, backupPrintable, backupStatus, entryHeaders, entryValues, epochNanos, faultPrintables, goDuration, groupEntries,
  humanizeBytes, statsLine, tabularTime,
} from "../../lib/cli/details-print.ts";

describe("formatting helpers", () => {
  test("humanize.Bytes", () => {
    expect(humanizeBytes(0)).toBe("0 B");
    expect(humanizeBytes(9)).toBe("9 B");
    expect(humanizeBytes(10)).toBe("10 B");
    expect(humanizeBytes(999)).toBe("999 B");
    expect(humanizeBytes(1000)).toBe("1.0 kB");
    expect(humanizeBytes(401_000)).toBe("401 kB");
    expect(humanizeBytes(1_234_567)).toBe("1.2 MB");
    expect(humanizeBytes(82_854_982)).toBe("83 MB");
    expect(humanizeBytes(5_000_000_000)).toBe("5.0 GB");
  });
  test("Go time.Duration.String", () => {
    expect(goDuration(0n)).toBe("0s");
    expect(goDuration(999n)).toBe("999ns");
    expect(goDuration(1_500n)).toBe("1.5µs");
    expect(goDuration(87_000_000n)).toBe("87ms");
    expect(goDuration(87_123_400n)).toBe("87.1234ms");
    expect(goDuration(1_000_000_000n)).toBe("1s");
    expect(goDuration(60_000_000_000n)).toBe("1m0s");
    expect(goDuration(3_723_500_000_000n)).toBe("1h2m3.5s");
    expect(goDuration(-1_500_000_000n)).toBe("-1.5s");
  });
  test("RFC 3339 nanoseconds and tabular times", () => {
    const a = epochNanos("2024-05-06T15:04:05.123456789Z")!;
    const b = epochNanos("2024-05-06T15:04:06Z")!;
    expect(goDuration(b - a)).toBe("876.543211ms");
    expect(epochNanos("garbage")).toBeUndefined();
    expect(tabularTime("2024-05-06T17:04:05.5+02:00")).toBe("2024-05-06T15:04:05Z");
    expect(tabularTime("0001-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00Z");
    expect(tabularTime(undefined)).toBe("");
  });
});

describe("backup model (§8.1)", () => {
  const b = {
    ID: "id-1", status: "Completed", errorCount: 0, totalSkippedItems: 0, startedAt: "2024-01-01T00:00:00Z", completedAt: "2024-01-01T00:01:00Z",
    selectors: { service: 1, discreteOwner: "uid", discreteOwnerName: "a@x", includes: [{ category: "ExchangeMail" }, { category: "ExchangeEvent" }, { category: "ExchangeContact" }] },
    protectedResourceName: "", resourceOwnerName: "a@x", nonMetaBytesUploaded: 401_000, nonMetaItemsWritten: 59, bytesRead: 5, itemsRead: 59,
  };
  test("row, status suffixes, Data", () => {
    expect(backupPrintable(b).headers()).toEqual(["ID", "Started at", "Duration", "Status", "Protected resource", "Data"]);
    expect(backupPrintable(b).values()).toEqual(["id-1", "2024-01-01T00:00:00Z", "1m0s", "Completed", "a@x", "Contacts,Emails,Events"]);
    expect(backupStatus({ ...b, errorCount: 2, totalSkippedItems: 1, skippedMalware: 1 })).toBe("Completed (2 errors, 1 skipped: 1 malware)");
    expect(backupStatus({ ...b, errorCount: 42 })).toBe("Completed (42 errors)");
    expect(backupStatus({ ...b, totalSkippedItems: 2, skippedMalware: 1, skippedInvalidOneNoteFile: 1 })).toBe("Completed (2 skipped: 1 malware, 1 invalid OneNote file)");
    expect(backupStatus({ ...b, totalSkippedItems: 3 })).toBe("Completed (3 skipped)");
    expect(backupData({ ...b, selectors: { service: 1, includes: [{ category: "ExchangeContact" }] } })).toBe("Contacts");
  });
  test("--json Printable and the stats line", () => {
    const j = backupPrintable(b).minimumPrintable() as any;
    expect(Object.keys(j)).toEqual(["id", "status", "version", "protectedResourceID", "protectedResourceName", "owner", "stats"]);
    expect(j.version).toBe("0");
    expect(j.stats).toEqual({ id: "id-1", bytesRead: 5, bytesUploaded: 401_000, endedAt: b.completedAt, errorCount: 0, itemsRead: 59, itemsSkipped: 0, itemsWritten: 59, startedAt: b.startedAt });
    expect(statsLine(b)).toBe("Bytes uploaded: 401 kB | Items uploaded: 59 | Items skipped: 0 | Errors: 0");
  });
});

describe("details entries (§8.2) and faults (§8.3)", () => {
  const mail = { repoRef: "t/exchange/u/email/f/m", shortRef: "aaaaaaaaaaaa", exchange: { itemType: 3, sender: "s@x", parentPath: "Inbox", subject: "Hi", received: "2024-05-06T15:04:00.5Z" } };
  const ev = { repoRef: "r2", shortRef: "bbbbbbbbbbbb", exchange: { itemType: 2, organizer: "o@x", subject: "Sync", eventStart: "2024-05-06T09:00:00Z", eventEnd: "2024-05-06T09:30:00Z", eventRecurs: true } };
  const ct = { repoRef: "r3", shortRef: "cccccccccccc", exchange: { itemType: 1, contactName: "Dana" } };
  test("rows per type, grouped by type in first-seen order", () => {
    expect(entryValues(mail)).toEqual(["aaaaaaaaaaaa", "s@x", "Inbox", "Hi", "2024-05-06T15:04:00Z"]);
    expect(entryValues(ev)).toEqual(["bbbbbbbbbbbb", "o@x", "Sync", "2024-05-06T09:00:00Z", "2024-05-06T09:30:00Z", "true"]);
    expect(entryValues({ ...ev, exchange: { ...ev.exchange, eventRecurs: undefined } })[5]).toBe("false");
    expect(entryValues(ct)).toEqual(["cccccccccccc", "Dana"]);
    expect(entryHeaders("contact")).toEqual(["ID", "Contact Name"]);
    expect(groupEntries([ct, mail, ct, ev, mail]).map((g) => g.map((e) => e.shortRef[0]).join(""))).toEqual(["cc", "aa", "b"]);
  });
  test("fault rows in Corso's order, sections toggled", () => {
    const f = {
      failure: null,
      recovered: [{ msg: "delta token expired" }],
      items: [{ id: "m1", name: "Budget", type: "file", cause: "invalid JSON", additional: { container_name: "Inbox" } }],
      skipped: [{ item: { id: "m2", name: "evil", type: "file", cause: "malware_detected", additional: null } }],
      alerts: [{ message: "attachment unreadable", item: { id: "m3", name: "x", type: "file", cause: "", additional: { container_name: "Sent" } } }],
    };
    const all = faultPrintables(f as any, { alerts: true, skipped: true, failed: true, recovered: true });
    expect(all.map((p) => p.values())).toEqual([
      ["Alert", "attachment unreadable", "Sent", "x", "m3"],
      ["Skip", "file", "evil", "", "malware_detected"],
      ["Error", "file", "Budget", "Inbox", "invalid JSON"],
      ["delta token expired"],
    ]);
    expect(all[0].headers()).toEqual(["Action", "Message", "Container", "Name", "ID"]);
    const some = faultPrintables(f as any, { alerts: false, skipped: false, failed: true, recovered: false });
    expect(some.map((p) => p.values()[0])).toEqual(["Error"]);
  });
});
