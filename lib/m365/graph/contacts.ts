// Exchange contacts (spec §3.3): the default folder, its child folders (no delta for
// folders), per-folder contact delta, contact fetch.

import { type DeltaEvent, deltaEvents } from "./delta-pager.ts";
import { type GraphHttp, type GraphRequest, seg } from "./http.ts";
import type { FetchedItem } from "./item.ts";
import { collect, items, PAGE_SIZE_DELTA, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./pager.ts";

export const CONTACT_FOLDER_SELECT = "id,displayName,parentFolderId";
export const CONTACT_ID_SELECT = "id,lastModifiedDateTime";

export class ContactsApi {
  constructor(private readonly http: GraphHttp, private readonly deltaPageSize = PAGE_SIZE_DELTA) {}

  private ex(user: string): Pick<GraphRequest, "service" | "mailbox"> {
    return { service: "exchange", mailbox: user };
  }

  /** The default contacts folder (well-known name "Contacts", as Corso asks for it). */
  async rootFolder(user: string): Promise<GraphObject> {
    return (await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/contactFolders/Contacts`, query: { $select: CONTACT_FOLDER_SELECT } })).json;
  }

  /** The root folder plus every folder below it (walked with childFolders; contact folders may nest). */
  async folders(user: string): Promise<GraphObject[]> {
    const root = await this.rootFolder(user);
    const out: GraphObject[] = [root];
    const queue = [String(root.id)];
    const seen = new Set(queue);
    while (queue.length) {
      const id = queue.shift()!;
      const kids = await collect(items(this.http, {
        ...this.ex(user), url: `/users/${seg(user)}/contactFolders/${seg(id)}/childFolders`, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)],
      }));
      for (const k of kids) {
        const kid = String(k.id);
        if (seen.has(kid)) continue;
        seen.add(kid);
        out.push(k);
        queue.push(kid);
      }
    }
    return out;
  }

  contactDelta(user: string, folderId: string, deltaLink?: string): AsyncGenerator<DeltaEvent> {
    const path = `/users/${seg(user)}/contactFolders/${seg(folderId)}/contacts`;
    return deltaEvents(this.http, {
      deltaLink,
      fresh: { ...this.ex(user), url: `${path}/delta`, query: { $select: CONTACT_ID_SELECT }, prefer: [preferPageSize(this.deltaPageSize)] },
      fallback: { ...this.ex(user), url: path, query: { $select: CONTACT_ID_SELECT }, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] },
    });
  }

  async getContact(user: string, contactId: string): Promise<FetchedItem> {
    const { json, raw } = await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/contacts/${seg(contactId)}` });
    return { id: contactId, json, raw, alerts: [] };
  }
}
