// Corso paths, element encoding, the serialization header and selector time parsing
// (reference values computed independently with Python's hashlib/base64).
import { describe, expect, test } from "bun:test";
import { decodeElement, encodeElement } from "../../lib/corso/path-encoder.ts";
import { CorsoPath, escapeElement, joinElements, shortRef, snapshotHost, splitElements } from "../../lib/corso/path.ts";
import { SERIALIZATION_VERSION, stripHeader, withHeader } from "../../lib/corso/serialization.ts";
import { parseCorsoTime } from "../../lib/corso/selectors/time.ts";
import { goTime, mailInfo, eventInfo, FolderEntries } from "../../lib/corso/details.ts";

describe("paths", () => {
  test("escaping and splitting round-trip", () => {
    expect(escapeElement("a/b\\c")).toBe("a\\/b\\\\c");
    const els = ["t", "exchange", "u", "email", "a/b", "c\\d", "item=/+"];
    expect(splitElements(joinElements(els))).toEqual(els);
    expect(() => splitElements("a\\xb")).toThrow();
  });
  test("ShortRef is sha256 of the concatenated raw elements, 12 hex", () => {
    expect(shortRef(["tenant", "exchange", "user", "email", "inbox", "item"])).toBe("4efce0d9b9c0");
    // an element containing '/' hashes its raw bytes, not the escaped form
    expect(shortRef(["t/exchange"])).toBe("de8287780ed6");
    const p = new CorsoPath("tenant", "exchange", "user", "email", ["inbox"], "item");
    expect(p.shortRef()).toBe("4efce0d9b9c0");
    expect(p.toString()).toBe("tenant/exchange/user/email/inbox/item");
    expect(CorsoPath.parse(p.toString(), true)).toEqual(p);
    expect(p.dir().toString()).toBe("tenant/exchange/user/email/inbox");
  });
  test("kopia elements are base64url with padding", () => {
    expect(encodeElement("a")).toBe("YQ==");
    expect(encodeElement("ab")).toBe("YWI=");
    expect(encodeElement("abc")).toBe("YWJj");
    expect(encodeElement("AAMk/+x=")).toBe("QUFNay8reD0=");
    expect(decodeElement("dGVuYW50LTE=")).toBe("tenant-1");
    expect(() => decodeElement("not base64!")).toThrow();
  });
  test("snapshot host: sorted, de-duplicated service+category", () => {
    expect(snapshotHost([{ service: "exchange", category: "events" }, { service: "exchange", category: "email" }, { service: "exchange", category: "email" }]))
      .toBe("exchangeemail-exchangeevents");
  });
});

describe("serialization header", () => {
  test("version 1, big-endian, body after 4 bytes", () => {
    const b = withHeader('{"a":1}');
    expect([...b.slice(0, 4)]).toEqual([0, 0, 0, 1]);
    const d = stripHeader(b);
    expect(d.version).toBe(SERIALIZATION_VERSION);
    expect(d.deletedInFlight).toBe(false);
    expect(Buffer.from(d.body).toString()).toBe('{"a":1}');
  });
  test("deleted-in-flight bit and bad headers", () => {
    expect(stripHeader(new Uint8Array([0x80, 0, 0, 1])).deletedInFlight).toBe(true);
    expect(() => stripHeader(new Uint8Array([0, 0]))).toThrow("shorter than its 4-byte header");
    expect(() => stripHeader(new Uint8Array([0, 0, 0, 9]))).toThrow("unsupported serialization version 9");
  });
});

describe("times", () => {
  test("Corso's accepted formats normalise to RFC3339Nano UTC", () => {
    expect(parseCorsoTime("2024-01-02T03:04:05Z")).toBe("2024-01-02T03:04:05Z");
    expect(parseCorsoTime("2024-01-02T03:04:05.120Z")).toBe("2024-01-02T03:04:05.12Z");
    expect(parseCorsoTime("2024-01-02T03:04:05+02:00")).toBe("2024-01-02T01:04:05Z");
    expect(parseCorsoTime("2024-01-02T03:04:05.0000000")).toBe("2024-01-02T03:04:05Z");
    expect(parseCorsoTime("02-Jan-2024_03:04:05")).toBe("2024-01-02T03:04:05Z");
    expect(parseCorsoTime("02-Jan-2024_03-04")).toBe("2024-01-02T03:04:00Z");
    expect(parseCorsoTime("2024-01-02")).toBe("2024-01-02T00:00:00Z");
    // the help examples' bare form is rejected, as Go's time.Parse rejects it
    expect(parseCorsoTime("2022-01-01T00:00:00")).toBeUndefined();
    expect(parseCorsoTime("tomorrow")).toBeUndefined();
  });
  test("details times are Go time.Time JSON", () => {
    expect(goTime("2024-06-01T10:00:00Z")).toBe("2024-06-01T10:00:00Z");
    expect(goTime(undefined)).toBe("0001-01-01T00:00:00Z");
    expect(goTime("2024-06-01T10:00:00.0000000", true)).toBe("2024-06-01T10:00:00Z");
  });
  test("mail and event info", () => {
    const m = mailInfo({ subject: "s", sender: { emailAddress: { address: "a@x" } }, toRecipients: [{ emailAddress: { address: "b@x" } }], body: { content: "12345" }, attachments: [{ size: 10 }], receivedDateTime: "2024-01-01T00:00:00Z" }, "Inbox");
    expect(m).toMatchObject({ itemType: 3, sender: "a@x", recipient: ["b@x"], size: 15, received: "2024-01-01T00:00:00Z", parentPath: "Inbox" });
    const e = eventInfo({ subject: "e", organizer: { emailAddress: { address: "o@x" } }, start: { dateTime: "2024-01-01T09:00:00.0000000" }, recurrence: {} }, "Calendar", 99);
    expect(e).toMatchObject({ itemType: 2, organizer: "o@x", eventStart: "2024-01-01T09:00:00Z", eventRecurs: true, size: 99 });
  });
  test("folder entries sum their subtree", () => {
    const f = new FolderEntries();
    const p1 = new CorsoPath("t", "exchange", "u", "email", ["a", "b"], "i1");
    const p2 = new CorsoPath("t", "exchange", "u", "email", ["a"], "i2");
    f.add(p1, ["A", "B"], { ...mailInfo({ body: { content: "xx" } }, "A/B"), modified: "2024-02-01T00:00:00Z" });
    f.add(p2, ["A"], { ...mailInfo({ body: { content: "yyy" } }, "A"), modified: "2024-01-01T00:00:00Z" });
    const es = f.entries();
    const a = es.find((e) => e.repoRef === "t/exchange/u/email/a")!;
    expect(a.folder).toMatchObject({ displayName: "A", size: 5, modified: "2024-02-01T00:00:00Z", itemType: 306 });
    expect(es.find((e) => e.repoRef === "t/exchange/u/email/a/b")!.parentRef).toBe(a.shortRef);
  });
});
