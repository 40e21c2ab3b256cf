// Exchange mail (spec §3.2): folder enumeration (beta listing, completed with childFolders when
// nested/hidden folders are missing), per-folder message delta, message fetch with attachments.

import { fetchAttachments } from "./attachments.ts";
import { type DeltaEvent, deltaEvents } from "./delta-pager.ts";
import { type GraphHttp, type GraphRequest, seg } from "./http.ts";
import { type FetchedItem, needsAttachmentFetch } from "./item.ts";
import { collect, items, PAGE_SIZE_DELTA, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./pager.ts";

export const FOLDER_SELECT = "id,displayName,parentFolderId";
/** Corso's delta/list select for item IDs (idAnd(lastModifiedDateTime)). */
export const MESSAGE_ID_SELECT = "id,lastModifiedDateTime";

export interface FolderOptions {
  /** Include hidden folders (includeHiddenFolders=true). Default true: hidden folders hold user data too. */
  includeHidden?: boolean;
}

export class MailApi {
  constructor(private readonly http: GraphHttp, private readonly deltaPageSize = PAGE_SIZE_DELTA) {}

  private ex(user: string): Pick<GraphRequest, "service" | "mailbox"> {
    return { service: "exchange", mailbox: user };
  }

  async rootFolder(user: string): Promise<GraphObject> {
    return (await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/mailFolders/msgfolderroot`, query: { $select: FOLDER_SELECT } })).json;
  }

  async folder(user: string, folderId: string): Promise<GraphObject> {
    return (await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/mailFolders/${seg(folderId)}`, query: { $select: FOLDER_SELECT } })).json;
  }

  /**
   * All mail folders, nested ones included. Corso lists beta `/mailFolders` ("v1.0 non delta
   * /mailFolders does not return any of the nested folders"); any folder whose childFolderCount
   * is larger than the children seen is then walked with v1.0 childFolders, so the result is
   * complete whichever way the server lists.
   */
  async folders(user: string, opts: FolderOptions = {}): Promise<GraphObject[]> {
    const hidden = opts.includeHidden ?? true;
    const hiddenQ = hidden ? { includeHiddenFolders: "true" } : {};
    const listed = await collect(items(this.http, {
      ...this.ex(user), api: "beta", url: `/users/${seg(user)}/mailFolders`, query: hiddenQ, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)],
    }));
    const byId = new Map<string, GraphObject>();
    for (const f of listed) byId.set(String(f.id), f);
    const queue = [...byId.values()];
    while (queue.length) {
      const f = queue.shift()!;
      const want = typeof f.childFolderCount === "number" ? f.childFolderCount : 0;
      if (want === 0) continue;
      let have = 0;
      for (const g of byId.values()) if (g.parentFolderId === f.id) have++;
      if (have >= want) continue;
      const kids = await collect(items(this.http, {
        ...this.ex(user), url: `/users/${seg(user)}/mailFolders/${seg(String(f.id))}/childFolders`, query: hiddenQ,
        prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)],
      }));
      for (const k of kids) {
        if (byId.has(String(k.id))) continue;
        byId.set(String(k.id), k);
        queue.push(k);
      }
    }
    return [...byId.values()];
  }

  /** Delta of message IDs in one folder (added/changed with lastModifiedDateTime; `@removed` as removals). */
  messageDelta(user: string, folderId: string, deltaLink?: string): AsyncGenerator<DeltaEvent> {
    const path = `/users/${seg(user)}/mailFolders/${seg(folderId)}/messages`;
    return deltaEvents(this.http, {
      deltaLink,
      fresh: { ...this.ex(user), url: `${path}/delta`, query: { $select: MESSAGE_ID_SELECT }, prefer: [preferPageSize(this.deltaPageSize)] },
      fallback: { ...this.ex(user), url: path, query: { $select: MESSAGE_ID_SELECT }, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] },
    });
  }

  /** Full message JSON, with attachments (item attachments expanded) merged in when it has any. */
  async getMessage(user: string, messageId: string): Promise<FetchedItem> {
    const path = `/users/${seg(user)}/messages/${seg(messageId)}`;
    const { json, raw } = await this.http.getJson({ ...this.ex(user), url: path });
    const alerts: string[] = [];
    if (needsAttachmentFetch(json)) {
      json.attachments = await fetchAttachments(this.http, user, path, alerts);
    }
    return { id: messageId, json, raw, alerts };
  }

  /**
   * Corso's delta/quota probe: one-item delta on the inbox. Returns "quota-exceeded" when
   * Exchange refuses delta for a full mailbox (then use the non-delta listing for this run).
   */
  async deltaProbe(user: string, inboxId = "inbox"): Promise<"ok" | "quota-exceeded"> {
    try {
      await this.http.request({
        ...this.ex(user), url: `/users/${seg(user)}/mailFolders/${seg(inboxId)}/messages/delta`,
        query: { $select: "id" }, prefer: [preferPageSize(1)],
      });
      return "ok";
    } catch (e) {
      if ((e as { kind?: string }).kind === "quota-exceeded") return "quota-exceeded";
      throw e;
    }
  }
}
