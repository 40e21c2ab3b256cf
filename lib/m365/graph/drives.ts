// Drives: OneDrive, SharePoint and group libraries (spec §3.5–3.7).

import { type DeltaEvent, deltaEvents } from "./delta-pager.ts";
import { downloadStream, LARGE_FILE_DOWNLOAD_LIMIT, type DownloadOptions } from "./download.ts";
import { GraphError, type SkipCause } from "./errors.ts";
import { COST, type GraphHttp, type GraphRequest, seg } from "./http.ts";
import { collect, items, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./pager.ts";
import { type UploadOptions, type UploadSource, uploadToSession } from "./upload.ts";

/** Corso's DefaultDriveItemProps. */
export const DRIVE_ITEM_SELECT =
  "id,content.downloadUrl,createdBy,createdDateTime,file,folder,lastModifiedDateTime,name,package,parentReference,root,size,deleted,malware,shared";
export const DRIVE_DELTA_PREFER = ["deltashowremovedasdeleted", "deltatraversepermissiongaps", "deltashowsharingchanges", "hierarchicalsharing"];
export const DRIVE_DELTA_TOP = 500;
export type ConflictBehavior = "fail" | "replace" | "rename";

/** Skip cause for an enumerated drive item (malware facet), or undefined. */
export function driveItemSkipCause(item: GraphObject): SkipCause | undefined {
  return item.malware ? "malware_detected" : undefined;
}

export class DrivesApi {
  constructor(private readonly http: GraphHttp) {}

  private d(extra: Omit<GraphRequest, "service">): GraphRequest {
    return { service: "drive", ...extra };
  }

  /** A user's default drive (Corso only backs up that one). */
  async userDrive(user: string): Promise<GraphObject> {
    return (await this.http.getJson(this.d({ url: `/users/${seg(user)}/drive` }))).json;
  }

  async drive(driveId: string): Promise<GraphObject> {
    return (await this.http.getJson(this.d({ url: `/drives/${seg(driveId)}` }))).json;
  }

  /** A site's document libraries. Corso skips the one named "Site Pages"; pass skipSitePages=false to keep it. */
  async siteDrives(siteId: string, skipSitePages = true): Promise<GraphObject[]> {
    const all = await collect(items(this.http, this.d({ url: `/sites/${seg(siteId)}/drives`, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] })));
    return skipSitePages ? all.filter((d) => d.name !== "Site Pages") : all;
  }

  /** Delta over the whole drive; items with a `deleted` facet are removals. */
  delta(driveId: string, deltaLink?: string, select = DRIVE_ITEM_SELECT): AsyncGenerator<DeltaEvent> {
    return deltaEvents(this.http, {
      deltaLink,
      fresh: this.d({ url: `/drives/${seg(driveId)}/items/root/delta`, query: { $top: DRIVE_DELTA_TOP, $select: select }, prefer: DRIVE_DELTA_PREFER }),
    });
  }

  async getItem(driveId: string, itemId: string, select: string | undefined = DRIVE_ITEM_SELECT): Promise<GraphObject> {
    return (await this.http.getJson(this.d({ url: `/drives/${seg(driveId)}/items/${seg(itemId)}`, query: select ? { $select: select } : undefined }))).json;
  }

  async children(driveId: string, itemId: string, select = "id,name"): Promise<GraphObject[]> {
    return collect(items(this.http, this.d({ url: `/drives/${seg(driveId)}/items/${seg(itemId)}/children`, query: { $top: 999, $select: select } })));
  }

  /** Permissions of an item (Corso fetches them only for items with a `shared` facet). */
  async permissions(driveId: string, itemId: string): Promise<GraphObject[]> {
    return collect(items(this.http, this.d({ url: `/drives/${seg(driveId)}/items/${seg(itemId)}/permissions` })));
  }

  /**
   * Streams a file's content: through the pre-authenticated download URL (no auth header,
   * resumable, refreshed when expired) or, above 15 GiB, through `/content` with auth.
   */
  download(driveId: string, item: GraphObject, opts: Partial<DownloadOptions> = {}): ReadableStream<Uint8Array> {
    const itemId = String(item.id);
    const refresh = opts.refresh ?? (() => this.getItem(driveId, itemId, "id,content.downloadUrl,size,deleted,file,malware"));
    if (typeof item.size === "number" && item.size > LARGE_FILE_DOWNLOAD_LIMIT) {
      const url = this.http.resolveUrl({ url: `/drives/${seg(driveId)}/items/${seg(itemId)}/content` });
      // The 302 target is pre-authenticated; Range resume applies to the final URL.
      return downloadStream(this.http, { ...item, "@microsoft.graph.downloadUrl": undefined }, {
        ...opts,
        refresh: async () => ({ "@microsoft.graph.downloadUrl": await this.contentLocation(url) }),
      });
    }
    return downloadStream(this.http, item, { ...opts, refresh });
  }

  /** Resolves `/content` to its pre-authenticated redirect target. */
  private async contentLocation(url: string): Promise<string> {
    const res = await this.http.request(this.d({ url, stream: true, redirect: "manual", accept: (s) => s === 302 || s === 301 || s === 307 || s === 303 }));
    const loc = res.headers.get("location") ?? res.url;
    await res.body?.cancel().catch(() => {});
    return loc;
  }

  /** POST children: a folder (conflictBehavior replace, rename when a file is in the way). */
  async createFolder(driveId: string, parentId: string, name: string): Promise<GraphObject> {
    const post = (cb: ConflictBehavior) =>
      this.http.getJson(this.d({
        method: "POST", cost: COST.write, url: `/drives/${seg(driveId)}/items/${seg(parentId)}/children`,
        query: { "@microsoft.graph.conflictBehavior": cb }, json: { name, folder: {} },
      }));
    try {
      return (await post("replace")).json;
    } catch (e) {
      if (e instanceof GraphError && e.kind === "already-exists") return (await post("rename")).json;
      throw e;
    }
  }

  /** Corso's file restore: POST an empty file item, open an upload session on it, PUT the chunks. */
  async uploadFile(driveId: string, parentId: string, name: string, source: UploadSource, size: number, opts: UploadOptions & { conflictBehavior?: ConflictBehavior } = {}): Promise<GraphObject> {
    const created = (await this.http.getJson(this.d({
      method: "POST", cost: COST.write, url: `/drives/${seg(driveId)}/items/${seg(parentId)}/children`,
      query: { "@microsoft.graph.conflictBehavior": opts.conflictBehavior ?? "rename" }, json: { name, file: {} },
    }))).json;
    if (size === 0) {
      // Upload sessions cannot carry zero bytes; an empty file is a plain PUT of /content.
      return (await this.http.getJson(this.d({ method: "PUT", cost: COST.write, url: `/drives/${seg(driveId)}/items/${seg(String(created.id))}/content`, body: new Uint8Array(0), headers: { "Content-Type": "application/octet-stream" } }))).json;
    }
    const session = await this.createUploadSession(driveId, String(created.id));
    return uploadToSession(this.http, session.uploadUrl, source, size, opts);
  }

  async createUploadSession(driveId: string, itemId: string): Promise<{ uploadUrl: string; expirationDateTime?: string }> {
    const { json } = await this.http.getJson(this.d({ method: "POST", cost: COST.write, url: `/drives/${seg(driveId)}/items/${seg(itemId)}/createUploadSession`, json: {} }));
    if (typeof json.uploadUrl !== "string") throw new GraphError({ status: 200, method: "POST", url: "createUploadSession", message: "response has no uploadUrl" });
    return { uploadUrl: json.uploadUrl, expirationDateTime: json.expirationDateTime as string | undefined };
  }

  uploadToSession(uploadUrl: string, source: UploadSource, size: number, opts?: UploadOptions): Promise<GraphObject> {
    return uploadToSession(this.http, uploadUrl, source, size, opts);
  }

  async deleteItem(driveId: string, itemId: string): Promise<void> {
    await this.http.request(this.d({ method: "DELETE", cost: COST.write, url: `/drives/${seg(driveId)}/items/${seg(itemId)}` }));
  }

  /** POST /invite without notifications (restore of a user/group permission). */
  async invite(driveId: string, itemId: string, body: GraphObject): Promise<GraphObject[]> {
    const { json } = await this.http.getJson(this.d({ method: "POST", cost: COST.permission, url: `/drives/${seg(driveId)}/items/${seg(itemId)}/invite`, json: { sendInvitation: false, requireSignIn: true, ...body } }));
    return Array.isArray(json.value) ? (json.value as GraphObject[]) : [];
  }

  async deletePermission(driveId: string, itemId: string, permissionId: string): Promise<void> {
    await this.http.request(this.d({ method: "DELETE", cost: COST.permission, url: `/drives/${seg(driveId)}/items/${seg(itemId)}/permissions/${seg(permissionId)}` }));
  }

  /** Beta createLink without notification (restore of link shares). */
  async createLink(driveId: string, itemId: string, body: GraphObject): Promise<GraphObject> {
    return (await this.http.getJson(this.d({ method: "POST", api: "beta", cost: COST.permission, url: `/drives/${seg(driveId)}/items/${seg(itemId)}/createLink`, json: { sendNotification: false, ...body } }))).json;
  }
}
