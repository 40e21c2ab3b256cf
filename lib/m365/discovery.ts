// Resource discovery and service-enabled checks (spec §3.12): users, sites, groups, and
// whether a user has a mailbox / OneDrive and the tenant has SharePoint.

import { GraphError, meansServiceNotEnabled } from "./graph/errors.ts";
import { type GraphHttp, seg } from "./graph/http.ts";
import { collect, items, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./graph/pager.ts";

export const USER_SELECT = "id,userPrincipalName,displayName,mail";
/** Corso's user filter: members plus synced accounts, no guests. Needs $count + ConsistencyLevel. */
export const USER_FILTER = "onPremisesSyncEnabled eq true OR userType ne 'Guest'";

export class DiscoveryApi {
  constructor(private readonly http: GraphHttp) {}

  /** All (non-guest) users, streamed page by page. */
  users(select = USER_SELECT): AsyncGenerator<GraphObject> {
    return items(this.http, {
      url: "/users", query: { $select: select, $filter: USER_FILTER, $count: "true" },
      headers: { ConsistencyLevel: "eventual" }, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)],
    });
  }

  /** A user by object ID or userPrincipalName. Throws GraphError kind user-not-found/not-found. */
  async user(idOrUpn: string, select = USER_SELECT): Promise<GraphObject> {
    return (await this.http.getJson({ url: `/users/${seg(idOrUpn)}`, query: { $select: select } })).json;
  }

  /** All sites, without personal (OneDrive) sites and the nameless search site, as Corso lists them. */
  async *sites(): AsyncGenerator<GraphObject> {
    for await (const s of items(this.http, { url: "/sites", service: "drive", prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] })) {
      const web = String(s.webUrl ?? "");
      if (web.includes("sharepoint.com/personal/")) continue;
      if (!s.name && web.endsWith("/search")) continue;
      yield s;
    }
  }

  /** A site by ID (`host,siteGuid,webGuid`) or by URL (`https://host/sites/x`). */
  async site(idOrUrl: string): Promise<GraphObject> {
    if (/^https?:\/\//i.test(idOrUrl)) {
      const u = new URL(idOrUrl);
      const path = u.pathname.replace(/\/+$/, "");
      const url = path ? `/sites/${u.host}:${path.split("/").map(seg).join("/")}` : `/sites/${u.host}`;
      return (await this.http.getJson({ url, service: "drive" })).json;
    }
    return (await this.http.getJson({ url: `/sites/${seg(idOrUrl)}`, service: "drive" })).json;
  }

  groups(select = "id,displayName,mail,groupTypes,resourceProvisioningOptions"): AsyncGenerator<GraphObject> {
    return items(this.http, { url: "/groups", query: { $select: select }, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] });
  }

  /** A group by ID, by mail (proxyAddresses filter) or by display name, as Corso looks them up. */
  async group(idMailOrName: string): Promise<GraphObject> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idMailOrName)) {
      return (await this.http.getJson({ url: `/groups/${seg(idMailOrName)}` })).json;
    }
    const esc = idMailOrName.replace(/'/g, "''");
    const filter = idMailOrName.includes("@") ? `proxyAddresses/any(a:a eq 'smtp:${esc}')` : `displayName eq '${esc}'`;
    const found = await collect(items(this.http, { url: "/groups", query: { $filter: filter } }));
    if (found.length !== 1) {
      throw new GraphError({ status: 404, method: "GET", url: "/groups", odata: { code: "Request_ResourceNotFound", message: found.length ? `${found.length} groups match "${idMailOrName}"` : `group "${idMailOrName}" not found` } });
    }
    return found[0];
  }

  /** Exchange: GET mailFolders/inbox; "no mailbox" errors mean not enabled. */
  async mailboxEnabled(user: string): Promise<boolean> {
    return this.probe(() => this.http.request({ url: `/users/${seg(user)}/mailFolders/inbox`, service: "exchange", mailbox: user, query: { $select: "id" } }));
  }

  /** OneDrive: GET /users/{u}/drive; mysite-not-found / no SPO licence mean not enabled. */
  async oneDriveEnabled(user: string): Promise<boolean> {
    return this.probe(() => this.http.request({ url: `/users/${seg(user)}/drive`, service: "drive" }));
  }

  /** SharePoint: GET /sites/root; "no SPO licence" means not enabled. */
  async sharePointEnabled(): Promise<boolean> {
    return this.probe(() => this.http.request({ url: "/sites/root", service: "drive" }));
  }

  private async probe(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (e) {
      if (meansServiceNotEnabled(e)) return false;
      throw e;
    }
  }
}
