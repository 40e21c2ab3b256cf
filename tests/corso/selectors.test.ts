// Exchange selector matching rules (corso-cli §6.0–§6.1) on synthetic details entries.
import { describe, expect, test } from "bun:test";
import { itemEntry, mailInfo, eventInfo, contactInfo, FolderEntries } from "../../lib/corso/details.ts";
import { CorsoPath } from "../../lib/corso/path.ts";
import { filterDetails, selectorFromFlags } from "../../lib/corso/selectors/exchange.ts";

const mail = (folders: string[], locs: string[], id: string, m: Record<string, unknown>) =>
  itemEntry(new CorsoPath("t", "exchange", "u", "email", folders, id), locs.join("/"), mailInfo(m, locs.join("/")));
const a = mail(["f1"], ["Inbox"], "m1", { subject: "Quarterly Budget", sender: { emailAddress: { address: "alice@x.com" } }, receivedDateTime: "2024-03-01T10:00:00Z" });
const b = mail(["f1", "f2"], ["Inbox", "Projects"], "m2", { subject: "Roadmap", sender: { emailAddress: { address: "bob@y.com" } }, receivedDateTime: "2024-05-01T10:00:00Z" });
const c = mail(["f3"], ["Archive", "Inbox Old"], "m3", { subject: "budget again", receivedDateTime: "2023-01-01T00:00:00Z" });
const ev = itemEntry(new CorsoPath("t", "exchange", "u", "events", ["cal1"], "e1"), "Calendar", eventInfo({ subject: "Sync", organizer: { emailAddress: { address: "o@x" } }, start: { dateTime: "2024-04-01T09:00:00.0000000" }, recurrence: { pattern: {} } }, "Calendar", 10));
const ev2 = itemEntry(new CorsoPath("t", "exchange", "u", "events", ["cal1"], "e2"), "Calendar", eventInfo({ subject: "One-off", start: { dateTime: "2024-06-01T09:00:00.0000000" } }, "Calendar", 10));
const ct = itemEntry(new CorsoPath("t", "exchange", "u", "contacts", ["cf"], "c1"), "Contacts", contactInfo({ displayName: "Andy Gu" }, "Contacts", 5));
const folders = new FolderEntries();
folders.add(CorsoPath.parse(a.repoRef, true), ["Inbox"], a.exchange!);
const all = [a, b, c, ev, ev2, ct, ...folders.entries()];

const sel = (f: Parameters<typeof selectorFromFlags>[0]) => filterDetails(all, selectorFromFlags(f)).map((e) => e.itemRef);

describe("exchange selectors", () => {
  test("no flags select every item, never folder entries", () => {
    expect(sel({})).toEqual(["m1", "m2", "m3", "e1", "e2", "c1"]);
  });
  test("folder: contains vs prefix vs any", () => {
    expect(sel({ emailFolder: ["inbox"] })).toEqual(["m1", "m2"]);
    expect(sel({ emailFolder: ["/inbox"] })).toEqual(["m1", "m2"]);
    expect(sel({ emailFolder: ["/Inbox/Projects/"] })).toEqual(["m2"]);
    expect(sel({ emailFolder: ["projects"] })).toEqual(["m2"]);
    expect(sel({ emailFolder: ["/projects"] })).toEqual([]);
    expect(sel({ emailFolder: ["Inbox Old"] })).toEqual(["m3"]);
    expect(sel({ emailFolder: ["Inb"] })).toEqual([]);
    expect(sel({ emailFolder: ["*"] })).toEqual(["m1", "m2", "m3"]);
    // folder IDs of the RepoRef work too
    expect(sel({ emailFolder: ["f2"] })).toEqual(["m2"]);
  });
  test("a scope on one category leaves the others out", () => {
    expect(sel({ contact: ["*"] })).toEqual(["c1"]);
    expect(sel({ email: [b.shortRef], event: ["e2"] })).toEqual(["m2", "e2"]);
  });
  test("info filters AND together and exclude unfiltered categories", () => {
    expect(sel({ emailSubject: "BUDGET" })).toEqual(["m1", "m3"]);
    expect(sel({ emailSubject: "budget", emailFolder: ["inbox"] })).toEqual(["m1"]);
    expect(sel({ emailSender: "bob" })).toEqual(["m2"]);
    expect(sel({ emailReceivedAfter: "2024-01-01" })).toEqual(["m1", "m2"]);
    expect(sel({ emailReceivedBefore: "01-Apr-2024_00:00" })).toEqual(["m1", "m3"]);
    expect(sel({ emailReceivedAfter: "2024-03-01T10:00:00Z" })).toEqual(["m2"]);
    expect(sel({ eventRecurs: "true" })).toEqual(["e1"]);
    expect(sel({ eventRecurs: "false" })).toEqual(["e2"]);
    expect(sel({ eventStartsAfter: "2024-05-01T00:00:00Z" })).toEqual(["e2"]);
    expect(sel({ eventOrganizer: "o@x" })).toEqual(["e1"]);
    expect(sel({ contactName: "andy" })).toEqual(["c1"]);
    // §6.0: a filter of one type (contacts) also excludes the other types, even ones with a scope
    expect(sel({ eventCalendar: ["calendar"], contactName: "nobody" })).toEqual([]);
    expect(sel({ eventCalendar: ["calendar"], eventSubject: "sync" })).toEqual(["e1"]);
  });
  test("malformed values are usage errors naming the flag", () => {
    expect(() => selectorFromFlags({ eventStartsBefore: "2022-01-01T00:00:00" })).toThrow("--event-starts-before");
    expect(() => selectorFromFlags({ emailReceivedAfter: "31-Foo-2024_00:00" })).toThrow("--email-received-after");
    expect(() => selectorFromFlags({ eventRecurs: "sometimes" })).toThrow("--event-recurs");
  });
});
