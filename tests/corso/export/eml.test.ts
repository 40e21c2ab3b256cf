import { afterAll, describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { messageToEml, postToEml } from "../../../lib/corso/export/eml.ts";
import { crlfLines, fixture, makeTempDir, runChecker, sha256Base64, sha256Text } from "./helpers.ts";

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function checkEml(eml: string, name: string) {
  return runChecker(tmp.dir, "check_eml.py", name, eml);
}

function leaves(p: any): any[] {
  if (p.parts) return p.parts.flatMap(leaves);
  return [p];
}

describe("messageToEml: rich message (Unicode, inline cid image, attachments, nested message)", () => {
  const msg = fixture("message-rich.json");
  const eml = messageToEml(msg);
  const s = checkEml(eml, "rich.eml");

  test("is 7-bit ASCII with CRLF lines ≤ 998 octets and base64 lines ≤ 76", () => {
    expect(/^[\x00-\x7f]*$/.test(eml)).toBe(true);
    const lines = crlfLines(eml);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(998);
    // header lines are folded to ≤ 78 where whitespace allows
    const head = lines.slice(0, lines.indexOf(""));
    for (const l of head) expect(l.length).toBeLessThanOrEqual(78);
    const b64 = lines.filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l) && l.length > 20);
    expect(b64.length).toBeGreaterThan(100);
    for (const l of b64) expect(l.length).toBeLessThanOrEqual(76);
  });

  test("headers decode to the Graph values", () => {
    expect(s.header_defects).toEqual([]);
    expect(s.from).toEqual([["Jürgen Groß", "juergen@contoso.example"]]);
    expect(s.to).toEqual([
      ["Megan Bowen", "MeganB@contoso.example"],
      ["", "alex@contoso.example"], // name equal to the address: bare address, like Corso
      ["O'Brien, \"Pat\"", "pat@contoso.example"],
    ]);
    expect(s.cc).toEqual([["山田 太郎", "taro@contoso.example"]]);
    expect(s.bcc).toEqual([["", "audit@contoso.example"]]);
    expect(s.reply_to).toEqual([["Replies Desk", "replies@contoso.example"]]); // first only
    expect(s.subject).toBe(msg.subject);
    expect(s.date).toBe("2024-01-15T11:26:40+00:00"); // sentDateTime
    expect(s.message_id).toBe(msg.internetMessageId);
    expect(s.mime_version).toBe("1.0");
    expect(eml).toContain("=?UTF-8?B?");
  });

  test("MIME tree: mixed > related > (html, inline png) + attachments + message/rfc822", () => {
    const root = s.root;
    expect(root.content_type).toBe("multipart/mixed");
    expect(root.defects).toEqual([]);
    const [related, ...attached] = root.parts;
    expect(related.content_type).toBe("multipart/related");
    const [html, png] = related.parts;
    expect(html.content_type).toBe("text/html");
    expect(html.params.charset).toBe("UTF-8");
    expect(html.text).toBe(msg.body.content);
    // inline image: Content-ID matches the cid: reference in the HTML, bytes identical
    expect(html.text).toContain(`cid:${msg.attachments[0].contentId}`);
    expect(png.content_id).toBe(`<${msg.attachments[0].contentId}>`);
    expect(png.disposition).toBe("inline");
    expect(png.content_type).toBe("image/png");
    expect(png.sha256).toBe(sha256Base64(msg.attachments[0].contentBytes));

    const names = attached.map((p: any) => p.filename);
    expect(names).toEqual([msg.attachments[1].name, "Unnamed", "empty.bin", "Forwarded: Ångström measurements.eml"]);
    expect(attached[0].disposition).toBe("attachment");
    expect(attached[0].content_type).toBe("application/pdf");
    expect(attached[0].size).toBe(10240);
    expect(attached[0].sha256).toBe(sha256Base64(msg.attachments[1].contentBytes));
    expect(attached[1].sha256).toBe(sha256Base64(msg.attachments[2].contentBytes));
    expect(attached[2].size).toBe(0);
    // event item attachment and reference attachment are skipped
    expect(leaves(root).some((p: any) => p.filename === "Team lunch" || p.filename === "Budget.xlsx")).toBe(false);
  });

  test("nested item attachment is a parseable message/rfc822 with its own attachment", () => {
    const part = s.root.parts.find((p: any) => p.content_type === "message/rfc822");
    const inner = msg.attachments.find((a: any) => a.id === "AAMkATT-4").item;
    const n = part.nested;
    expect(n.subject).toBe(inner.subject);
    expect(n.from).toEqual([["Inner Sender", "inner@contoso.example"]]);
    expect(n.message_id).toBe("<nested-1@contoso.example>");
    const [body, file] = n.root.parts;
    expect(body.content_type).toBe("text/plain");
    expect(body.text).toBe(inner.body.content);
    expect(file.filename).toBe("notes.txt");
    expect(file.sha256).toBe(sha256Base64(inner.attachments[0].contentBytes));
    // boundaries of the nested message differ from the outer ones
    expect(n.root.params.boundary).not.toBe(s.root.params.boundary);
  });

  test("output is deterministic", () => {
    expect(messageToEml(fixture("message-rich.json"))).toBe(eml);
  });
});

describe("messageToEml: meeting requests", () => {
  test("eventMessageRequest with expanded event gets a text/calendar; method=REQUEST alternative", () => {
    const msg = fixture("meeting-request.json");
    const s = checkEml(messageToEml(msg), "req.eml");
    expect(s.root.content_type).toBe("multipart/alternative");
    const [html, cal] = s.root.parts;
    expect(html.content_type).toBe("text/html");
    expect(cal.content_type).toBe("text/calendar");
    expect(cal.params.method).toBe("REQUEST");
    expect(cal.text).toContain("METHOD:REQUEST");
    expect(cal.text).toContain(`UID:${msg.event.id}`);
    expect(cal.text).toContain("RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;WKST=MO;COUNT=5");
    expect(cal.text).toContain("BEGIN:VTIMEZONE");
  });

  test("meetingRequest without expanded event is approximated from the message fields", () => {
    const msg = fixture("meeting-request-unexpanded.json");
    const s = checkEml(messageToEml(msg), "req2.eml");
    const cal = s.root.parts[1];
    expect(cal.content_type).toBe("text/calendar");
    const ics = cal.text as string;
    expect(ics).toContain(`UID:${msg.id}`);
    expect(ics).toContain("DTSTART:20240126T140000Z");
    expect(ics).toContain("ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Megan Bowen:mailto:MeganB@contoso.example");
    expect(ics).toContain("ATTENDEE;ROLE=OPT-PARTICIPANT;CN=Adele Vance:mailto:AdeleV@contoso.example");
    expect(ics).toContain("ORGANIZER;CN=Jürgen Groß:mailto:juergen@contoso.example");
  });

  test("other event messages (responses, cancellations) get no calendar part", () => {
    const msg = { ...fixture("meeting-request-unexpanded.json"), "@odata.type": "#microsoft.graph.eventMessageResponse", meetingMessageType: "meetingAccepted" };
    const s = checkEml(messageToEml(msg), "resp.eml");
    expect(s.root.content_type).toBe("text/html");
  });
});

describe("messageToEml: plain and edge cases", () => {
  test("text body, no attachments: single text/plain part", () => {
    const s = checkEml(
      messageToEml({ id: "m1", subject: "Hi", body: { contentType: "text", content: "line 1\nline 2 ünï" }, sentDateTime: "2024-02-29T23:59:59Z" }),
      "plain.eml",
    );
    expect(s.root.content_type).toBe("text/plain");
    expect(s.root.text).toBe("line 1\nline 2 ünï");
    expect(s.date).toBe("2024-02-29T23:59:59+00:00");
    expect(s.from).toBeNull();
  });

  test("unknown body type falls back to text/plain; subject with =? is encoded", () => {
    const eml = messageToEml({ id: "m2", subject: "=?not-an-encoded-word?=", body: { contentType: "rtf", content: "x" } });
    const s = checkEml(eml, "unknown.eml");
    expect(s.root.content_type).toBe("text/plain");
    expect(s.subject).toBe("=?not-an-encoded-word?=");
  });

  test("long ASCII subject is folded at spaces and unfolds to the original", () => {
    const subject = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    const eml = messageToEml({ id: "m3", subject, body: { contentType: "text", content: "" } });
    expect(eml).not.toContain("=?UTF-8");
    expect(checkEml(eml, "long.eml").subject).toBe(subject);
  });

  test("bad input gets typed one-line errors", () => {
    expect(() => messageToEml(null as any)).toThrow(CorruptDataError);
    expect(() => messageToEml({ id: "m4", sentDateTime: "yesterday" })).toThrow(/message m4: invalid sentDateTime/);
    expect(() =>
      messageToEml({ id: "m5", attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", id: "a1", name: "x", contentBytes: "###" }] }),
    ).toThrow(/message m5 attachment a1: contentBytes is not valid base64/);
  });

  test("attachment without contentBytes is skipped, not fatal", () => {
    const eml = messageToEml({
      id: "m6", body: { contentType: "text", content: "b" },
      attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", id: "a1", name: "gone.bin", contentBytes: null }],
    });
    expect(eml).not.toContain("gone.bin");
    expect(sha256Text(eml).length).toBe(64);
  });
});

describe("postToEml (group conversation posts)", () => {
  test("From, To = .meta recipients, Subject = topic, Date = createdDateTime, attachments", () => {
    const post = {
      id: "AAQkPOST=", createdDateTime: "2024-02-01T09:30:00Z",
      from: { emailAddress: { name: "Adele Vance", address: "AdeleV@contoso.example" } },
      body: { contentType: "html", content: "<p>Hallo Gruppe 👋</p>" },
      attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", id: "p1", name: "plan.txt", contentType: "text/plain", contentBytes: Buffer.from("plan").toString("base64") }],
    };
    const s = checkEml(postToEml(post, { recipients: ["team@contoso.example"], topic: "Planung Q1 – Übersicht" }), "post.eml");
    expect(s.from).toEqual([["Adele Vance", "AdeleV@contoso.example"]]);
    expect(s.to).toEqual([["", "team@contoso.example"]]);
    expect(s.subject).toBe("Planung Q1 – Übersicht");
    expect(s.date).toBe("2024-02-01T09:30:00+00:00");
    expect(s.reply_to).toBeNull();
    const [body, file] = s.root.parts;
    expect(body.text).toBe(post.body.content);
    expect(file.filename).toBe("plan.txt");
    expect(file.sha256).toBe(sha256Text("plan"));
  });
});
