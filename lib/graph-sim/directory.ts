// Directory endpoints: users, sites, groups, teams channels (basics), and the drive aliases that hang off them.

import { driveJson } from "./drive.ts";
import { ok, pageSize, type Req, type Router } from "./http.ts";
import { GraphError, parseFilter, parseSelect, project } from "./odata.ts";
import { paged } from "./exchange.ts";
import type { GroupRec, SiteRec, Store, UserRec } from "./store.ts";
import type { GraphObject } from "./types.ts";

export function userJson(u: UserRec): GraphObject {
  const [given, ...rest] = u.displayName.split(" ");
  return {
    businessPhones: [],
    displayName: u.displayName,
    givenName: given ?? null,
    jobTitle: null,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: "en-US",
    surname: rest.join(" ") || null,
    userPrincipalName: u.upn,
    id: u.id,
    ...u.props,
  };
}

/** Properties only returned with $select (or $filter), as Graph does. */
function userFull(u: UserRec): GraphObject {
  return { userType: u.userType, onPremisesSyncEnabled: null, accountEnabled: true, createdDateTime: u.createdDateTime, proxyAddresses: [`SMTP:${u.mail}`], ...userJson(u) };
}

export function siteJson(s: Store, site: SiteRec): GraphObject {
  return {
    createdDateTime: site.createdDateTime,
    description: "",
    id: site.id,
    lastModifiedDateTime: site.createdDateTime,
    name: site.name,
    webUrl: `https://${site.host}${site.path === "/" ? "" : site.path}`,
    displayName: site.displayName,
    ...(site.path === "/" ? { root: {} } : {}),
    siteCollection: { hostname: site.host },
  };
}

export function groupJson(g: GroupRec): GraphObject {
  return {
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: g.createdDateTime,
    description: null,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: g.mail,
    mailEnabled: true,
    mailNickname: g.mail.split("@")[0],
    proxyAddresses: [`SMTP:${g.mail}`],
    resourceProvisioningOptions: g.isTeam ? ["Team"] : [],
    securityEnabled: false,
    visibility: "Private",
    ...g.props,
  };
}

function needsEventual(r: Req, ops: Set<string>): void {
  const eventual = (r.headers.get("ConsistencyLevel") ?? "").toLowerCase() === "eventual";
  if (eventual) return;
  if (r.q.get("$count") === "true") throw new GraphError(400, "Request_BadRequest", "$count is not currently supported without the ConsistencyLevel: eventual header.");
  if (ops.has("ne") || ops.has("endswith") || ops.has("not"))
    throw new GraphError(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified: advanced query operators require ConsistencyLevel: eventual and $count=true.");
}

export function directoryRoutes(router: Router, s: Store): void {
  const user = (r: Req) => {
    const u = s.user(r.params.u!);
    if (!u) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${r.params.u}' does not exist or one of its queried reference-property objects are not present.`);
    return u;
  };
  router.on("GET", "/users", (r) => {
    let list = [...s.users.values()].map(userFull);
    const f = r.q.get("$filter");
    const flt = f ? parseFilter(f) : undefined;
    needsEventual(r, flt?.ops ?? new Set());
    if (flt) list = list.filter((u) => flt.eval(u));
    const sel = parseSelect(r.q);
    // Without $select Graph returns the default property set only.
    const shaped = sel ? list : list.map((u) => userJson(s.user(u.id as string)!));
    return paged(r, shaped, pageSize(r, 100, 999), `${r.base}/$metadata#users`, r.q.get("$count") === "true" ? { "@odata.count": list.length } : {});
  });
  router.on("GET", "/users/:u", (r) => {
    const u = user(r);
    const sel = parseSelect(r.q);
    return ok({ "@odata.context": `${r.base}/$metadata#users/$entity`, ...project(sel ? userFull(u) : userJson(u), sel) });
  });
  router.on("GET", "/users/:u/drives", (r) => {
    const u = user(r);
    const d = u.driveId ? s.drives.get(u.driveId) : undefined;
    if (!d) throw new GraphError(404, "ResourceNotFound", "User's mysite not found.");
    return ok({ "@odata.context": `${r.base}/$metadata#drives`, value: [project(driveJson(s, d), parseSelect(r.q))] });
  });

  // sites
  const siteOr404 = (id: string): SiteRec => {
    // Graph accepts the composite id, "root", or a bare hostname (that host's root site).
    const host = id.toLowerCase() === "root" ? s.spHost : !id.includes(",") && id.includes(".") ? id.toLowerCase() : undefined;
    const site = s.sites.get(id) ?? (host ? [...s.sites.values()].find((x) => x.path === "/" && x.host === host) : undefined);
    if (!site) throw new GraphError(404, "itemNotFound", "Requested site could not be found");
    return site;
  };
  router.on("GET", "/sites", (r) => {
    let list = [...s.sites.values()];
    const search = r.q.get("search");
    if (search && search !== "*") list = list.filter((x) => (x.displayName + " " + x.name + " " + x.path).toLowerCase().includes(search.toLowerCase()));
    return paged(r, list.map((x) => siteJson(s, x)), pageSize(r, 200, 999), `${r.base}/$metadata#sites`);
  });
  router.on("GET", "/sites/:s", (r) => {
    const raw = r.params.s!;
    // /sites/{hostname}:/{path} arrives here after path normalisation as "host:/path" or "host:" ...
    return ok({ "@odata.context": `${r.base}/$metadata#sites/$entity`, ...project(siteJson(s, siteOr404(raw)), parseSelect(r.q)) });
  });
  router.on("GET", "/sites/:s/drives", (r) => {
    const site = siteOr404(r.params.s!);
    return ok({ "@odata.context": `${r.base}/$metadata#drives`, value: site.drives.map((d) => project(driveJson(s, s.drives.get(d)!), parseSelect(r.q))) });
  });
  router.on("GET", "/sites/:s/lists", (r) => {
    const site = siteOr404(r.params.s!);
    return ok({
      "@odata.context": `${r.base}/$metadata#sites('${site.id}')/lists`,
      value: site.drives.map((d) => {
        const dr = s.drives.get(d)!;
        return { id: dr.id.slice(2, 38), name: dr.name, displayName: dr.name, createdDateTime: dr.createdDateTime, lastModifiedDateTime: dr.createdDateTime, webUrl: dr.webUrl, list: { hidden: false, template: "documentLibrary", contentTypesEnabled: false } };
      }),
    });
  });

  // groups
  const group = (r: Req) => {
    const g = s.groups.get(r.params.g!);
    if (!g) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${r.params.g}' does not exist or one of its queried reference-property objects are not present.`);
    return g;
  };
  router.on("GET", "/groups", (r) => {
    let list = [...s.groups.values()].map(groupJson);
    const f = r.q.get("$filter");
    const flt = f ? parseFilter(f) : undefined;
    needsEventual(r, flt?.ops ?? new Set());
    if (flt) list = list.filter((g) => flt.eval(g));
    return paged(r, list, pageSize(r, 100, 999), `${r.base}/$metadata#groups`, r.q.get("$count") === "true" ? { "@odata.count": list.length } : {});
  });
  router.on("GET", "/groups/:g", (r) => ok({ "@odata.context": `${r.base}/$metadata#groups/$entity`, ...project(groupJson(group(r)), parseSelect(r.q)) }));
  router.on("GET", "/groups/:g/sites/root", (r) => ok({ "@odata.context": `${r.base}/$metadata#sites/$entity`, ...siteJson(s, s.sites.get(group(r).siteId)!) }));
  router.on("GET", "/groups/:g/drives", (r) => {
    const site = s.sites.get(group(r).siteId)!;
    return ok({ "@odata.context": `${r.base}/$metadata#drives`, value: site.drives.map((d) => driveJson(s, s.drives.get(d)!)) });
  });
  router.on("GET", "/teams/:g/channels", (r) => {
    const g = group(r);
    if (!g.isTeam) throw new GraphError(404, "NotFound", `No team found with Group Id ${g.id}`);
    return ok({
      "@odata.context": `${r.base}/$metadata#teams('${g.id}')/channels`,
      "@odata.count": 1,
      value: [{ id: `19:${g.id.replace(/-/g, "")}@thread.tacv2`, createdDateTime: g.createdDateTime, displayName: "General", description: g.displayName, isFavoriteByDefault: null, email: "", tenantId: s.tenantId, webUrl: `https://teams.microsoft.com/l/channel/19%3a${g.id.replace(/-/g, "")}%40thread.tacv2/General`, membershipType: "standard" }],
    });
  });
  router.on("GET", "/teams/:g/channels/:c/filesFolder", (r) => {
    const g = group(r);
    const site = s.sites.get(g.siteId)!;
    const d = s.drives.get(site.drives[0]!)!;
    return ok({ "@odata.context": `${r.base}/$metadata#teams('${g.id}')/channels('${r.params.c}')/filesFolder/$entity`, id: d.rootId, name: "General", webUrl: `${d.webUrl}/General`, parentReference: { driveId: d.id, driveType: d.driveType }, folder: { childCount: 0 } });
  });
  // Present in Graph but not modelled: empty collections rather than unknown-segment errors.
  router.on("GET", "/groups/:g/conversations", (r) => ok({ "@odata.context": `${r.base}/$metadata#groups('${group(r).id}')/conversations`, value: [] }));
  router.on("GET", "/users/:u/chats", (r) => ok({ "@odata.context": `${r.base}/$metadata#users('${user(r).id}')/chats`, "@odata.count": 0, value: [] }));
  router.on("GET", "/teams/:g/channels/:c/messages", (r) => {
    group(r);
    return ok({ "@odata.context": `${r.base}/$metadata#teams('${r.params.g}')/channels('${r.params.c}')/messages`, "@odata.count": 0, value: [] });
  });
}
