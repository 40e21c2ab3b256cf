// Stored Graph message JSON → RFC 5322/MIME message (.eml), following Corso's eml.FromMessageable:
// From/To/Cc/Bcc/Reply-To(first)/Subject/Date(sentDateTime), body as text/html or text/plain,
// file attachments (inline ones keep their Content-ID so `cid:` references resolve), message
// item attachments as nested message/rfc822 parts, and a text/calendar alternative for meeting
// requests. Everything is base64 or RFC 2047 encoded, so the output is 7-bit ASCII.
//
// MIME tree (parts only where needed):
//   multipart/mixed
//     multipart/related
//       multipart/alternative { body, text/calendar }   (or just the body)
//       inline file parts (Content-ID)
//     attachments, message/rfc822

import { CorruptDataError } from "../../errors.ts";
import { eventToIcs } from "./ics.ts";
import {
  CRLF, addressHeader, base64Lines, boundaryFor, paramHeader, rfc5322Date, unstructuredHeader, type MailAddress,
} from "./mime.ts";
import type { GraphAttachment, GraphEvent, GraphMessage, GraphRecipient } from "./types.ts";

interface Part {
  headers: string; // complete header lines, CRLF-terminated
  body: string; // CRLF-terminated lines
}

interface BuildCtx {
  seed: string;
  next: number;
}

function multipart(ctx: BuildCtx, subtype: string, parts: Part[]): Part {
  const b = boundaryFor(ctx.seed, ctx.next++);
  let body = "";
  for (const p of parts) body += `--${b}${CRLF}${p.headers}${CRLF}${p.body}`;
  body += `--${b}--${CRLF}`;
  return { headers: paramHeader("Content-Type", `multipart/${subtype}`, [["boundary", b]]), body };
}

function textPart(contentType: string, text: string, extra: [string, string][] = []): Part {
  return {
    headers:
      paramHeader("Content-Type", contentType, [["charset", "UTF-8"], ...extra]) +
      `Content-Transfer-Encoding: base64${CRLF}`,
    body: base64Lines(text),
  };
}

function decodeBase64(s: string, what: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new CorruptDataError(`${what}: contentBytes is not valid base64`);
  }
  return new Uint8Array(Buffer.from(clean, "base64"));
}

function mimeType(s: string | null | undefined): string {
  const t = (s ?? "").split(";")[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t) ? t : "application/octet-stream";
}

function filePart(att: GraphAttachment, what: string): Part | null {
  if (typeof att.contentBytes !== "string") return null; // Corso logs and skips these
  const data = decodeBase64(att.contentBytes, what);
  const name = att.name || "Unnamed";
  const cid = (att.contentId ?? "").trim().replace(/^<|>$/g, "");
  const inline = !!att.isInline;
  let headers = paramHeader("Content-Type", mimeType(att.contentType), [["name", name]]);
  headers += `Content-Transfer-Encoding: base64${CRLF}`;
  headers += paramHeader("Content-Disposition", inline ? "inline" : "attachment", [["filename", name]]);
  if (cid && cid !== "null") headers += `Content-ID: <${cid.replace(/[\r\n<>]/g, "")}>${CRLF}`;
  return { headers, body: base64Lines(data) };
}

function recipients(list: GraphRecipient[] | null | undefined): MailAddress[] {
  return (list ?? []).map((r) => r?.emailAddress ?? {});
}

function isMessageItem(item: Record<string, unknown>): boolean {
  const t = String(item["@odata.type"] ?? "").toLowerCase();
  if (t) return /^#?microsoft\.graph\.(message|eventmessage\w*|calendarsharingmessage)$/.test(t);
  // Some stored items lack @odata.type; a message is recognisable by its mail-only fields.
  return "toRecipients" in item || "internetMessageId" in item;
}

/** Builds the calendar alternative of a meeting request, or null when there is none. */
function meetingCalendar(msg: GraphMessage): string | null {
  const t = (msg["@odata.type"] ?? "").toLowerCase();
  const isRequestType = t === "#microsoft.graph.eventmessagerequest";
  const isRequest = (msg.meetingMessageType ?? "") === "meetingRequest";
  if (!isRequestType && !(t === "#microsoft.graph.eventmessage" && isRequest)) return null;
  if (msg.event && typeof msg.event === "object" && Object.keys(msg.event).length > 0) {
    return eventToIcs(msg.event, { method: "REQUEST" });
  }
  if (!isRequest) return null;
  // Not expanded: approximate the event from the message (as Corso does). Invitees show the
  // event as tentative until they answer.
  const ev: GraphEvent = {
    id: msg.id, createdDateTime: msg.createdDateTime, lastModifiedDateTime: msg.lastModifiedDateTime,
    isAllDay: msg.isAllDay, start: msg.startDateTime, end: msg.endDateTime, recurrence: msg.recurrence,
    subject: msg.subject, body: msg.body, showAs: "tentative", categories: msg.categories,
    webLink: msg.webLink, organizer: msg.from, location: msg.location, importance: msg.importance,
    attendees: [
      ...(msg.toRecipients ?? []).map((r) => ({ emailAddress: r.emailAddress, type: "required" })),
      ...(msg.ccRecipients ?? []).map((r) => ({ emailAddress: r.emailAddress, type: "optional" })),
      ...(msg.bccRecipients ?? []).map((r) => ({ emailAddress: r.emailAddress, type: "optional" })),
    ],
  };
  return eventToIcs(ev, { method: "REQUEST" });
}

function buildMessage(msg: GraphMessage, depth: number): string {
  const id = msg.id ?? "";
  const what = `message ${id}`;
  const ctx: BuildCtx = { seed: `${id}|${depth}`, next: 0 };

  let h = "";
  const add = (s: string | null) => {
    if (s) h += s;
  };
  if (msg.from?.emailAddress) add(addressHeader("From", [msg.from.emailAddress]));
  add(addressHeader("To", recipients(msg.toRecipients)));
  add(addressHeader("Cc", recipients(msg.ccRecipients)));
  add(addressHeader("Bcc", recipients(msg.bccRecipients)));
  // Like Corso, only the first Reply-To is kept.
  const rt = recipients(msg.replyTo);
  if (rt.length) add(addressHeader("Reply-To", [rt[0]]));
  if (msg.subject != null) add(unstructuredHeader("Subject", msg.subject));
  if (msg.sentDateTime) {
    const d = new Date(msg.sentDateTime);
    if (Number.isNaN(d.getTime())) throw new CorruptDataError(`${what}: invalid sentDateTime "${msg.sentDateTime}"`);
    h += `Date: ${rfc5322Date(d)}${CRLF}`;
  }
  if (msg.internetMessageId) {
    const mid = msg.internetMessageId.trim().replace(/[\r\n\s]/g, "");
    h += `Message-ID: ${mid.startsWith("<") ? mid : `<${mid}>`}${CRLF}`;
  }
  h += `MIME-Version: 1.0${CRLF}`;

  const contentType = (msg.body?.contentType ?? "text").toLowerCase() === "html" ? "text/html" : "text/plain";
  let main: Part = textPart(contentType, msg.body?.content ?? "");

  const cal = meetingCalendar(msg);
  if (cal) main = multipart(ctx, "alternative", [main, textPart("text/calendar", cal, [["method", "REQUEST"]])]);

  const inline: Part[] = [];
  const attached: Part[] = [];
  for (const [i, att] of (msg.attachments ?? []).entries()) {
    const aWhat = `${what} attachment ${att.id ?? i}`;
    const type = (att["@odata.type"] ?? "").replace(/^#/, "").toLowerCase();
    if (type === "microsoft.graph.fileattachment" || (!type && typeof att.contentBytes === "string")) {
      const p = filePart(att, aWhat);
      if (!p) continue;
      (att.isInline ? inline : attached).push(p);
    } else if (type === "microsoft.graph.itemattachment") {
      const item = att.item;
      if (!item || typeof item !== "object" || !isMessageItem(item)) continue; // events/contacts: skipped like Corso
      const nested = buildMessage(item as GraphMessage, depth + 1);
      const name = att.name || "Unnamed";
      attached.push({
        headers:
          `Content-Type: message/rfc822${CRLF}` +
          paramHeader("Content-Disposition", "attachment", [["filename", /\.eml$/i.test(name) ? name : `${name}.eml`]]),
        body: nested,
      });
    }
    // reference attachments carry no content: skipped, as in Corso
  }
  if (inline.length) main = multipart(ctx, "related", [main, ...inline]);
  if (attached.length) main = multipart(ctx, "mixed", [main, ...attached]);

  return h + main.headers + CRLF + main.body;
}

/** `.meta` stored beside a group conversation post (corso-graph.md §5.5). */
export interface ConversationPostMeta {
  recipients?: string[] | null;
  topic?: string | null;
}

/**
 * Stored group conversation post + its `.meta` → .eml (Corso's FromJSONPostToEML): From, To =
 * the group address(es) from `.meta`, Subject = topic, Date = createdDateTime, no Reply-To.
 */
export function postToEml(post: GraphMessage, meta: ConversationPostMeta): string {
  if (!post || typeof post !== "object") throw new CorruptDataError("post: not a JSON object");
  const msg: GraphMessage = {
    id: post.id,
    from: post.from,
    toRecipients: (meta.recipients ?? []).map((address) => ({ emailAddress: { address } })),
    subject: meta.topic ?? "",
    sentDateTime: post.createdDateTime,
    body: post.body,
    attachments: (post.attachments ?? []).filter((a) => typeof a.contentBytes === "string"),
  };
  return buildMessage(msg, 0);
}

/** Stored Graph message (parsed JSON) → .eml text (7-bit ASCII, CRLF line endings). */
export function messageToEml(msg: GraphMessage): string {
  if (!msg || typeof msg !== "object") throw new CorruptDataError("message: not a JSON object");
  return buildMessage(msg, 0);
}
