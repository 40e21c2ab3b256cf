// Exchange attachment fetch as Corso does it (api/attachments.go, mail.go): one bulk call with
// item attachments expanded; if that fails, list IDs and fetch each one, dropping attachments
// Exchange cannot open (ErrorCannotOpenFileAttachment) with an alert.

import { GraphError } from "./errors.ts";
import { type GraphHttp, seg } from "./http.ts";
import { collect, items, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./pager.ts";

const EXPAND_ITEM = "microsoft.graph.itemattachment/item";
/** Attachment calls can move large payloads: Corso runs them on its no-timeout client. */
export const LARGE_ITEM_TIMEOUT_MS = 30 * 60_000;

export async function fetchAttachments(
  http: GraphHttp,
  user: string,
  /** e.g. `/users/{u}/messages/{m}` or `/users/{u}/events/{e}` */
  itemPath: string,
  alerts: string[],
): Promise<GraphObject[]> {
  const base = { service: "exchange" as const, mailbox: user, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)], timeoutMs: LARGE_ITEM_TIMEOUT_MS };
  try {
    return await collect(items(http, { ...base, url: `${itemPath}/attachments`, query: { $expand: EXPAND_ITEM } }));
  } catch (e) {
    // Throttling, auth and missing items are not helped by the per-attachment path.
    if (!(e instanceof GraphError) || e.kind === "throttled" || e.kind === "not-found" || e.kind === "unauthorized" || e.kind === "auth-expired" || e.kind === "user-not-found") {
      throw e;
    }
  }
  const ids = await collect(items(http, { ...base, url: `${itemPath}/attachments`, query: { $select: "id" } }));
  const out: GraphObject[] = [];
  for (const a of ids) {
    const id = String(a.id);
    try {
      const { json } = await http.getJson({ ...base, url: `${itemPath}/attachments/${seg(id)}`, query: { $expand: EXPAND_ITEM } });
      out.push(json);
    } catch (e) {
      if (e instanceof GraphError && e.kind === "cannot-open-attachment") {
        alerts.push(`cannot open attached file ${id}`);
        continue;
      }
      throw e;
    }
  }
  return out;
}
