// In-memory tenant model. Exchange folders hold "virtual" items (an index range whose JSON is generated on
// demand) plus stored items (fixture, POSTed or mutated ones). Every change appends to the container's change
// log with a tenant-wide sequence number; delta tokens are just sequence numbers, so a delta round costs
// O(changes) and a 1,000,000-message folder costs a few bytes until someone materialises an item.

import { UsageError } from "../errors.ts";
import { bufferContent, generatedContent, type ContentSource } from "./content.ts";
import { changeKeyFor, genAttachmentSpecs as genAttachmentSpecsFor, genContact, genEvent, genMessage, parseVirtualItemId, virtualItemId, type GenCtx, type Person } from "./generate.ts";
import { driveId as mkDriveId, driveItemId, exchangeId, guid, hash32, isoNoMs } from "./ids.ts";
import type { ExchangeFolderKind, ExchangeItemKind, GraphObject, MutateOp, MutateResult } from "./types.ts";
import { takeSeries } from "./events.ts";

export type ContainerKind = "mail" | "contact" | "calendar";
const KIND_PREFIX: Record<ContainerKind, "m" | "c" | "e"> = { mail: "m", contact: "c", calendar: "e" };

export interface UserRec {
  id: string;
  upn: string;
  displayName: string;
  mail: string;
  userType: string;
  props: GraphObject;
  mailbox: boolean;
  driveId?: string;
  mailRoot: string;
  contactRoot: string;
  calendarRoot: string;
  createdDateTime: string;
}

export interface StoredItem {
  id: string;
  containerId: string;
  obj: GraphObject;
  ord: number;
  version: number;
  attachments: GraphObject[];
  /** Recurring series state (seriesMaster events only). */
  series?: { cancelled: string[]; exceptions: Record<string, GraphObject> };
}

export interface Change {
  seq: number;
  id: string;
  removed: boolean;
}

export interface Container {
  id: string;
  num: number;
  kind: ContainerKind;
  userId: string;
  parentId: string | null;
  displayName: string;
  wellKnown?: string;
  isHidden: boolean;
  virtualCount: number;
  /** Virtual indices that were deleted or materialised into `stored`. */
  overrides: Set<number>;
  stored: Map<string, StoredItem>;
  changes: Change[];
  children: string[];
  deleted: boolean;
  /** Sequence at which the folder was created; tokens older than that are invalid for it. */
  createdSeq: number;
  extra: GraphObject;
}

export interface DriveItemRec {
  id: string;
  driveId: string;
  name: string;
  parentId: string | null;
  folder: boolean;
  children: string[];
  content?: { gen?: { seed: number; size: number }; data?: Uint8Array };
  version: number;
  mimeType?: string;
  malware: boolean;
  permissions: GraphObject[];
  createdDateTime: string;
  lastModifiedDateTime: string;
  deleted: boolean;
  seq: number;
  createdBy: { id?: string; displayName: string; email?: string };
}

export interface DriveRec {
  id: string;
  name: string;
  driveType: "business" | "documentLibrary";
  owner: GraphObject;
  siteId?: string;
  userId?: string;
  webUrl: string;
  rootId: string;
  items: Map<string, DriveItemRec>;
  changes: Change[];
  createdDateTime: string;
  description: string;
}

export interface SiteRec {
  id: string;
  name: string;
  displayName: string;
  path: string; // "/" or "/sites/x" or "/personal/x"
  host: string;
  drives: string[];
  personal: boolean;
  groupId?: string;
  createdDateTime: string;
}

export interface GroupRec {
  id: string;
  displayName: string;
  mail: string;
  groupTypes: string[];
  isTeam: boolean;
  siteId: string;
  props: GraphObject;
  createdDateTime: string;
}

export class Store {
  seq = 1;
  private ordSeq = 1;
  private idSeq = 1;
  readonly users = new Map<string, UserRec>();
  private readonly upn = new Map<string, string>();
  readonly containers = new Map<string, Container>();
  private readonly containerByNum: Container[] = [];
  private readonly wellKnown = new Map<string, Container>();
  /** Stored Exchange item id → container id. */
  private readonly itemIndex = new Map<string, string>();
  readonly drives = new Map<string, DriveRec>();
  /** Drive item id → drive id. */
  private readonly driveItemIndex = new Map<string, string>();
  readonly sites = new Map<string, SiteRec>();
  readonly groups = new Map<string, GroupRec>();
  people: Person[] = [];
  /** Extra per-event data for recurring series (cancelled dates, exceptions), keyed by master id. */
  readonly spHost: string;
  readonly myHost: string;

  constructor(
    readonly tenantId: string,
    readonly domain: string,
    readonly seed: number,
    readonly clientId: string,
    readonly clientSecret: string,
    readonly certificates: string[],
  ) {
    const label = domain.split(".")[0]!.toLowerCase();
    this.spHost = `${label}.sharepoint.com`;
    this.myHost = `${label}-my.sharepoint.com`;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  newId(prefix: string): string {
    return exchangeId(prefix, `s|${this.seed}|${this.idSeq++}|${Date.now()}`);
  }

  // ------------------------------------------------------------------ users

  addUser(u: Omit<UserRec, "mailRoot" | "contactRoot" | "calendarRoot">): UserRec {
    if (this.users.has(u.id)) throw new UsageError(`fixture: duplicate user id ${u.id}`);
    const rec: UserRec = { ...u, mailRoot: "", contactRoot: "", calendarRoot: "" };
    this.users.set(u.id, rec);
    this.upn.set(u.upn.toLowerCase(), u.id);
    rec.mailRoot = this.addContainer("mail", u.id, null, "Top of Information Store", { wellKnown: "msgfolderroot" }).id;
    // The contacts/calendar roots are not listable themselves; their well-known children are.
    rec.contactRoot = this.addContainer("contact", u.id, null, "Root", { wellKnown: "contactroot" }).id;
    rec.calendarRoot = this.addContainer("calendar", u.id, null, "Calendars", { wellKnown: "calendarroot" }).id;
    return rec;
  }

  user(idOrUpn: string): UserRec | undefined {
    const k = decodeURIComponent(idOrUpn);
    return this.users.get(k) ?? this.users.get(this.upn.get(k.toLowerCase()) ?? "");
  }

  userCtx(c: Container): GenCtx {
    const u = this.users.get(c.userId)!;
    return {
      seed: this.seed,
      userId: u.id,
      userName: u.displayName,
      userAddress: u.mail,
      people: this.people.filter((p) => p.address !== u.mail),
      containerId: c.id,
      key: String(c.num),
    };
  }

  // ------------------------------------------------------------------ containers

  addContainer(
    kind: ContainerKind,
    userId: string,
    parentId: string | null,
    displayName: string,
    o: { id?: string; wellKnown?: string; isHidden?: boolean; virtualCount?: number; extra?: GraphObject } = {},
  ): Container {
    const num = this.containerByNum.length;
    const id = o.id ?? exchangeId(kind === "calendar" ? "AAMkAGI2" : "AQMkAD", `f|${this.seed}|${userId}|${num}`);
    if (this.containers.has(id)) throw new UsageError(`fixture: duplicate folder id ${id}`);
    const c: Container = {
      id,
      num,
      kind,
      userId,
      parentId,
      displayName,
      wellKnown: o.wellKnown,
      isHidden: o.isHidden ?? false,
      virtualCount: o.virtualCount ?? 0,
      overrides: new Set(),
      stored: new Map(),
      changes: [],
      children: [],
      deleted: false,
      createdSeq: this.seq,
      extra: o.extra ?? {},
    };
    this.containerByNum.push(c);
    if (o.wellKnown) this.wellKnown.set(`${userId}|${kind}|${o.wellKnown}`, c);
    this.containers.set(id, c);
    if (parentId) this.containers.get(parentId)!.children.push(id);
    return c;
  }

  /** Resolves a folder id or well-known name for a user. */
  container(userId: string, kind: ContainerKind, idOrName: string): Container | undefined {
    const c = this.containers.get(idOrName);
    if (c && !c.deleted && c.userId === userId && c.kind === kind) return c;
    const wk = this.wellKnown.get(`${userId}|${kind}|${idOrName.toLowerCase()}`);
    return wk && !wk.deleted ? wk : undefined;
  }

  folderPath(c: Container): string[] {
    const out: string[] = [];
    let cur: Container | undefined = c;
    while (cur && cur.parentId) {
      out.unshift(cur.displayName);
      cur = this.containers.get(cur.parentId);
    }
    return out;
  }

  itemCount(c: Container): number {
    let deletedVirtual = 0;
    for (const i of c.overrides) if (i < c.virtualCount) deletedVirtual++;
    return c.virtualCount - deletedVirtual + c.stored.size;
  }

  // ------------------------------------------------------------------ exchange items

  addStoredItem(c: Container, obj: GraphObject, attachments: GraphObject[] = [], id?: string): StoredItem {
    const itemId = id ?? (typeof obj.id === "string" && obj.id ? obj.id : this.newId("AAMkAG"));
    if (this.itemIndex.has(itemId)) throw new UsageError(`duplicate item id ${itemId}`);
    const seq = this.nextSeq();
    const it: StoredItem = { id: itemId, containerId: c.id, obj: { ...obj, id: itemId }, ord: this.ordSeq++, version: 0, attachments };
    if (c.kind !== "calendar") it.obj.parentFolderId = c.id;
    this.stampVersion(it);
    c.stored.set(itemId, it);
    this.itemIndex.set(itemId, c.id);
    c.changes.push({ seq, id: itemId, removed: false });
    return it;
  }

  private stampVersion(it: StoredItem): void {
    const ck = changeKeyFor(this.seed, it.id, it.version);
    it.obj.changeKey = ck;
    it.obj["@odata.etag"] = `W/"${ck}"`;
  }

  virtualId(c: Container, index: number): string {
    return virtualItemId(KIND_PREFIX[c.kind], c.num, index);
  }

  genVirtual(c: Container, index: number): GraphObject {
    const id = this.virtualId(c, index);
    const ctx = this.userCtx(c);
    if (c.kind === "mail") return genMessage(ctx, id, index);
    if (c.kind === "contact") return genContact(ctx, id, index);
    return genEvent(ctx, id, index);
  }

  /** Finds an Exchange item (stored or virtual) by id. */
  findItem(id: string): { c: Container; stored?: StoredItem; index?: number } | undefined {
    const cid = this.itemIndex.get(id);
    if (cid) {
      const c = this.containers.get(cid)!;
      return { c, stored: c.stored.get(id)! };
    }
    const v = parseVirtualItemId(id);
    if (!v) return undefined;
    const c = this.containerByNum[v.containerNum];
    if (!c || c.deleted || KIND_PREFIX[c.kind] !== v.kind) return undefined;
    if (v.index >= c.virtualCount || c.overrides.has(v.index)) return undefined;
    return { c, index: v.index };
  }

  itemObject(f: { c: Container; stored?: StoredItem; index?: number }): GraphObject {
    return f.stored ? f.stored.obj : this.genVirtual(f.c, f.index!);
  }

  /** Turns a virtual item into a stored one (before it is changed or moved). */
  materialize(f: { c: Container; stored?: StoredItem; index?: number }): StoredItem {
    if (f.stored) return f.stored;
    const obj = this.genVirtual(f.c, f.index!);
    const id = obj.id as string;
    const atts = this.virtualAttachments(f.c, id, f.index!);
    f.c.overrides.add(f.index!);
    const it: StoredItem = { id, containerId: f.c.id, obj, ord: this.ordSeq++, version: 0, attachments: atts };
    f.c.stored.set(id, it);
    this.itemIndex.set(id, f.c.id);
    return it;
  }

  /** Generated attachments are metadata only; content is produced by attachmentContent(). */
  virtualAttachments(c: Container, msgId: string, index: number): GraphObject[] {
    if (c.kind !== "mail") return [];
    return genAttachmentSpecsFor(this.seed, msgId, index).map((a) => ({
      "@odata.type": "#microsoft.graph.fileAttachment",
      id: a.id,
      lastModifiedDateTime: "2024-06-01T12:00:00Z",
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      isInline: false,
      contentId: null,
      contentLocation: null,
      "@sim.generated": { seed: this.seed, key: `${msgId}|att|0`, size: a.size },
    }));
  }

  attachmentsOf(f: { c: Container; stored?: StoredItem; index?: number }): GraphObject[] {
    if (f.stored) return f.stored.attachments;
    return this.virtualAttachments(f.c, this.virtualId(f.c, f.index!), f.index!);
  }

  updateItem(id: string, patch: GraphObject): StoredItem {
    const f = this.findItem(id);
    if (!f) throw new UsageError(`item ${id} not found`);
    const it = this.materialize(f);
    for (const [k, v] of Object.entries(patch)) {
      if (k === "id" || k === "@odata.etag" || k === "changeKey") continue;
      it.obj[k] = v;
    }
    it.version++;
    it.obj.lastModifiedDateTime = isoNoMs(Date.now());
    this.stampVersion(it);
    f.c.changes.push({ seq: this.nextSeq(), id: it.id, removed: false });
    return it;
  }

  deleteItem(id: string): boolean {
    const f = this.findItem(id);
    if (!f) return false;
    if (f.stored) {
      f.c.stored.delete(id);
      this.itemIndex.delete(id);
    } else f.c.overrides.add(f.index!);
    f.c.changes.push({ seq: this.nextSeq(), id, removed: true });
    return true;
  }

  moveItem(id: string, toId: string): StoredItem {
    const f = this.findItem(id);
    if (!f) throw new UsageError(`item ${id} not found`);
    const to = this.containers.get(toId);
    if (!to || to.deleted || to.kind !== f.c.kind || to.userId !== f.c.userId) throw new UsageError(`destination folder ${toId} not found`);
    const it = this.materialize(f);
    f.c.stored.delete(id);
    f.c.changes.push({ seq: this.nextSeq(), id, removed: true });
    it.containerId = to.id;
    it.ord = this.ordSeq++;
    if (to.kind !== "calendar") it.obj.parentFolderId = to.id;
    it.version++;
    this.stampVersion(it);
    to.stored.set(id, it);
    this.itemIndex.set(id, to.id);
    to.changes.push({ seq: this.nextSeq(), id, removed: false });
    return it;
  }

  deleteContainer(id: string): void {
    const c = this.containers.get(id);
    if (!c || c.deleted || !c.parentId) throw new UsageError(`folder ${id} not found`);
    const rec = (x: Container) => {
      x.deleted = true;
      for (const sid of x.stored.keys()) this.itemIndex.delete(sid);
      for (const ch of x.children) rec(this.containers.get(ch)!);
    };
    rec(c);
    const p = this.containers.get(c.parentId)!;
    p.children = p.children.filter((x) => x !== id);
    this.nextSeq();
  }

  moveContainer(id: string, toId: string): void {
    const c = this.containers.get(id);
    const to = this.containers.get(toId);
    if (!c || c.deleted || !c.parentId || !to || to.deleted || to.kind !== c.kind) throw new UsageError(`folder move ${id} → ${toId}: not found`);
    const p = this.containers.get(c.parentId)!;
    p.children = p.children.filter((x) => x !== id);
    c.parentId = to.id;
    to.children.push(id);
    this.nextSeq();
  }

  /**
   * One page of a container's items in a stable order: virtual indices ascending, then stored items by
   * insertion. The cursor is [phase, position] so paging never materialises the folder.
   */
  pageItems(c: Container, cursor: { v: number; o: number }, limit: number): { items: GraphObject[]; next?: { v: number; o: number } } {
    const out: GraphObject[] = [];
    let v = cursor.v;
    while (v < c.virtualCount && out.length < limit) {
      if (!c.overrides.has(v)) out.push(this.genVirtual(c, v));
      v++;
    }
    if (out.length >= limit) return { items: out, next: v < c.virtualCount || c.stored.size > 0 ? { v, o: cursor.o } : undefined };
    let lastOrd = cursor.o;
    let more = false;
    for (const it of c.stored.values()) {
      if (it.ord <= cursor.o) continue;
      if (out.length >= limit) {
        more = true;
        break;
      }
      out.push(it.obj);
      lastOrd = it.ord;
    }
    return { items: out, next: more ? { v, o: lastOrd } : undefined };
  }

  /** Net changes in (fromSeq, toSeq]: the latest state per id. */
  changesSince(changes: Change[], fromSeq: number, toSeq: number): Change[] {
    let lo = 0,
      hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid]!.seq <= fromSeq) lo = mid + 1;
      else hi = mid;
    }
    const last = new Map<string, Change>();
    for (let i = lo; i < changes.length && changes[i]!.seq <= toSeq; i++) {
      const ch = changes[i]!;
      last.delete(ch.id);
      last.set(ch.id, ch);
    }
    return [...last.values()];
  }

  // ------------------------------------------------------------------ drives

  addDrive(d: Omit<DriveRec, "items" | "changes" | "rootId">, rootCreated: string): DriveRec {
    const rootId = driveItemId(this.seed, `${d.id}|root`);
    const drive: DriveRec = { ...d, rootId, items: new Map(), changes: [] };
    this.drives.set(d.id, drive);
    const root: DriveItemRec = {
      id: rootId,
      driveId: d.id,
      name: "root",
      parentId: null,
      folder: true,
      children: [],
      version: 0,
      malware: false,
      permissions: [],
      createdDateTime: rootCreated,
      lastModifiedDateTime: rootCreated,
      deleted: false,
      seq: this.nextSeq(),
      createdBy: (d.owner.user as DriveItemRec["createdBy"] | undefined) ?? { displayName: "System Account" },
    };
    drive.items.set(rootId, root);
    this.driveItemIndex.set(rootId, d.id);
    drive.changes.push({ seq: root.seq, id: rootId, removed: false });
    return drive;
  }

  newDriveId(key: string): string {
    return mkDriveId(this.seed, key);
  }

  addDriveItem(
    drive: DriveRec,
    parentId: string,
    name: string,
    o: {
      id?: string;
      folder?: boolean;
      content?: DriveItemRec["content"];
      mimeType?: string;
      malware?: boolean;
      permissions?: GraphObject[];
      created?: string;
      modified?: string;
      createdBy?: DriveItemRec["createdBy"];
    },
  ): DriveItemRec {
    const parent = drive.items.get(parentId);
    if (!parent || parent.deleted || !parent.folder) throw new UsageError(`drive folder ${parentId} not found`);
    const id = o.id ?? driveItemId(this.seed, `${drive.id}|${parentId}|${name}|${this.idSeq++}`);
    if (this.driveItemIndex.has(id)) throw new UsageError(`duplicate drive item id ${id}`);
    const now = isoNoMs(Date.now());
    const it: DriveItemRec = {
      id,
      driveId: drive.id,
      name,
      parentId,
      folder: !!o.folder,
      children: [],
      content: o.folder ? undefined : (o.content ?? { data: new Uint8Array(0) }),
      version: 1,
      mimeType: o.mimeType,
      malware: !!o.malware,
      permissions: o.permissions ?? [],
      createdDateTime: o.created ?? now,
      lastModifiedDateTime: o.modified ?? o.created ?? now,
      deleted: false,
      seq: this.nextSeq(),
      createdBy: o.createdBy ?? (drive.owner.user as DriveItemRec["createdBy"] | undefined) ?? { displayName: "System Account" },
    };
    drive.items.set(id, it);
    this.driveItemIndex.set(id, drive.id);
    parent.children.push(id);
    drive.changes.push({ seq: it.seq, id, removed: false });
    return it;
  }

  driveOfItem(itemId: string): DriveRec | undefined {
    const d = this.driveItemIndex.get(itemId);
    return d ? this.drives.get(d) : undefined;
  }

  touchDriveItem(drive: DriveRec, it: DriveItemRec): void {
    it.seq = this.nextSeq();
    it.lastModifiedDateTime = isoNoMs(Date.now());
    drive.changes.push({ seq: it.seq, id: it.id, removed: false });
  }

  deleteDriveItem(drive: DriveRec, id: string): void {
    const it = drive.items.get(id);
    if (!it || it.deleted || it.parentId === null) throw new UsageError(`drive item ${id} not found`);
    const parent = drive.items.get(it.parentId)!;
    parent.children = parent.children.filter((x) => x !== id);
    const rec = (x: DriveItemRec) => {
      for (const ch of x.children) rec(drive.items.get(ch)!);
      x.deleted = true;
      x.seq = this.nextSeq();
      drive.changes.push({ seq: x.seq, id: x.id, removed: true });
    };
    rec(it);
  }

  moveDriveItem(drive: DriveRec, id: string, toId: string, newName?: string): DriveItemRec {
    const it = drive.items.get(id);
    const to = drive.items.get(toId);
    if (!it || it.deleted || it.parentId === null) throw new UsageError(`drive item ${id} not found`);
    if (!to || to.deleted || !to.folder) throw new UsageError(`drive folder ${toId} not found`);
    for (let p: DriveItemRec | undefined = to; p; p = p.parentId ? drive.items.get(p.parentId) : undefined) {
      if (p.id === id) throw new UsageError(`cannot move ${id} into its own subtree`);
    }
    const parent = drive.items.get(it.parentId)!;
    parent.children = parent.children.filter((x) => x !== id);
    to.children.push(id);
    it.parentId = toId;
    if (newName) it.name = newName;
    this.touchDriveItem(drive, it);
    return it;
  }

  driveItemPath(drive: DriveRec, it: DriveItemRec): string[] {
    const out: string[] = [];
    let cur: DriveItemRec | undefined = it;
    while (cur && cur.parentId !== null) {
      out.unshift(cur.name);
      cur = drive.items.get(cur.parentId);
    }
    return out;
  }

  resolveDrivePath(drive: DriveRec, path: string): DriveItemRec | undefined {
    let cur = drive.items.get(drive.rootId)!;
    for (const seg of path.split("/").filter(Boolean)) {
      const name = decodeURIComponent(seg).toLowerCase();
      const next = cur.children.map((c) => drive.items.get(c)!).find((c) => !c.deleted && c.name.toLowerCase() === name);
      if (!next) return undefined;
      cur = next;
    }
    return cur;
  }

  driveContent(it: DriveItemRec): ContentSource {
    if (it.content?.gen) return generatedContent(it.content.gen.seed, `${it.id}|v${it.version}`, it.content.gen.size);
    return bufferContent(it.content?.data ?? new Uint8Array(0));
  }

  driveItemSize(drive: DriveRec, it: DriveItemRec): number {
    if (!it.folder) return it.content?.gen?.size ?? it.content?.data?.length ?? 0;
    let s = 0;
    for (const c of it.children) s += this.driveItemSize(drive, drive.items.get(c)!);
    return s;
  }

  /** Items in parent-before-child order (what a fresh delta enumerates). */
  driveOrder(drive: DriveRec): string[] {
    const out: string[] = [];
    const walk = (id: string) => {
      const it = drive.items.get(id)!;
      out.push(id);
      for (const c of it.children) walk(c);
    };
    walk(drive.rootId);
    return out;
  }

  // ------------------------------------------------------------------ sites / groups

  addSite(s: Omit<SiteRec, "id" | "drives"> & { id?: string }): SiteRec {
    const id = s.id ?? `${s.host},${guid(this.seed, "site|" + s.host + s.path)},${guid(this.seed, "web|" + s.host + s.path)}`;
    const rec: SiteRec = { ...s, id, drives: [] };
    this.sites.set(id, rec);
    return rec;
  }

  siteByPath(host: string, path: string): SiteRec | undefined {
    const p = ("/" + path.replace(/^\/+|\/+$/g, "")).toLowerCase();
    for (const s of this.sites.values()) if (s.host.toLowerCase() === host.toLowerCase() && s.path.toLowerCase() === p) return s;
    return undefined;
  }

  // ------------------------------------------------------------------ admin

  mutate(op: MutateOp): MutateResult {
    switch (op.op) {
      case "add":
        return this.adminAdd(op);
      case "update": {
        const drive = this.driveOfItem(op.id);
        if (drive) {
          const it = drive.items.get(op.id)!;
          if (it.deleted) throw new UsageError(`drive item ${op.id} not found`);
          if (op.patch && typeof op.patch.name === "string") it.name = op.patch.name;
          if (op.content) {
            it.content = contentFromSpec(op.content, this.seed);
            it.version++;
          }
          this.touchDriveItem(drive, it);
          return { id: op.id };
        }
        const c = this.containers.get(op.id);
        if (c && !c.deleted) {
          if (op.patch && typeof (op.patch.displayName ?? op.patch.name) === "string") c.displayName = String(op.patch.displayName ?? op.patch.name);
          this.nextSeq();
          return { id: op.id };
        }
        return { id: this.updateItem(op.id, op.patch ?? {}).id };
      }
      case "delete": {
        const drive = this.driveOfItem(op.id);
        if (drive) {
          this.deleteDriveItem(drive, op.id);
          return { id: op.id };
        }
        if (this.containers.has(op.id)) {
          this.deleteContainer(op.id);
          return { id: op.id };
        }
        if (!this.deleteItem(op.id)) throw new UsageError(`item ${op.id} not found`);
        return { id: op.id };
      }
      case "move": {
        const drive = this.driveOfItem(op.id);
        if (drive) return { id: this.moveDriveItem(drive, op.id, op.to).id };
        if (this.containers.has(op.id)) {
          this.moveContainer(op.id, op.to);
          return { id: op.id };
        }
        return { id: this.moveItem(op.id, op.to).id };
      }
      default:
        throw new UsageError(`unknown mutate op ${(op as { op: string }).op}`);
    }
  }

  private adminAdd(op: Extract<MutateOp, { op: "add" }>): MutateResult {
    if (op.kind === "file" || op.kind === "driveFolder") {
      let drive: DriveRec | undefined;
      if (op.drive) drive = this.drives.get(op.drive);
      else if (op.user) {
        const u = this.user(op.user);
        drive = u?.driveId ? this.drives.get(u.driveId) : undefined;
      }
      if (!drive) throw new UsageError(`drive for ${op.drive ?? op.user ?? "?"} not found`);
      let parent = drive.items.get(drive.rootId)!;
      if (op.parent) {
        const p = drive.items.get(op.parent) ?? this.resolveDrivePath(drive, op.parent);
        if (!p || p.deleted || !p.folder) throw new UsageError(`drive folder ${op.parent} not found`);
        parent = p;
      }
      const it = this.addDriveItem(drive, parent.id, op.name, {
        folder: op.kind === "driveFolder",
        content: op.kind === "file" ? contentFromSpec(op.content ?? { text: "" }, this.seed) : undefined,
        malware: "malware" in op ? op.malware : false,
      });
      return { id: it.id };
    }
    const u = this.user(String(op.user ?? ""));
    if (!u) throw new UsageError(`user ${op.user} not found`);
    const ckind: ContainerKind = op.kind === "message" || op.kind === "mailFolder" ? "mail" : op.kind === "contact" || op.kind === "contactFolder" ? "contact" : "calendar";
    if (op.kind === "mailFolder" || op.kind === "contactFolder" || op.kind === "calendar") {
      const defaultParent = ckind === "mail" ? u.mailRoot : ckind === "contact" ? u.contactRoot : u.calendarRoot;
      const parent = op.parent ? this.container(u.id, ckind, op.parent) : this.containers.get(defaultParent);
      if (!parent) throw new UsageError(`parent folder ${op.parent} not found`);
      return { id: this.addContainer(ckind, u.id, parent.id, op.displayName, {}).id };
    }
    const iop = op as Extract<MutateOp, { kind: ExchangeItemKind }>;
    const c = this.container(u.id, ckind, String(iop.folder ?? ""));
    if (!c) throw new UsageError(`folder ${iop.folder} not found for ${op.user}`);
    const item = { ...(iop.item ?? defaultItem(op.kind as ExchangeItemKind, this.seq)) };
    delete item.id;
    const atts = Array.isArray(item.attachments) ? (item.attachments as GraphObject[]) : [];
    delete item.attachments;
    // Same server-side effects as the Graph POST route: series extensions become the stored series, and
    // hasAttachments reflects non-inline attachments (clients fetch attachments only when it is true).
    const series = op.kind === "event" ? takeSeries(item) : undefined;
    const it = this.addStoredItem(c, completeItem(op.kind as ExchangeItemKind, item), atts.map((a, i) => ({ id: exchangeId("AAMkAG", `att|${this.idSeq++}|${i}`), ...a })));
    if (series) it.series = series;
    if (atts.some((a) => !a.isInline)) it.obj.hasAttachments = true;
    return { id: it.id };
  }
}


export function contentFromSpec(c: { text?: string; base64?: string; size?: number; seed?: number }, seed: number): DriveItemRec["content"] {
  if (typeof c.text === "string") return { data: new TextEncoder().encode(c.text) };
  if (typeof c.base64 === "string") return { data: new Uint8Array(Buffer.from(c.base64, "base64")) };
  if (typeof c.size === "number" && c.size >= 0) return { gen: { seed: c.seed ?? seed, size: c.size } };
  throw new UsageError("content needs text, base64 or size");
}

function defaultItem(kind: ExchangeItemKind, n: number): GraphObject {
  if (kind === "message") return { subject: `Simulated message ${n}`, body: { contentType: "text", content: `Body ${n}` } };
  if (kind === "contact") return { displayName: `Contact ${n}`, givenName: "Contact", surname: String(n) };
  return { subject: `Event ${n}`, start: { dateTime: "2024-06-01T10:00:00.0000000", timeZone: "UTC" }, end: { dateTime: "2024-06-01T11:00:00.0000000", timeZone: "UTC" } };
}

/** Fills the server-assigned properties Graph adds to a created item. */
export function completeItem(kind: ExchangeItemKind | ExchangeFolderKind, obj: GraphObject): GraphObject {
  const now = isoNoMs(Date.now());
  const base: GraphObject = { createdDateTime: now, lastModifiedDateTime: now, categories: [] };
  if (kind === "message") {
    return {
      ...base,
      receivedDateTime: now,
      sentDateTime: now,
      hasAttachments: false,
      internetMessageId: `<${hash32(Date.now() & 0xffff, JSON.stringify(obj.subject ?? "")).toString(16)}.${Math.random().toString(36).slice(2)}@sim.outlook.com>`,
      subject: "",
      bodyPreview: "",
      importance: "normal",
      isRead: true,
      isDraft: false,
      body: { contentType: "text", content: "" },
      toRecipients: [],
      ccRecipients: [],
      bccRecipients: [],
      replyTo: [],
      flag: { flagStatus: "notFlagged" },
      ...obj,
      ...(typeof obj.bodyPreview !== "string" && obj.body && typeof (obj.body as GraphObject).content === "string"
        ? { bodyPreview: String((obj.body as GraphObject).content).replace(/<[^>]*>/g, "").slice(0, 255) }
        : {}),
    };
  }
  if (kind === "contact") return { ...base, emailAddresses: [], businessPhones: [], homePhones: [], ...obj };
  if (kind === "event") {
    return {
      ...base,
      type: obj.recurrence ? "seriesMaster" : "singleInstance",
      isAllDay: false,
      isCancelled: false,
      isOrganizer: true,
      showAs: "busy",
      attendees: [],
      iCalUId: "040000008200E00074C5B7101A82E008" + guid(Date.now(), Math.random().toString()).replace(/-/g, "").toUpperCase(),
      recurrence: null,
      hasAttachments: false,
      ...obj,
    };
  }
  return obj;
}
