// Exchange endpoints: mail folders/messages, contact folders/contacts, calendars/events, attachments,
// delta queries and the write calls restore needs.

import { generatedContent } from "./content.ts";
import { expandInstances, findInstance, instanceObject, takeSeries } from "./events.ts";
import { unreadVirtual, isReadIndex } from "./generate.ts";
import { badRequest, noContent, notFound, ok, pageSize, type Reply, type Req, type Router } from "./http.ts";
import { b64urlJson, exchangeId, fromB64urlJson, isoNoMs } from "./ids.ts";
import { GraphError, parseFilter, parseSelect, project } from "./odata.ts";
import { completeItem, type Container, type ContainerKind, type Store, type StoredItem, type UserRec } from "./store.ts";
import type { GraphObject } from "./types.ts";

export interface ExchangeEnv {
  store: Store;
  deltaTtlSec: number;
  maxPage: number;
  uploadUrl(kind: "attachment", payload: Record<string, unknown>): string;
}

const K = {
  mail: { folders: "mailFolders", items: "messages", type: "#microsoft.graph.message", entity: "message" },
  contact: { folders: "contactFolders", items: "contacts", type: "#microsoft.graph.contact", entity: "contact" },
  calendar: { folders: "calendars", items: "events", type: "#microsoft.graph.event", entity: "event" },
} as const;

function mailbox(env: ExchangeEnv, r: Req): UserRec {
  const u = env.store.user(r.params.u!);
  if (!u) throw new GraphError(404, "ErrorInvalidUser", `The requested user '${r.params.u}' is invalid.`);
  if (!u.mailbox) throw new GraphError(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
  return u;
}

function rootOf(u: UserRec, kind: ContainerKind): string {
  return kind === "mail" ? u.mailRoot : kind === "contact" ? u.contactRoot : u.calendarRoot;
}

function folder(env: ExchangeEnv, u: UserRec, kind: ContainerKind, id: string): Container {
  const c = env.store.container(u.id, kind, id);
  if (!c || (kind !== "mail" && !c.parentId)) notFound("ErrorItemNotFound", "The specified object was not found in the store.");
  return c!;
}

export function folderJson(env: ExchangeEnv, c: Container): GraphObject {
  const s = env.store;
  if (c.kind === "mail") {
    let unread = unreadVirtual(c.virtualCount);
    for (const i of c.overrides) if (i < c.virtualCount && !isReadIndex(i)) unread--;
    for (const it of c.stored.values()) if (it.obj.isRead === false) unread++;
    return {
      id: c.id,
      displayName: c.displayName,
      parentFolderId: c.parentId ?? exchangeId("AQMkAD", `root|${c.userId}`),
      childFolderCount: c.children.filter((x) => !s.containers.get(x)!.deleted).length,
      unreadItemCount: unread,
      totalItemCount: s.itemCount(c),
      isHidden: c.isHidden,
      ...c.extra,
    };
  }
  if (c.kind === "contact") return { id: c.id, displayName: c.displayName, parentFolderId: c.parentId, ...c.extra };
  const u = s.users.get(c.userId)!;
  return {
    id: c.id,
    name: c.displayName,
    color: "auto",
    hexColor: "",
    isDefaultCalendar: c.wellKnown === "calendar",
    changeKey: Buffer.from(`cal:${c.num}`).toString("base64"),
    canShare: true,
    canViewPrivateItems: true,
    canEdit: true,
    allowedOnlineMeetingProviders: ["teamsForBusiness"],
    defaultOnlineMeetingProvider: "teamsForBusiness",
    isTallyingResponses: true,
    isRemovable: c.wellKnown !== "calendar",
    owner: { name: u.displayName, address: u.mail },
    ...c.extra,
  };
}

function listFolders(env: ExchangeEnv, r: Req, kind: ContainerKind, parent: Container, recursive: boolean): Reply {
  const s = env.store;
  const hidden = (r.q.get("includeHiddenFolders") ?? r.q.get("includehiddenfolders")) === "true";
  const all: Container[] = [];
  const walk = (p: Container) => {
    for (const id of p.children) {
      const c = s.containers.get(id)!;
      if (c.deleted || (c.isHidden && !hidden)) continue;
      all.push(c);
      if (recursive) walk(c);
    }
  };
  walk(parent);
  let objs = all.map((c) => folderJson(env, c));
  if (kind === "calendar") {
    const u = s.users.get(parent.userId)!;
    objs = objs.map((o) => ({ "@odata.id": `${r.base}/users('${u.id}@${s.tenantId}')/calendars('${o.id}')`, ...o }));
  }
  const f = r.q.get("$filter");
  if (f) {
    const flt = parseFilter(f);
    objs = objs.filter((o) => flt.eval(o));
  }
  return paged(r, objs, pageSize(r, 10, 1000), `${r.base}/$metadata#users('${r.params.u}')/${K[kind].folders}`);
}

/** Offset paging over an in-memory array (folders, users, drives); cursor in $skiptoken. */
export function paged(r: Req, objs: GraphObject[], size: number, context: string, extra: GraphObject = {}): Reply {
  const start = Number(fromB64urlJson<{ o: number }>(r.q.get("$skiptoken") ?? "")?.o ?? 0);
  const sel = parseSelect(r.q);
  const page = objs.slice(start, start + size).map((o) => project(o, sel));
  const body: GraphObject = { "@odata.context": context, ...extra, value: page };
  if (start + size < objs.length) {
    const u = new URL(r.base + r.path);
    for (const [k, v] of r.q) if (k !== "$skiptoken") u.searchParams.set(k, v);
    u.searchParams.set("$skiptoken", b64urlJson({ o: start + size }));
    body["@odata.nextLink"] = u.toString();
  }
  return ok(body);
}

async function createFolder(env: ExchangeEnv, r: Req, kind: ContainerKind, parent: Container): Promise<Reply> {
  const body = await r.json();
  const name = String(kind === "calendar" ? (body.name ?? "") : (body.displayName ?? ""));
  if (!name.trim()) badRequest(`The ${kind === "calendar" ? "name" : "displayName"} property is required.`, "ErrorInvalidParameter");
  for (const id of parent.children) {
    const c = env.store.containers.get(id)!;
    if (!c.deleted && c.displayName.toLowerCase() === name.toLowerCase())
      throw new GraphError(409, "ErrorFolderExists", "A folder with the specified name already exists.");
  }
  const c = env.store.addContainer(kind, parent.userId, parent.id, name, { isHidden: body.isHidden === true });
  return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${K[kind].folders}/$entity`, ...folderJson(env, c) }, 201);
}

// ------------------------------------------------------------------ items & delta

interface DeltaState {
  c: string; // container id
  m: "i" | "c"; // initial enumeration | changes since token
  v?: number;
  o?: number;
  off?: number;
  f?: number; // from seq (changes mode)
  s: number; // enumeration snapshot seq
  sel?: string[];
  t: number; // issued (ms)
  n?: number; // page size asked for on the first call
}

function itemOut(kind: ContainerKind, obj: GraphObject, sel: string[] | undefined): GraphObject {
  const o = project(obj, sel);
  return { "@odata.type": K[kind].type, ...o };
}

function deltaReply(env: ExchangeEnv, r: Req, kind: ContainerKind, c: Container, linkBase: string): Reply {
  const s = env.store;
  const dt = r.q.get("$deltatoken") ?? r.q.get("deltatoken");
  const sk = r.q.get("$skiptoken") ?? r.q.get("skiptoken");
  let st: DeltaState;
  const now = Date.now();
  if (dt || sk) {
    const d = fromB64urlJson<DeltaState>((dt ?? sk)!);
    if (!d || typeof d.s !== "number" || !d.c) throw new GraphError(400, "SyncStateInvalid", "The sync state is invalid or corrupted.");
    if (d.c !== c.id) throw new GraphError(400, "SyncStateInvalid", "The sync state does not belong to this folder.");
    if (now - d.t > env.deltaTtlSec * 1000)
      throw new GraphError(410, "SyncStateNotFound", "The sync state generation is not found. Please re-initialize the sync without a sync state.");
    if (dt) st = { c: c.id, m: "c", f: d.s, s: s.seq, off: 0, sel: d.sel, t: now, n: d.n };
    else st = d;
  } else {
    st = { c: c.id, m: "i", v: 0, o: 0, s: s.seq, sel: parseSelect(r.q), t: now };
  }
  const size = r.prefer.maxPageSize || r.q.get("$top") ? pageSize(r, 10, env.maxPage) : (st.n ?? 10);
  st.n = size;
  const value: GraphObject[] = [];
  let next: DeltaState | undefined;
  if (st.m === "i") {
    const p = s.pageItems(c, { v: st.v ?? 0, o: st.o ?? 0 }, size);
    for (const obj of p.items) value.push(itemOut(kind, obj, st.sel));
    if (p.next) next = { ...st, v: p.next.v, o: p.next.o };
  } else {
    const ch = s.changesSince(c.changes, st.f!, st.s);
    const off = st.off ?? 0;
    for (const x of ch.slice(off, off + size)) {
      const f = !x.removed ? s.findItem(x.id) : undefined;
      if (f && f.c.id === c.id) value.push(itemOut(kind, s.itemObject(f), st.sel));
      else value.push({ "@odata.type": K[kind].type, id: x.id, "@removed": { reason: "deleted" } });
    }
    if (off + size < ch.length) next = { ...st, off: off + size };
  }
  const body: GraphObject = { "@odata.context": `${r.base}/$metadata#Collection(${K[kind].entity})`, value };
  if (next) body["@odata.nextLink"] = `${linkBase}?$skiptoken=${b64urlJson(next)}`;
  else body["@odata.deltaLink"] = `${linkBase}?$deltatoken=${b64urlJson({ c: c.id, s: st.s, sel: st.sel, t: now, n: st.n })}`;
  return ok(body);
}

function listItems(env: ExchangeEnv, r: Req, kind: ContainerKind, c: Container): Reply {
  const s = env.store;
  const sel = parseSelect(r.q);
  const size = pageSize(r, 10, env.maxPage);
  const flt = r.q.get("$filter") ? parseFilter(r.q.get("$filter")!) : undefined;
  const cur = fromB64urlJson<{ v: number; o: number }>(r.q.get("$skiptoken") ?? "") ?? { v: 0, o: 0 };
  const value: GraphObject[] = [];
  let cursor: { v: number; o: number } | undefined = cur;
  // A filter may reject whole pages; keep pulling until the page is full or the folder ends.
  while (cursor && value.length < size) {
    const p = s.pageItems(c, cursor, size - value.length);
    for (const o of p.items) if (!flt || flt.eval(o)) value.push(itemOut(kind, o, sel));
    cursor = p.next;
  }
  const body: GraphObject = { "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${K[kind].folders}('${c.id}')/${K[kind].items}`, value };
  if (cursor) {
    const u = new URL(r.base + r.path);
    for (const [k, v] of r.q) if (k !== "$skiptoken") u.searchParams.set(k, v);
    u.searchParams.set("$skiptoken", b64urlJson(cursor));
    body["@odata.nextLink"] = u.toString();
  }
  return ok(body);
}

function attachmentOut(env: ExchangeEnv, a: GraphObject, expandItem: boolean, withBytes = true): GraphObject {
  const o: GraphObject = { ...a };
  const gen = o["@sim.generated"] as { seed: number; key: string; size: number } | undefined;
  delete o["@sim.generated"];
  if (gen && withBytes) o.contentBytes = Buffer.from(generatedContent(gen.seed, gen.key, gen.size).read(0, gen.size)).toString("base64");
  if (!withBytes) delete o.contentBytes;
  if (o["@odata.type"] === "#microsoft.graph.itemAttachment" && !expandItem) delete o.item;
  return o;
}

function resolveItem(env: ExchangeEnv, u: UserRec, kind: ContainerKind, id: string): { c: Container; stored?: StoredItem; index?: number } {
  const f = env.store.findItem(id);
  if (!f || f.c.userId !== u.id || f.c.kind !== kind) notFound();
  return f!;
}

function expandWants(r: Req, what: string): boolean {
  return (r.q.get("$expand") ?? "").toLowerCase().split(",").some((x) => x.trim().toLowerCase().includes(what));
}

function applyExtendedProps(obj: GraphObject): void {
  const props = obj.singleValueExtendedProperties as { id: string; value: string }[] | undefined;
  delete obj.singleValueExtendedProperties;
  let draft = true;
  for (const p of props ?? []) {
    const id = p.id.toLowerCase().replace(/\s+/g, " ");
    if (id === "integer 0x0e07") draft = (Number(p.value) & 8) !== 0;
    if (id === "systemtime 0x0039") obj.sentDateTime = isoNoMs(Date.parse(p.value));
    if (id === "systemtime 0x0e06") obj.receivedDateTime = isoNoMs(Date.parse(p.value));
  }
  // Graph creates a POSTed message as a draft unless PidTagMessageFlags says otherwise.
  obj.isDraft = draft;
}

async function createItem(env: ExchangeEnv, r: Req, kind: ContainerKind, c: Container): Promise<Reply> {
  const body = await r.json<GraphObject>();
  if (typeof body !== "object" || body === null || Array.isArray(body)) badRequest("Empty Payload. JSON content expected.", "ErrorInvalidRequest");
  const obj: GraphObject = { ...body };
  for (const k of ["id", "@odata.etag", "@odata.context", "changeKey"]) delete obj[k];
  const atts = Array.isArray(obj.attachments) ? (obj.attachments as GraphObject[]) : [];
  delete obj.attachments;
  if (kind === "mail") applyExtendedProps(obj);
  const series = kind === "calendar" ? takeSeries(obj) : undefined;
  const full = completeItem(kind === "mail" ? "message" : kind === "contact" ? "contact" : "event", obj);
  if (kind === "calendar") {
    const u = env.store.users.get(c.userId)!;
    full.organizer ??= { emailAddress: { name: u.displayName, address: u.mail } };
  }
  const it = env.store.addStoredItem(c, full, atts.map((a, i) => normalizeAttachment(env, a, i)));
  if (series) it.series = series;
  if (atts.some((a) => !a.isInline)) it.obj.hasAttachments = true;
  return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${K[kind].items}/$entity`, ...it.obj }, 201);
}


export function normalizeAttachment(env: ExchangeEnv, a: GraphObject, i: number): GraphObject {
  const t = String(a["@odata.type"] ?? "#microsoft.graph.fileAttachment");
  const type = t.startsWith("#") ? t : "#" + t;
  const o: GraphObject = {
    id: typeof a.id === "string" ? a.id : env.store.newId("AAMkAGatt"),
    lastModifiedDateTime: isoNoMs(Date.now()),
    name: a.name ?? `attachment${i}`,
    contentType: a.contentType ?? (type.endsWith("itemAttachment") ? null : "application/octet-stream"),
    isInline: a.isInline ?? false,
    ...a,
    "@odata.type": type,
  };
  if (type.endsWith("fileAttachment")) {
    o.contentId ??= null;
    o.contentLocation ??= null;
    o.contentBytes ??= "";
    o.size = typeof a.size === "number" ? a.size : Buffer.from(String(o.contentBytes), "base64").length;
  } else if (typeof o.size !== "number") o.size = JSON.stringify(o.item ?? {}).length;
  return o;
}

// ------------------------------------------------------------------ routes

export function exchangeRoutes(router: Router, env: ExchangeEnv): void {
  const s = env.store;

  for (const kind of ["mail", "contact", "calendar"] as ContainerKind[]) {
    const F = K[kind].folders;
    const I = K[kind].items;

    router.on("GET", `/users/:u/${F}`, (r) => {
      const u = mailbox(env, r);
      // beta /mailFolders returns nested folders too (Corso relies on this); v1.0 only top level.
      return listFolders(env, r, kind, s.containers.get(rootOf(u, kind))!, kind === "mail" && r.version === "beta");
    });
    router.on("POST", `/users/:u/${F}`, (r) => {
      const u = mailbox(env, r);
      return createFolder(env, r, kind, s.containers.get(rootOf(u, kind))!);
    });
    router.on("GET", `/users/:u/${F}/:f`, (r) => {
      const u = mailbox(env, r);
      const c = folder(env, u, kind, r.params.f!);
      return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${F}/$entity`, ...project(folderJson(env, c), parseSelect(r.q)) });
    });
    router.on("PATCH", `/users/:u/${F}/:f`, async (r) => {
      const u = mailbox(env, r);
      const c = folder(env, u, kind, r.params.f!);
      const b = await r.json();
      const name = b.displayName ?? b.name;
      if (typeof name === "string") c.displayName = name;
      s.nextSeq();
      return ok(folderJson(env, c));
    });
    router.on("DELETE", `/users/:u/${F}/:f`, (r) => {
      const u = mailbox(env, r);
      const c = folder(env, u, kind, r.params.f!);
      if (c.wellKnown) throw new GraphError(403, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted.");
      s.deleteContainer(c.id);
      return noContent();
    });
    if (kind !== "calendar") {
      router.on("GET", `/users/:u/${F}/:f/childFolders`, (r) => {
        const u = mailbox(env, r);
        return listFolders(env, r, kind, folder(env, u, kind, r.params.f!), false);
      });
      router.on("POST", `/users/:u/${F}/:f/childFolders`, (r) => {
        const u = mailbox(env, r);
        return createFolder(env, r, kind, folder(env, u, kind, r.params.f!));
      });
    }
    router.on("GET", `/users/:u/${F}/:f/${I}`, (r) => listItems(env, r, kind, folder(env, mailbox(env, r), kind, r.params.f!)));
    router.on("POST", `/users/:u/${F}/:f/${I}`, (r) => createItem(env, r, kind, folder(env, mailbox(env, r), kind, r.params.f!)));
    router.on("GET", `/users/:u/${F}/:f/${I}/delta`, (r) => {
      const c = folder(env, mailbox(env, r), kind, r.params.f!);
      return deltaReply(env, r, kind, c, `${r.base}/users/${encodeURIComponent(r.params.u!)}/${F}/${encodeURIComponent(r.params.f!)}/${I}/delta`);
    });
    router.on("GET", `/users/:u/${F}/:f/${I}/:id`, (r) => getItem(env, r, kind));
    router.on("GET", `/users/:u/${I}/:id`, (r) => getItem(env, r, kind));
    router.on("PATCH", `/users/:u/${I}/:id`, async (r) => {
      const u = mailbox(env, r);
      const inst = kind === "calendar" ? findInstance(s, r.params.id!) : undefined;
      const patch = await r.json<GraphObject>();
      if (inst) {
        inst.series.exceptions[inst.date] = { ...(inst.series.exceptions[inst.date] ?? {}), ...patch };
        s.updateItem(inst.master.id, {});
        return ok(instanceObject(s, inst.master, inst.date));
      }
      const f = resolveItem(env, u, kind, r.params.id!);
      const it = s.updateItem(f.stored?.id ?? s.virtualId(f.c, f.index!), patch);
      return ok(it.obj);
    });
    router.on("DELETE", `/users/:u/${I}/:id`, (r) => {
      const u = mailbox(env, r);
      const inst = kind === "calendar" ? findInstance(s, r.params.id!) : undefined;
      if (inst) {
        if (!inst.series.cancelled.includes(inst.date)) inst.series.cancelled.push(inst.date);
        s.updateItem(inst.master.id, {});
        return noContent();
      }
      resolveItem(env, u, kind, r.params.id!);
      s.deleteItem(r.params.id!);
      return noContent();
    });
    router.on("POST", `/users/:u/${I}/:id/move`, async (r) => {
      const u = mailbox(env, r);
      resolveItem(env, u, kind, r.params.id!);
      const b = await r.json();
      const to = folder(env, u, kind, String(b.destinationId ?? ""));
      return ok(s.moveItem(r.params.id!, to.id).obj, 201);
    });

    if (kind === "contact") continue;
    // attachments (messages and events)
    const att = (r: Req) => attachmentTarget(env, mailbox(env, r), kind, r.params.id!);
    for (const prefix of [`/users/:u/${I}/:id`, `/users/:u/${F}/:f/${I}/:id`]) {
      router.on("GET", `${prefix}/attachments`, (r) => {
        const { list } = att(r);
        const expand = expandWants(r, "item");
        const sel = parseSelect(r.q);
        return ok({
          "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${I}('${r.params.id}')/attachments`,
          value: list.map((a) => project(attachmentOut(env, a, expand, !sel || sel.includes("contentBytes")), sel)),
        });
      });
      router.on("GET", `${prefix}/attachments/:a`, (r) => {
        const a = att(r).list.find((x) => x.id === r.params.a);
        if (!a) notFound();
        return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${I}('${r.params.id}')/attachments/$entity`, ...attachmentOut(env, a!, expandWants(r, "item")) });
      });
      router.on("GET", `${prefix}/attachments/:a/$value`, (r) => {
        const a = att(r).list.find((x) => x.id === r.params.a);
        if (!a) notFound();
        const o = attachmentOut(env, a!, true);
        if (typeof o.contentBytes !== "string") return ok(o.item ?? {});
        return { status: 200, bytes: new Uint8Array(Buffer.from(o.contentBytes, "base64")), headers: { "Content-Type": String(o.contentType ?? "application/octet-stream") } };
      });
      router.on("DELETE", `${prefix}/attachments/:a`, (r) => {
        let found = false;
        att(r).mutate((list) => {
          const i = list.findIndex((x) => x.id === r.params.a);
          if (i < 0) notFound();
          list.splice(i, 1);
          found = true;
        });
        return found ? noContent() : notFound();
      });
      router.on("POST", `${prefix}/attachments`, async (r) => {
        const t = att(r);
        const body = await r.json<GraphObject>();
        if (!body["@odata.type"]) badRequest("The property '@odata.type' is required for attachments.", "ErrorInvalidRequest");
        const a = normalizeAttachment(env, body, t.list.length);
        t.mutate((list) => list.push(a));
        return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/${I}('${r.params.id}')/attachments/$entity`, ...attachmentOut(env, a, true) }, 201);
      });
      router.on("POST", `${prefix}/attachments/createUploadSession`, async (r) => {
        const t = att(r);
        const body = await r.json<{ AttachmentItem?: GraphObject; attachmentItem?: GraphObject }>();
        const ai = body.AttachmentItem ?? body.attachmentItem;
        if (!ai || typeof ai.size !== "number" || !ai.name) badRequest("AttachmentItem with name and size is required.", "ErrorInvalidRequest");
        if ((ai!.size as number) > 150 * 1024 * 1024) throw new GraphError(413, "ErrorAttachmentSizeLimitExceeded", "The attachment exceeds the 150 MB limit.");
        const exp = Date.now() + 3600_000;
        const url = env.uploadUrl("attachment", { user: r.params.u!, item: t.id, name: ai!.name, size: ai!.size, contentType: ai!.contentType ?? "application/octet-stream", isInline: ai!.isInline ?? false, contentId: ai!.contentId ?? null, exp, base: r.base, kind: I });
        return ok({ "@odata.context": `${r.base}/$metadata#microsoft.graph.uploadSession`, uploadUrl: url, expirationDateTime: new Date(exp).toISOString(), nextExpectedRanges: ["0-"] }, 201);
      });
    }
  }

  // calendar extras
  router.on("GET", "/users/:u/calendar", (r) => {
    const u = mailbox(env, r);
    return ok({ "@odata.context": `${r.base}/$metadata#users('${r.params.u}')/calendars/$entity`, ...folderJson(env, s.container(u.id, "calendar", "calendar")!) });
  });
  router.on("GET", "/users/:u/events", (r) => listItems(env, r, "calendar", s.container(mailbox(env, r).id, "calendar", "calendar")!));
  router.on("POST", "/users/:u/events", (r) => createItem(env, r, "calendar", s.container(mailbox(env, r).id, "calendar", "calendar")!));
  router.on("GET", "/users/:u/calendar/events", (r) => listItems(env, r, "calendar", s.container(mailbox(env, r).id, "calendar", "calendar")!));
  router.on("GET", "/users/:u/events/delta", (r) => {
    const c = s.container(mailbox(env, r).id, "calendar", "calendar")!;
    return deltaReply(env, r, "calendar", c, `${r.base}/users/${encodeURIComponent(r.params.u!)}/events/delta`);
  });
  router.on("GET", "/users/:u/events/:id/instances", (r) => instancesReply(env, r, mailbox(env, r)));
  router.on("GET", "/users/:u/calendars/:f/events/:id/instances", (r) => instancesReply(env, r, mailbox(env, r)));
  router.on("GET", "/users/:u/calendarView", (r) => calendarView(env, r, mailbox(env, r)));
  router.on("GET", "/users/:u/calendarView/delta", (r) => calendarView(env, r, mailbox(env, r)));
  router.on("GET", "/users/:u/contactFolders/:f/contacts/:id", (r) => getItem(env, r, "contact"));
  router.on("POST", "/users/:u/mailFolders/:f/move", async (r) => {
    const u = mailbox(env, r);
    const c = folder(env, u, "mail", r.params.f!);
    const b = await r.json();
    const to = folder(env, u, "mail", String(b.destinationId ?? ""));
    s.moveContainer(c.id, to.id);
    return ok(folderJson(env, c), 201);
  });
  router.on("GET", "/users/:u/mailboxSettings", (r) => {
    const u = mailbox(env, r);
    return ok({
      "@odata.context": `${r.base}/$metadata#users('${u.id}')/mailboxSettings`,
      archiveFolder: s.container(u.id, "mail", "archive")?.id ?? "",
      timeZone: "UTC",
      delegateMeetingMessageDeliveryOptions: "sendToDelegateOnly",
      dateFormat: "M/d/yyyy",
      timeFormat: "h:mm tt",
      userPurpose: "user",
      automaticRepliesSetting: { status: "disabled", externalAudience: "all", internalReplyMessage: "", externalReplyMessage: "" },
      language: { locale: "en-US", displayName: "English (United States)" },
      workingHours: { daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday"], startTime: "08:00:00.0000000", endTime: "17:00:00.0000000", timeZone: { name: "UTC" } },
    });
  });
}

/** Attachment list of an item or of a recurring-event occurrence, with a mutator that records the change. */
export function attachmentTarget(env: ExchangeEnv, u: UserRec, kind: ContainerKind, id: string): { id: string; list: GraphObject[]; mutate(fn: (list: GraphObject[]) => void): void } {
  const s = env.store;
  const inst = kind === "calendar" ? findInstance(s, id) : undefined;
  if (inst) {
    const list = (inst.series.exceptions[inst.date]?.attachments as GraphObject[] | undefined) ?? [];
    return {
      id,
      list,
      mutate(fn) {
        const ex = (inst.series.exceptions[inst.date] ??= {});
        const arr = ((ex.attachments as GraphObject[] | undefined) ??= []);
        fn(arr);
        ex.hasAttachments = arr.some((x) => !x.isInline);
        s.updateItem(inst.master.id, {});
      },
    };
  }
  const f = resolveItem(env, u, kind, id);
  return {
    id,
    list: s.attachmentsOf(f),
    mutate(fn) {
      const it = s.materialize(f);
      fn(it.attachments);
      s.updateItem(it.id, { hasAttachments: it.attachments.some((x) => !x.isInline) });
    },
  };
}

function getItem(env: ExchangeEnv, r: Req, kind: ContainerKind): Reply {
  const s = env.store;
  const u = mailbox(env, r);
  const sel = parseSelect(r.q);
  const ctx = `${r.base}/$metadata#users('${r.params.u}')/${K[kind].items}/$entity`;
  if (kind === "calendar") {
    const inst = findInstance(s, r.params.id!);
    if (inst) return ok({ "@odata.context": ctx, ...project(instanceObject(s, inst.master, inst.date), sel) });
  }
  const f = resolveItem(env, u, kind, r.params.id!);
  let obj: GraphObject = { ...s.itemObject(f) };
  if (kind === "calendar" && f.stored?.series) {
    const series = f.stored.series;
    if (r.version === "beta") obj.cancelledOccurrences = series.cancelled.map((d) => `OID.${f.stored!.id}.${d}`);
    if (expandWants(r, "exceptionoccurrences")) obj.exceptionOccurrences = Object.keys(series.exceptions).filter((d) => !series.cancelled.includes(d)).sort().map((d) => instanceObject(s, f.stored!, d));
  }
  if (expandWants(r, "attachments")) obj.attachments = s.attachmentsOf(f).map((a) => attachmentOut(env, a, true));
  obj = project(obj, sel);
  return ok({ "@odata.context": ctx, ...obj });
}

function window(r: Req): { a: number; b: number } {
  const a = Date.parse((r.q.get("startDateTime") ?? r.q.get("startdatetime") ?? "") + (/(Z|[+-]\d\d:\d\d)$/.test(r.q.get("startDateTime") ?? r.q.get("startdatetime") ?? "") ? "" : "Z"));
  const b = Date.parse((r.q.get("endDateTime") ?? r.q.get("enddatetime") ?? "") + (/(Z|[+-]\d\d:\d\d)$/.test(r.q.get("endDateTime") ?? r.q.get("enddatetime") ?? "") ? "" : "Z"));
  if (!Number.isFinite(a) || !Number.isFinite(b))
    badRequest("This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.", "ErrorInvalidParameter");
  return { a, b };
}

function instancesReply(env: ExchangeEnv, r: Req, u: UserRec): Reply {
  const { a, b } = window(r);
  const f = resolveItem(env, u, "calendar", r.params.id!);
  const it = env.store.materialize(f);
  const list = it.series ? expandInstances(env.store, it, a, b) : [];
  return paged(r, list, pageSize(r, 10, 1000), `${r.base}/$metadata#Collection(event)`);
}

function calendarView(env: ExchangeEnv, r: Req, u: UserRec): Reply {
  const s = env.store;
  const dt = r.q.get("$deltatoken");
  let w: { a: number; b: number };
  if (dt) {
    const d = fromB64urlJson<{ a: number; b: number; t: number }>(dt);
    if (!d) throw new GraphError(400, "SyncStateInvalid", "The sync state is invalid or corrupted.");
    if (Date.now() - d.t > env.deltaTtlSec * 1000) throw new GraphError(410, "SyncStateNotFound", "The sync state generation is not found.");
    w = d;
  } else w = window(r);
  const c = s.container(u.id, "calendar", "calendar")!;
  const out: GraphObject[] = [];
  let cursor: { v: number; o: number } | undefined = { v: 0, o: 0 };
  while (cursor) {
    const p = s.pageItems(c, cursor, 500);
    for (const o of p.items) {
      if (o.type === "seriesMaster") {
        const it = s.findItem(o.id as string)?.stored;
        if (it) out.push(...expandInstances(s, it, w.a, w.b));
      } else {
        const st = Date.parse(((o.start as GraphObject)?.dateTime as string) + "Z");
        if (st >= w.a && st < w.b) out.push(o);
      }
    }
    cursor = p.next;
  }
  const res = paged(r, out, pageSize(r, 10, 1000), `${r.base}/$metadata#Collection(event)`);
  const body = res.json as GraphObject;
  if (r.path.toLowerCase().endsWith("/delta") && !body["@odata.nextLink"]) body["@odata.deltaLink"] = `${r.base}/users/${encodeURIComponent(r.params.u!)}/calendarView/delta?$deltatoken=${b64urlJson({ ...w, t: Date.now() })}`;
  return res;
}
