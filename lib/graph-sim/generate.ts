// Generated Exchange items. Each object is a pure function of (seed, container, index), so a folder
// can claim a million messages while holding none of them; the JSON matches what Graph v1.0 returns.

import { exchangeId, guid, hash32, isoNoMs, pick, rng } from "./ids.ts";
import type { GraphObject } from "./types.ts";

export interface Person {
  name: string;
  address: string;
}

const FIRST = ["Adele", "Alex", "Megan", "Lee", "Nestor", "Patti", "Diego", "Isaiah", "Johanna", "Lidia", "Lynne", "Miriam", "Grady", "Henrietta", "Joni", "Pradeep"];
const LAST = ["Vance", "Wilber", "Bowen", "Gu", "Wilke", "Fernandez", "Siciliani", "Langer", "Lorenz", "Holloway", "Robbins", "Graham", "Archie", "Mueller", "Sherman", "Gupta"];
const WORDS = "quarterly review budget roadmap launch design sync offsite hiring plan customer feedback release notes invoice contract draft security audit migration status update lunch agenda retro metrics onboarding travel expense proposal".split(" ");

export function personName(i: number): { first: string; last: string } {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[(i + Math.floor(i / FIRST.length)) % LAST.length]!;
  return { first, last };
}

function sentence(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(pick(r, WORDS));
  const s = w.join(" ");
  return s[0]!.toUpperCase() + s.slice(1);
}

// Virtual items are dated backwards from a fixed instant so content never depends on the clock.
const EPOCH = Date.UTC(2024, 5, 1, 12, 0, 0);

export interface GenCtx {
  seed: number;
  userId: string;
  userName: string;
  userAddress: string;
  people: Person[];
  containerId: string;
  key: string; // container key used in ids
}

export function virtualItemId(prefix: "m" | "c" | "e", containerNum: number, index: number): string {
  return exchangeId("AAMkAG", `${prefix}|${containerNum}|${index}|`) + "AAA=";
}

export function parseVirtualItemId(id: string): { kind: "m" | "c" | "e"; containerNum: number; index: number } | undefined {
  if (!id.startsWith("AAMkAG") || !id.endsWith("AAA=")) return undefined;
  const raw = Buffer.from(id.slice(6, -4).replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
  const m = /^([mce])\|(\d+)\|(\d+)\|$/.exec(raw);
  if (!m) return undefined;
  return { kind: m[1] as "m" | "c" | "e", containerNum: Number(m[2]), index: Number(m[3]) };
}

export function changeKeyFor(seed: number, id: string, version: number): string {
  return Buffer.from(`${hash32(seed, id)}:${version}`).toString("base64");
}

/** Attachment metadata for a generated message; bodies come from content.ts on demand. */
export function genAttachmentSpecs(seed: number, msgId: string, index: number): { id: string; name: string; size: number; contentType: string }[] {
  if (index % 7 !== 3) return [];
  const r = rng(hash32(seed, msgId + "/att"));
  const size = 512 + Math.floor(r() * 16 * 1024);
  return [{ id: exchangeId("AAMkAG", `${msgId}|att|0`), name: `${pick(r, WORDS)}-${index}.bin`, size, contentType: "application/octet-stream" }];
}

export function genMessage(ctx: GenCtx, id: string, index: number): GraphObject {
  const r = rng(hash32(ctx.seed, id));
  const from = ctx.people.length ? pick(r, ctx.people) : { name: ctx.userName, address: ctx.userAddress };
  const received = EPOCH - index * 37 * 60_000 - Math.floor(r() * 60_000);
  const subject = `${sentence(r, 3 + Math.floor(r() * 4))} #${index}`;
  const paras = 1 + Math.floor(r() * 6);
  let html = "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>";
  let text = "";
  for (let p = 0; p < paras; p++) {
    const s = sentence(r, 8 + Math.floor(r() * 30));
    html += `<p>${s}.</p>`;
    text += s + ".\r\n";
  }
  html += "</body></html>";
  const atts = genAttachmentSpecs(ctx.seed, id, index);
  const ck = changeKeyFor(ctx.seed, id, 0);
  return {
    "@odata.etag": `W/"${ck}"`,
    id,
    createdDateTime: isoNoMs(received + 1000),
    lastModifiedDateTime: isoNoMs(received + 2000),
    changeKey: ck,
    categories: [],
    receivedDateTime: isoNoMs(received),
    sentDateTime: isoNoMs(received - 3000),
    hasAttachments: atts.length > 0,
    internetMessageId: `<${guid(ctx.seed, id).replace(/-/g, "")}@sim.outlook.com>`,
    subject,
    bodyPreview: text.slice(0, 255).replace(/\r\n$/, ""),
    importance: "normal",
    parentFolderId: ctx.containerId,
    conversationId: exchangeId("AAQkAG", `conv|${ctx.key}|${Math.floor(index / 3)}`),
    conversationIndex: Buffer.from(`ci${index}`).toString("base64"),
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: isReadIndex(index),
    isDraft: false,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: "focused",
    body: { contentType: "html", content: html },
    sender: { emailAddress: { name: from.name, address: from.address } },
    from: { emailAddress: { name: from.name, address: from.address } },
    toRecipients: [{ emailAddress: { name: ctx.userName, address: ctx.userAddress } }],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
    flag: { flagStatus: "notFlagged" },
  };
}

/** Read state is a function of the index so folder unread counts need no enumeration. */
export function isReadIndex(index: number): boolean {
  return index % 10 < 7;
}

export function unreadVirtual(n: number): number {
  return Math.floor(n / 10) * 3 + Math.max(0, (n % 10) - 7);
}

export function genContact(ctx: GenCtx, id: string, index: number): GraphObject {
  const r = rng(hash32(ctx.seed, id));
  const { first, last } = personName(index * 7 + Math.floor(r() * 5));
  const created = EPOCH - index * 3_600_000;
  const ck = changeKeyFor(ctx.seed, id, 0);
  const addr = `${first.toLowerCase()}.${last.toLowerCase()}${index}@example.com`;
  return {
    "@odata.etag": `W/"${ck}"`,
    id,
    createdDateTime: isoNoMs(created),
    lastModifiedDateTime: isoNoMs(created + 60_000),
    changeKey: ck,
    categories: [],
    parentFolderId: ctx.containerId,
    birthday: null,
    fileAs: "",
    displayName: `${first} ${last}`,
    givenName: first,
    initials: null,
    middleName: null,
    nickName: null,
    surname: last,
    title: null,
    yomiGivenName: null,
    yomiSurname: null,
    yomiCompanyName: null,
    generation: null,
    imAddresses: [],
    jobTitle: pick(r, ["Engineer", "Designer", "Account Manager", "Director", "Analyst"]),
    companyName: pick(r, ["Fabrikam", "Northwind Traders", "Tailspin Toys", "Litware"]),
    department: null,
    officeLocation: null,
    profession: null,
    businessHomePage: null,
    assistantName: null,
    manager: null,
    homePhones: [],
    mobilePhone: `+1 425 555 ${String(1000 + (index % 9000)).padStart(4, "0")}`,
    businessPhones: [],
    spouseName: "",
    personalNotes: "",
    children: [],
    emailAddresses: [{ name: `${first} ${last}`, address: addr }],
    homeAddress: {},
    businessAddress: {},
    otherAddress: {},
  };
}

function graphDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "").replace(/\.(\d{3})$/, ".$10000");
}

export function genEvent(ctx: GenCtx, id: string, index: number): GraphObject {
  const r = rng(hash32(ctx.seed, id));
  const day = Math.floor(EPOCH / 86_400_000) - index;
  const allDay = index % 11 === 5;
  const startMs = allDay ? day * 86_400_000 : day * 86_400_000 + (8 + Math.floor(r() * 9)) * 3_600_000;
  const endMs = allDay ? startMs + 86_400_000 : startMs + (1 + Math.floor(r() * 3)) * 1_800_000;
  const ck = changeKeyFor(ctx.seed, id, 0);
  const subject = sentence(r, 2 + Math.floor(r() * 3));
  const room = `Conf Room ${1 + (index % 40)}`;
  const text = sentence(r, 10 + Math.floor(r() * 20)) + ".";
  const attendees = ctx.people.slice(0, Math.floor(r() * Math.min(3, ctx.people.length + 1))).map((p) => ({
    type: "required",
    status: { response: "none", time: "0001-01-01T00:00:00Z" },
    emailAddress: { name: p.name, address: p.address },
  }));
  return {
    "@odata.etag": `W/"${ck}"`,
    id,
    createdDateTime: isoNoMs(startMs - 7 * 86_400_000),
    lastModifiedDateTime: isoNoMs(startMs - 6 * 86_400_000),
    changeKey: ck,
    categories: [],
    transactionId: null,
    originalStartTimeZone: "UTC",
    originalEndTimeZone: "UTC",
    iCalUId: "040000008200E00074C5B7101A82E008" + guid(ctx.seed, "ical|" + id).replace(/-/g, "").toUpperCase(),
    uid: "040000008200E00074C5B7101A82E008" + guid(ctx.seed, "ical|" + id).replace(/-/g, "").toUpperCase(),
    reminderMinutesBeforeStart: allDay ? 1080 : 15,
    isReminderOn: true,
    hasAttachments: false,
    subject,
    bodyPreview: text,
    importance: "normal",
    sensitivity: "normal",
    isAllDay: allDay,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: true,
    seriesMasterId: null,
    showAs: allDay ? "free" : "busy",
    type: "singleInstance",
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    onlineMeetingProvider: "unknown",
    allowNewTimeProposals: true,
    occurrenceId: null,
    isDraft: false,
    hideAttendees: false,
    responseStatus: { response: "organizer", time: "0001-01-01T00:00:00Z" },
    body: { contentType: "html", content: `<html><head></head><body><p>${text}</p></body></html>` },
    start: { dateTime: graphDateTime(startMs), timeZone: "UTC" },
    end: { dateTime: graphDateTime(endMs), timeZone: "UTC" },
    location: { displayName: room, locationType: "default", uniqueId: room, uniqueIdType: "private", address: {}, coordinates: {} },
    locations: [{ displayName: room, locationType: "default", uniqueIdType: "unknown", address: {}, coordinates: {} }],
    recurrence: null,
    attendees,
    organizer: { emailAddress: { name: ctx.userName, address: ctx.userAddress } },
    onlineMeeting: null,
  };
}

export { graphDateTime, EPOCH };
