// What item fetches return: the parsed object (with attachments etc. merged in, as Corso stores
// it) and the exact text of the main GET response for byte-for-byte storage.

import type { GraphObject } from "./pager.ts";

export interface FetchedItem {
  id: string;
  /** Parsed object; attachments / exception attachments are merged in as Corso stores them. */
  json: GraphObject;
  /** Exact body text of the item GET (before any merge). */
  raw: string;
  /** Non-fatal problems (e.g. "cannot open attached file"), for the fault report. */
  alerts: string[];
}

/** `src="cid:` in an HTML body means inline attachments even when hasAttachments is false (Corso HasAttachments). */
export function bodyHasInlineAttachments(item: GraphObject): boolean {
  const body = item.body as { content?: unknown } | undefined;
  return typeof body?.content === "string" && body.content.includes('src="cid:');
}

export function needsAttachmentFetch(item: GraphObject): boolean {
  return item.hasAttachments === true || bodyHasInlineAttachments(item);
}
