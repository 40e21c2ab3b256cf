// OneDrive / SharePoint document library endpoints: drives, items, delta, children, content, upload sessions,
// permissions, and the pre-authenticated download URL host.

import { UsageError } from "../errors.ts";
import type { Jwt } from "./auth.ts";
import { parseRange } from "./content.ts";
import { badRequest, noContent, notFound, ok, pageSize, type Reply, type Req, type Router } from "./http.ts";
import { b64urlJson, fromB64urlJson, guid } from "./ids.ts";
import { GraphError, parseSelect, project } from "./odata.ts";
import type { DriveItemRec, DriveRec, Store } from "./store.ts";
import type { GraphObject } from "./types.ts";

export interface DriveEnv {
  store: Store;
  jwt: Jwt;
  root: string;
  downloadTtlSec: number;
  deltaTtlSec: number;
  maxPage: number;
  uploadUrl(kind: "drive", payload: Record<string, unknown>): string;
}

export function driveJson(s: Store, d: DriveRec): GraphObject {
  let used = 0;
  for (const it of d.items.values()) if (!it.deleted && !it.folder) used += it.content?.gen?.size ?? it.content?.data?.length ?? 0;
  return {
    createdDateTime: d.createdDateTime,
    description: d.description,
    id: d.id,
    lastModifiedDateTime: d.createdDateTime,
    name: d.name,
    webUrl: d.webUrl,
    driveType: d.driveType,
    createdBy: { user: { displayName: "System Account" } },
    lastModifiedBy: d.owner.user ? d.owner : { user: { displayName: "System Account" } },
    owner: d.owner,
    quota: { deleted: 0, remaining: 1099511627776 - used, state: "normal", total: 1099511627776, used },
  };
}

function driveOr404(s: Store, id: string): DriveRec {
  const d = s.drives.get(id);
  if (!d) throw new GraphError(404, "itemNotFound", "The resource could not be found.");
  return d;
}

function itemOr404(d: DriveRec, id: string): DriveItemRec {
  const it = id.toLowerCase() === "root" ? d.items.get(d.rootId) : d.items.get(id);
  if (!it || it.deleted) throw new GraphError(404, "itemNotFound", "The resource could not be found.");
  return it;
}

export function downloadUrl(env: DriveEnv, d: DriveRec, it: DriveItemRec): string {
  const now = Math.floor(Date.now() / 1000);
  const tok = env.jwt.sign({ aud: `00000003-0000-0ff1-ce00-000000000000/${env.store.spHost}@${env.store.tenantId}`, iss: "00000003-0000-0ff1-ce00-000000000000", nbf: now, exp: now + env.downloadTtlSec, drive: d.id, item: it.id, ver: it.version });
  const site = d.siteId ? env.store.sites.get(d.siteId) : undefined;
  const prefix = site && site.path !== "/" ? site.path : "";
  return `${env.root}${prefix}/_layouts/15/download.aspx?UniqueId=${guid(env.store.seed, it.id)}&Translate=false&tempauth=${tok}&ApiVersion=2.0`;
}

export function itemJson(env: DriveEnv, d: DriveRec, it: DriveItemRec, opts: { url?: boolean } = {}): GraphObject {
  const s = env.store;
  const isRoot = it.parentId === null;
  const by = { user: { email: it.createdBy.email, id: it.createdBy.id, displayName: it.createdBy.displayName } };
  const path = s.driveItemPath(d, it);
  const o: GraphObject = {};
  if (!it.folder && opts.url !== false && !it.malware) o["@microsoft.graph.downloadUrl"] = downloadUrl(env, d, it);
  Object.assign(o, {
    createdBy: by,
    createdDateTime: it.createdDateTime,
    eTag: `"{${guid(s.seed, it.id).toUpperCase()}},${it.version}"`,
    id: it.id,
    lastModifiedBy: by,
    lastModifiedDateTime: it.lastModifiedDateTime,
    name: it.name,
    parentReference: isRoot
      ? { driveType: d.driveType, driveId: d.id }
      : {
          driveType: d.driveType,
          driveId: d.id,
          id: it.parentId,
          name: it.parentId === d.rootId ? (d.driveType === "business" ? "Documents" : d.name) : d.items.get(it.parentId!)!.name,
          path: `/drives/${d.id}/root:` + (path.length > 1 ? "/" + path.slice(0, -1).join("/") : ""),
          ...(d.siteId ? { siteId: d.siteId.split(",")[1] } : {}),
        },
    webUrl: isRoot ? d.webUrl : `${d.webUrl}/${path.map(encodeURIComponent).join("/")}`,
    cTag: `"c:{${guid(s.seed, it.id).toUpperCase()}},${it.version}"`,
    fileSystemInfo: { createdDateTime: it.createdDateTime, lastModifiedDateTime: it.lastModifiedDateTime },
    size: s.driveItemSize(d, it),
  });
  if (isRoot) o.root = {};
  if (it.folder) o.folder = { childCount: it.children.length };
  else o.file = { mimeType: it.mimeType ?? guessMime(it.name), hashes: {} };
  if (it.permissions.length) o.shared = { scope: "users" };
  if (it.malware) o.malware = { description: "Win32/EICAR_Test_File" };
  return o;
}

function guessMime(name: string): string {
  const ext = name.split(".").pop()?.toLowerCase() ?? "";
  return (
    { txt: "text/plain", md: "text/markdown", json: "application/json", pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", csv: "text/csv" } as Record<string, string>
  )[ext] ?? "application/octet-stream";
}

interface DriveDelta {
  d: string;
  m: "i" | "c";
  off: number;
  f?: number;
  s: number;
  t: number;
  sel?: string[];
  /** Page size requested on the first call; nextLinks keep it like Graph's do. */
  n?: number;
}

function deltaReply(env: DriveEnv, r: Req, d: DriveRec): Reply {
  const s = env.store;
  const tok = r.q.get("token");
  const now = Date.now();
  const link = `${r.base}/drives/${d.id}/items/root/delta`;
  if (tok === "latest") return ok({ "@odata.context": `${r.base}/$metadata#Collection(driveItem)`, value: [], "@odata.deltaLink": `${link}?token=${b64urlJson({ d: d.id, m: "c", off: -1, s: s.seq, t: now, sel: parseSelect(r.q) } satisfies DriveDelta)}` });
  let st: DriveDelta;
  if (tok) {
    const x = fromB64urlJson<DriveDelta>(tok);
    if (!x || x.d !== d.id || typeof x.s !== "number") throw new GraphError(400, "invalidRequest", "Invalid delta token.");
    if (now - x.t > env.deltaTtlSec * 1000)
      throw new GraphError(410, "resyncRequired", "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.");
    st = x.off === -1 ? { ...x, m: "c", off: 0, f: x.s, s: s.seq, t: now } : x;
  } else {
    st = { d: d.id, m: "i", off: 0, s: s.seq, t: now, sel: parseSelect(r.q) };
  }
  const size = r.q.get("$top") || r.prefer.maxPageSize ? pageSize(r, 200, env.maxPage) : (st.n ?? 200);
  st.n = size;
  const value: GraphObject[] = [];
  let more = false;
  if (st.m === "i") {
    const order = s.driveOrder(d);
    for (const id of order.slice(st.off, st.off + size)) value.push(project(itemJson(env, d, d.items.get(id)!), st.sel));
    more = st.off + size < order.length;
  } else {
    const ch = s.changesSince(d.changes, st.f!, st.s);
    for (const x of ch.slice(st.off, st.off + size)) {
      const it = d.items.get(x.id)!;
      if (it.deleted) {
        value.push({
          "@odata.type": "#microsoft.graph.driveItem",
          id: it.id,
          name: it.name,
          parentReference: { driveType: d.driveType, driveId: d.id, id: it.parentId },
          ...(it.folder ? { folder: { childCount: 0 } } : { file: {} }),
          deleted: { state: "deleted" },
        });
      } else value.push(project(itemJson(env, d, it), st.sel));
    }
    more = st.off + size < ch.length;
  }
  const body: GraphObject = { "@odata.context": `${r.base}/$metadata#Collection(driveItem)`, value };
  if (more) body["@odata.nextLink"] = `${link}?token=${b64urlJson({ ...st, off: st.off + size, t: now })}`;
  // A deltaLink token: off = -1 means "changes after st.s".
  else body["@odata.deltaLink"] = `${link}?token=${b64urlJson({ d: d.id, m: "c", off: -1, s: st.s, t: now, sel: st.sel, n: st.n } satisfies DriveDelta)}`;
  return ok(body);
}

function uniqueName(d: DriveRec, parent: DriveItemRec, name: string): string {
  const taken = new Set(parent.children.map((c) => d.items.get(c)!).filter((c) => !c.deleted).map((c) => c.name.toLowerCase()));
  if (!taken.has(name.toLowerCase())) return name;
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  for (let i = 1; ; i++) if (!taken.has(`${stem} ${i}${ext}`.toLowerCase())) return `${stem} ${i}${ext}`;
}

function childByName(d: DriveRec, parent: DriveItemRec, name: string): DriveItemRec | undefined {
  return parent.children.map((c) => d.items.get(c)!).find((c) => !c.deleted && c.name.toLowerCase() === name.toLowerCase());
}

/** Creates or replaces a file under parent per conflictBehavior; returns the item and whether it was created. */
function placeFile(env: DriveEnv, d: DriveRec, parent: DriveItemRec, name: string, behavior: string, content: DriveItemRec["content"]): { it: DriveItemRec; created: boolean } {
  const s = env.store;
  const existing = childByName(d, parent, name);
  if (existing) {
    if (behavior === "fail") throw new GraphError(409, "nameAlreadyExists", `The specified item name already exists. Name: ${name}`);
    if (behavior === "replace") {
      if (existing.folder) throw new GraphError(409, "nameAlreadyExists", `The specified item name already exists. Name: ${name}`);
      existing.content = content;
      existing.version++;
      s.touchDriveItem(d, existing);
      return { it: existing, created: false };
    }
    name = uniqueName(d, parent, name);
  }
  return { it: s.addDriveItem(d, parent.id, name, { content }), created: true };
}

function validName(name: unknown): string {
  if (typeof name !== "string" || !name.trim()) badRequest("Name is required.", "invalidRequest");
  if (/["*:<>?/\\|]/.test(name as string) || /^\s|[\s.]$/.test(name as string)) badRequest(`The provided name '${name}' contains invalid characters.`, "invalidRequest");
  return name as string;
}

export function driveRoutes(router: Router, env: DriveEnv): void {
  const s = env.store;
  const D = (r: Req) => driveOr404(s, r.params.d!);

  router.on("GET", "/drives/:d", (r) => ok({ "@odata.context": `${r.base}/$metadata#drives/$entity`, ...project(driveJson(s, D(r)), parseSelect(r.q)) }));
  router.on("GET", "/drives/:d/items/:i", (r) => {
    const d = D(r);
    return ok({ "@odata.context": `${r.base}/$metadata#drives('${d.id}')/items/$entity`, ...project(itemJson(env, d, itemOr404(d, r.params.i!)), parseSelect(r.q)) });
  });
  router.on("GET", "/drives/:d/items/:i/delta", (r) => {
    const d = D(r);
    if (itemOr404(d, r.params.i!).id !== d.rootId) badRequest("Delta is only supported on the root of a business drive.", "invalidRequest");
    return deltaReply(env, r, d);
  });
  router.on("GET", "/drives/:d/items/:i/children", (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const start = fromB64urlJson<{ o: number }>(r.q.get("$skiptoken") ?? "")?.o ?? 0;
    const size = pageSize(r, 200, env.maxPage);
    const kids = it.children.map((c) => d.items.get(c)!).filter((c) => !c.deleted);
    const body: GraphObject = { "@odata.context": `${r.base}/$metadata#drives('${d.id}')/items('${it.id}')/children`, value: kids.slice(start, start + size).map((c) => project(itemJson(env, d, c), parseSelect(r.q))) };
    if (start + size < kids.length) {
      const u = new URL(r.base + r.path);
      for (const [k, v] of r.q) if (k !== "$skiptoken") u.searchParams.set(k, v);
      u.searchParams.set("$skiptoken", b64urlJson({ o: start + size }));
      body["@odata.nextLink"] = u.toString();
    }
    return ok(body);
  });
  router.on("POST", "/drives/:d/items/:i/children", async (r) => {
    const d = D(r);
    const parent = itemOr404(d, r.params.i!);
    if (!parent.folder) badRequest("The parent item is not a folder.", "invalidRequest");
    const b = await r.json<GraphObject>();
    let name = validName(b.name);
    const behavior = String(r.q.get("@microsoft.graph.conflictBehavior") ?? b["@microsoft.graph.conflictBehavior"] ?? "fail");
    const isFolder = typeof b.folder === "object" && b.folder !== null;
    if (!isFolder && typeof b.file !== "object") badRequest("A folder or file facet is required.", "invalidRequest");
    const existing = childByName(d, parent, name);
    if (existing) {
      if (behavior === "fail") throw new GraphError(409, "nameAlreadyExists", `The specified item name already exists. Name: ${name}`);
      if (behavior === "replace") {
        if (isFolder && existing.folder) return ok({ "@odata.context": `${r.base}/$metadata#drives('${d.id}')/items/$entity`, ...itemJson(env, d, existing) }, 200);
        if (isFolder !== existing.folder) throw new GraphError(409, "nameAlreadyExists", `The specified item name already exists. Name: ${name}`);
        s.deleteDriveItem(d, existing.id);
      } else name = uniqueName(d, parent, name);
    }
    const it = s.addDriveItem(d, parent.id, name, { folder: isFolder, content: isFolder ? undefined : { data: new Uint8Array(0) } });
    return ok({ "@odata.context": `${r.base}/$metadata#drives('${d.id}')/items/$entity`, ...itemJson(env, d, it) }, 201);
  });
  router.on("PATCH", "/drives/:d/items/:i", async (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const b = await r.json<GraphObject>();
    const pr = b.parentReference as GraphObject | undefined;
    if (pr?.id || typeof b.name === "string") s.moveDriveItem(d, it.id, String(pr?.id ?? it.parentId), typeof b.name === "string" ? validName(b.name) : undefined);
    return ok(itemJson(env, d, it));
  });
  router.on("DELETE", "/drives/:d/items/:i", (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    if (it.parentId === null) throw new GraphError(403, "accessDenied", "Cannot delete the root folder.");
    s.deleteDriveItem(d, it.id);
    return noContent();
  });
  router.on("GET", "/drives/:d/items/:i/content", (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    if (it.folder) badRequest("Cannot download a folder.", "invalidRequest");
    if (it.malware) throw new GraphError(403, "malwareDetected", "Malware detected in the file.", { "X-Virus-Infected": "true" });
    return { status: 302, headers: { Location: downloadUrl(env, d, it) } };
  });
  router.on("PUT", "/drives/:d/items/:i/content", async (r) => {
    const d = D(r);
    const data = new Uint8Array(await r.raw.arrayBuffer());
    if (data.length > 250 * 1024 * 1024) throw new GraphError(413, "requestBodyTooLarge", "Simple upload is limited to 250 MB; use an upload session.");
    if (r.newChild) {
      const parent = itemOr404(d, r.newChild.parentId);
      const behavior = String(r.q.get("@microsoft.graph.conflictBehavior") ?? "replace");
      const { it, created } = placeFile(env, d, parent, validName(r.newChild.name), behavior, { data });
      return ok(itemJson(env, d, it), created ? 201 : 200);
    }
    const it = itemOr404(d, r.params.i!);
    if (it.folder) badRequest("Cannot upload content to a folder.", "invalidRequest");
    it.content = { data };
    it.version++;
    s.touchDriveItem(d, it);
    return ok(itemJson(env, d, it), 200);
  });
  router.on("POST", "/drives/:d/items/:i/createUploadSession", async (r) => {
    const d = D(r);
    const b = (await r.json<{ item?: GraphObject }>().catch(() => ({}))) as { item?: GraphObject };
    const behavior = String(b.item?.["@microsoft.graph.conflictBehavior"] ?? "replace");
    let target: Record<string, unknown>;
    if (r.newChild) {
      itemOr404(d, r.newChild.parentId);
      target = { parent: r.newChild.parentId, name: validName(b.item?.name ?? r.newChild.name), behavior };
    } else {
      const it = itemOr404(d, r.params.i!);
      if (it.folder) badRequest("Cannot upload content to a folder.", "invalidRequest");
      target = { item: it.id };
    }
    const exp = Date.now() + 3600_000 * 24;
    const url = env.uploadUrl("drive", { drive: d.id, ...target, exp });
    return ok({ "@odata.context": `${r.base}/$metadata#microsoft.graph.uploadSession`, uploadUrl: url, expirationDateTime: new Date(exp).toISOString(), nextExpectedRanges: ["0-"] }, 200);
  });

  // permissions
  router.on("GET", "/drives/:d/items/:i/permissions", (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const out: GraphObject[] = [...it.permissions];
    for (let p = it.parentId ? d.items.get(it.parentId) : undefined; p; p = p.parentId ? d.items.get(p.parentId) : undefined) {
      for (const perm of p.permissions) out.push({ ...perm, inheritedFrom: { driveId: d.id, id: p.id, path: `/drives/${d.id}/root:` + (p.parentId ? "/" + s.driveItemPath(d, p).join("/") : "") } });
    }
    return ok({ "@odata.context": `${r.base}/$metadata#drives('${d.id}')/items('${it.id}')/permissions`, value: out });
  });
  router.on("POST", "/drives/:d/items/:i/invite", async (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const b = await r.json<{ recipients?: { email?: string; objectId?: string }[]; roles?: string[]; expirationDateTime?: string }>();
    if (!Array.isArray(b.recipients) || b.recipients.length === 0) badRequest("At least one recipient is required.", "invalidRequest");
    if (!Array.isArray(b.roles) || b.roles.length === 0) badRequest("At least one role is required.", "invalidRequest");
    const out: GraphObject[] = [];
    for (const rc of b.recipients!) {
      const u = rc.objectId ? s.user(rc.objectId) : rc.email ? [...s.users.values()].find((x) => x.mail.toLowerCase() === rc.email!.toLowerCase() || x.upn.toLowerCase() === rc.email!.toLowerCase()) : undefined;
      const g = !u && rc.objectId ? s.groups.get(rc.objectId) : undefined;
      if (!u && !g) throw new GraphError(400, "invalidRequest", "One or more users could not be resolved.", {}, "noResolvedUsers");
      const ident = u ? { user: { email: u.mail, id: u.id, displayName: u.displayName } } : { group: { email: g!.mail, id: g!.id, displayName: g!.displayName } };
      const perm: GraphObject = { id: guid(s.seed, `perm|${it.id}|${s.nextSeq()}`), roles: b.roles, grantedTo: ident, grantedToV2: ident, ...(b.expirationDateTime ? { expirationDateTime: b.expirationDateTime } : {}) };
      it.permissions.push(perm);
      out.push(perm);
    }
    s.touchDriveItem(d, it);
    return ok({ "@odata.context": `${r.base}/$metadata#Collection(permission)`, value: out });
  });
  router.on("POST", "/drives/:d/items/:i/createLink", async (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const b = await r.json<{ type?: string; scope?: string; recipients?: unknown[]; expirationDateTime?: string }>();
    if (!["view", "edit", "embed"].includes(String(b.type))) badRequest("Invalid link type.", "invalidRequest");
    const id = guid(s.seed, `link|${it.id}|${s.nextSeq()}`);
    const perm: GraphObject = {
      id,
      roles: [b.type === "edit" ? "write" : "read"],
      link: { scope: b.scope ?? "organization", type: b.type, webUrl: `https://${s.spHost}/:u:/g/${id}`, preventsDownload: false },
      hasPassword: false,
      ...(b.expirationDateTime ? { expirationDateTime: b.expirationDateTime } : {}),
    };
    it.permissions.push(perm);
    s.touchDriveItem(d, it);
    return ok({ "@odata.context": `${r.base}/$metadata#microsoft.graph.permission`, ...perm }, 201);
  });
  router.on("DELETE", "/drives/:d/items/:i/permissions/:p", (r) => {
    const d = D(r);
    const it = itemOr404(d, r.params.i!);
    const n = it.permissions.length;
    it.permissions = it.permissions.filter((p) => p.id !== r.params.p);
    if (n === it.permissions.length) throw new GraphError(404, "itemNotFound", "The permission could not be found.");
    s.touchDriveItem(d, it);
    return noContent();
  });
}

/** GET/HEAD on a pre-authenticated download URL (no bearer token). */
export function serveDownload(env: DriveEnv, req: Request, url: URL, forceExpired: boolean, forceMalware: boolean): Reply {
  const tok = url.searchParams.get("tempauth") ?? "";
  const claims = env.jwt.verify(tok);
  if (forceExpired || typeof claims === "string")
    return { status: 401, json: { error_description: typeof claims === "string" ? claims : "Lifetime validation failed, the token is expired." }, headers: { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' } };
  const d = env.store.drives.get(String(claims.drive));
  const it = d?.items.get(String(claims.item));
  if (!d || !it || it.deleted) return { status: 404, json: { error: { code: "itemNotFound", message: "The resource could not be found." } } };
  if (it.malware || forceMalware)
    return { status: 403, headers: { "X-Virus-Infected": "true" }, json: { error: { code: "malwareDetected", message: "Malware detected in the file." } } };
  const src = env.store.driveContent(it);
  const range = parseRange(req.headers.get("range"), src.size);
  const common = { "Accept-Ranges": "bytes", "Content-Type": it.mimeType ?? "application/octet-stream", ETag: `"{${guid(env.store.seed, it.id).toUpperCase()}},${it.version}"`, "Content-Disposition": `attachment; filename="${encodeURIComponent(it.name)}"` };
  if (range === null) return { status: 416, headers: { ...common, "Content-Range": `bytes */${src.size}` }, bytes: new Uint8Array(0) };
  if (range) return { status: 206, headers: { ...common, "Content-Range": `bytes ${range.start}-${range.end - 1}/${src.size}` }, stream: { src, start: range.start, end: range.end } };
  return { status: 200, headers: common, stream: { src, start: 0, end: src.size } };
}

interface UploadState {
  received: number;
  total?: number;
  parts: Uint8Array[];
}

/** Upload sessions (drive files and mail/event attachments) live outside Graph and need no bearer token. */
export class Uploads {
  private readonly sessions = new Map<string, UploadState>();
  constructor(private readonly jwt: Jwt) {}

  url(root: string, kind: string, payload: Record<string, unknown>): string {
    const id = guid(Date.now(), Math.random().toString());
    const tok = this.jwt.sign({ ...payload, kind, sid: id, exp: Math.floor(Number(payload.exp) / 1000) });
    return `${root}/_upload/${kind}/${id}?tempauth=${tok}`;
  }

  claims(url: URL): Record<string, unknown> {
    const c = this.jwt.verify(url.searchParams.get("tempauth") ?? "");
    if (typeof c === "string") throw new GraphError(401, "unauthenticated", "The upload session token is invalid or expired.");
    return c;
  }

  /** Accepts one chunk; returns the assembled bytes when complete, or the next expected range. */
  async chunk(sid: string, req: Request): Promise<{ done: Uint8Array } | { next: string }> {
    const cr = req.headers.get("content-range");
    const m = cr && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim());
    if (!m) throw new GraphError(400, "invalidRequest", "Content-Range header is required and must be 'bytes start-end/total'.");
    const start = Number(m[1]);
    const end = Number(m[2]);
    const total = m[3] === "*" ? undefined : Number(m[3]);
    const body = new Uint8Array(await req.arrayBuffer());
    if (end - start + 1 !== body.length) throw new GraphError(400, "invalidRequest", `Content-Range length ${end - start + 1} does not match body length ${body.length}.`);
    let st = this.sessions.get(sid);
    if (!st) this.sessions.set(sid, (st = { received: 0, parts: [] }));
    if (total !== undefined) {
      if (st.total !== undefined && st.total !== total) throw new GraphError(400, "invalidRequest", "The total size changed during the upload session.");
      st.total = total;
      if (end >= total) throw new GraphError(416, "invalidRange", "The range end is beyond the declared total size.");
    }
    if (start !== st.received) {
      // Restarting from 0 (Corso retries a failed upload from the beginning with the same URL) resets the session.
      if (start === 0) st = { received: 0, parts: [], total: st.total };
      else throw new GraphError(416, "invalidRange", `The uploaded fragment does not start at the next expected byte ${st.received}.`);
      this.sessions.set(sid, st);
    }
    st.parts.push(body);
    st.received = end + 1;
    if (st.total !== undefined && st.received === st.total) {
      this.sessions.delete(sid);
      const out = new Uint8Array(st.total);
      let o = 0;
      for (const p of st.parts) {
        out.set(p, o);
        o += p.length;
      }
      return { done: out };
    }
    return { next: `${st.received}-` };
  }

  cancel(sid: string): void {
    this.sessions.delete(sid);
  }
}

export function finishDriveUpload(env: DriveEnv, c: Record<string, unknown>, data: Uint8Array): Reply {
  const s = env.store;
  const d = s.drives.get(String(c.drive));
  if (!d) throw new UsageError("drive vanished");
  if (c.item) {
    const it = d.items.get(String(c.item));
    if (!it || it.deleted) notFound("itemNotFound", "The resource could not be found.");
    it!.content = { data };
    it!.version++;
    s.touchDriveItem(d, it!);
    return ok(itemJson(env, d, it!), 200);
  }
  const parent = d.items.get(String(c.parent));
  if (!parent || parent.deleted) notFound("itemNotFound", "The parent folder could not be found.");
  const { it, created } = placeFile(env, d, parent!, String(c.name), String(c.behavior ?? "replace"), { data });
  return ok(itemJson(env, d, it), created ? 201 : 200);
}
