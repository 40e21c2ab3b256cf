// Builds a Store from a TenantFixture, or generates a tenant from (seed, counts). Loading validates the
// fixture and reports problems as one-line UsageErrors.

import { UsageError } from "../errors.ts";
import { takeSeries } from "./events.ts";
import { personName } from "./generate.ts";
import { exchangeId, guid, hash32, isoNoMs } from "./ids.ts";
import { contentFromSpec, Store, type Container, type DriveRec, type SiteRec, type UserRec } from "./store.ts";
import type { FixtureCalendar, FixtureContactFolder, FixtureDrive, FixtureDriveItem, FixtureMailFolder, FixtureSite, GraphObject, SimOptions, TenantFixture } from "./types.ts";

const WELL_KNOWN_MAIL: [string, string, boolean][] = [
  ["Inbox", "inbox", false],
  ["Drafts", "drafts", false],
  ["Sent Items", "sentitems", false],
  ["Deleted Items", "deleteditems", false],
  ["Junk Email", "junkemail", false],
  ["Outbox", "outbox", false],
  ["Archive", "archive", false],
  ["Conversation History", "conversationhistory", false],
  ["Clutter", "clutter", true],
];
const CREATED = "2023-01-15T09:00:00Z";

function defaultFolders(s: Store, u: UserRec): void {
  for (const [name, wk, hidden] of WELL_KNOWN_MAIL) s.addContainer("mail", u.id, u.mailRoot, name, { wellKnown: wk, isHidden: hidden });
  s.addContainer("contact", u.id, u.contactRoot, "Contacts", { wellKnown: "contacts" });
  s.addContainer("calendar", u.id, u.calendarRoot, "Calendar", { wellKnown: "calendar" });
}

function oneDrive(s: Store, u: UserRec): DriveRec {
  const path = `/personal/${u.upn.replace(/[@.]/g, "_").toLowerCase()}`;
  const site = s.addSite({ name: u.upn.split("@")[0]!, displayName: u.displayName, path, host: s.myHost, personal: true, createdDateTime: CREATED });
  const d = s.addDrive(
    {
      id: s.newDriveId(`user|${u.id}`),
      name: "OneDrive",
      driveType: "business",
      owner: { user: { email: u.mail, id: u.id, displayName: u.displayName } },
      siteId: site.id,
      userId: u.id,
      webUrl: `https://${s.myHost}${path}/Documents`,
      createdDateTime: CREATED,
      description: "",
    },
    CREATED,
  );
  site.drives.push(d.id);
  u.driveId = d.id;
  return d;
}

function library(s: Store, site: SiteRec, name = "Documents", id?: string): DriveRec {
  const d = s.addDrive(
    {
      id: id ?? s.newDriveId(`site|${site.id}|${name}`),
      name,
      driveType: "documentLibrary",
      owner: site.groupId ? { group: { email: s.groups.get(site.groupId)?.mail, id: site.groupId, displayName: site.displayName } } : { user: { displayName: "System Account" } },
      siteId: site.id,
      webUrl: `https://${site.host}${site.path === "/" ? "" : site.path}/${name === "Documents" ? "Shared Documents" : encodeURIComponent(name)}`,
      createdDateTime: CREATED,
      description: "",
    },
    CREATED,
  );
  site.drives.push(d.id);
  return d;
}

function loadDriveItems(s: Store, d: DriveRec, parentId: string, items: FixtureDriveItem[], seed: number): void {
  for (const fi of items) {
    if (!fi.name) throw new UsageError(`fixture: drive item without a name in drive ${d.name}`);
    const isFolder = fi.folder === true || Array.isArray(fi.children);
    const it = s.addDriveItem(d, parentId, fi.name, {
      id: fi.id,
      folder: isFolder,
      content: isFolder ? undefined : contentFromSpec(fi.content ?? { text: "" }, seed),
      mimeType: fi.mimeType,
      malware: fi.malware,
      permissions: fi.permissions,
      created: fi.createdDateTime ?? CREATED,
      modified: fi.lastModifiedDateTime ?? fi.createdDateTime ?? CREATED,
    });
    if (isFolder) loadDriveItems(s, d, it.id, fi.children ?? [], seed);
  }
}

function cleanObj(o: GraphObject): GraphObject {
  const x = { ...o };
  delete x["@odata.context"];
  return x;
}

function loadMailFolder(s: Store, u: UserRec, parent: Container, f: FixtureMailFolder): void {
  if (!f.displayName) throw new UsageError(`fixture: mail folder without displayName for user ${u.upn}`);
  const wk = f.wellKnownName ?? WELL_KNOWN_MAIL.find(([n]) => n.toLowerCase() === f.displayName.toLowerCase())?.[1];
  let c = parent.children.map((id) => s.containers.get(id)!).find((x) => x.displayName.toLowerCase() === f.displayName.toLowerCase());
  if (!c) c = s.addContainer("mail", u.id, parent.id, f.displayName, { id: f.id, wellKnown: wk, isHidden: f.isHidden });
  c.virtualCount += f.generatedMessages ?? 0;
  for (const m of f.messages ?? []) {
    const obj = cleanObj(m);
    const atts = Array.isArray(obj.attachments) ? (obj.attachments as GraphObject[]) : [];
    delete obj.attachments;
    s.addStoredItem(c, obj, atts.map((a, i) => ({ id: exchangeId("AAMkAG", `fx|${String(obj.id ?? "")}|${i}`), ...a })));
  }
  for (const ch of f.childFolders ?? []) loadMailFolder(s, u, c, ch);
}

function loadContactFolder(s: Store, u: UserRec, parent: Container, f: FixtureContactFolder): void {
  let c = parent.children.map((id) => s.containers.get(id)!).find((x) => x.displayName.toLowerCase() === f.displayName.toLowerCase());
  if (!c) c = s.addContainer("contact", u.id, parent.id, f.displayName, { id: f.id });
  c.virtualCount += f.generatedContacts ?? 0;
  for (const ct of f.contacts ?? []) s.addStoredItem(c, cleanObj(ct));
  for (const ch of f.childFolders ?? []) loadContactFolder(s, u, c, ch);
}

function loadCalendar(s: Store, u: UserRec, f: FixtureCalendar): void {
  const root = s.containers.get(u.calendarRoot)!;
  let c = root.children.map((id) => s.containers.get(id)!).find((x) => (f.isDefault && x.wellKnown === "calendar") || x.displayName.toLowerCase() === f.name.toLowerCase());
  if (!c) c = s.addContainer("calendar", u.id, root.id, f.name, { id: f.id });
  c.virtualCount += f.generatedEvents ?? 0;
  for (const e of f.events ?? []) {
    const obj = cleanObj(e);
    const atts = Array.isArray(obj.attachments) ? (obj.attachments as GraphObject[]) : [];
    delete obj.attachments;
    const series = takeSeries(obj);
    if (obj.recurrence) obj.type ??= "seriesMaster";
    obj.organizer ??= { emailAddress: { name: u.displayName, address: u.mail } };
    const it = s.addStoredItem(c, obj, atts.map((a, i) => ({ id: exchangeId("AAMkAG", `fxe|${String(obj.id ?? "")}|${i}`), ...a })));
    if (series) it.series = series;
  }
}

function loadSite(s: Store, fs: FixtureSite, groupId?: string): SiteRec {
  if (!fs.path || !fs.name) throw new UsageError(`fixture: site needs name and path`);
  const site = s.addSite({ id: fs.id, name: fs.name, displayName: fs.displayName ?? fs.name, path: "/" + fs.path.replace(/^\/+/, ""), host: s.spHost, personal: false, groupId, createdDateTime: CREATED });
  const drives = fs.drives?.length ? fs.drives : [{ name: "Documents" } as FixtureDrive];
  for (const fd of drives) {
    const d = library(s, site, fd.name ?? "Documents", fd.id);
    loadDriveItems(s, d, d.rootId, fd.items ?? [], s.seed);
  }
  return site;
}

export function loadFixture(fx: TenantFixture): Store {
  if (!fx || typeof fx !== "object") throw new UsageError("fixture: not a JSON object");
  if (!fx.tenantId) throw new UsageError("fixture: tenantId is required");
  const seed = fx.seed ?? 1;
  const s = new Store(fx.tenantId, fx.domain ?? "contoso.onmicrosoft.com", seed, fx.app?.clientId ?? guid(seed, "app"), fx.app?.clientSecret ?? `sim-secret-${hash32(seed, "secret").toString(36)}`, fx.app?.certificates ?? []);
  const root = s.addSite({ name: "root", displayName: "Communication site", path: "/", host: s.spHost, personal: false, createdDateTime: CREATED });
  library(s, root);
  s.people = (fx.users ?? []).map((u) => ({ name: u.displayName, address: u.mail ?? u.userPrincipalName }));
  for (const fu of fx.users ?? []) {
    if (!fu.id || !fu.userPrincipalName || !fu.displayName) throw new UsageError("fixture: every user needs id, userPrincipalName and displayName");
    const u = s.addUser({ id: fu.id, upn: fu.userPrincipalName, displayName: fu.displayName, mail: fu.mail ?? fu.userPrincipalName, userType: fu.userType ?? "Member", props: fu.properties ?? {}, mailbox: fu.mailbox !== false, createdDateTime: CREATED });
    defaultFolders(s, u);
    for (const f of fu.mailFolders ?? []) loadMailFolder(s, u, s.containers.get(u.mailRoot)!, f);
    for (const f of fu.contactFolders ?? []) loadContactFolder(s, u, s.containers.get(u.contactRoot)!, f);
    for (const f of fu.calendars ?? []) loadCalendar(s, u, f);
    if (fu.onedrive !== false) {
      const d = oneDrive(s, u);
      loadDriveItems(s, d, d.rootId, fu.drive?.items ?? [], seed);
    }
  }
  for (const fs of fx.sites ?? []) loadSite(s, fs);
  for (const g of fx.groups ?? []) {
    if (!g.id || !g.displayName) throw new UsageError("fixture: every group needs id and displayName");
    const mail = g.mail ?? `${g.displayName.replace(/\W+/g, "")}@${s.domain}`;
    s.groups.set(g.id, { id: g.id, displayName: g.displayName, mail, groupTypes: g.groupTypes ?? ["Unified"], isTeam: g.isTeam ?? false, siteId: "", props: g.properties ?? {}, createdDateTime: CREATED });
    const site = loadSite(s, g.site ?? { name: mail.split("@")[0]!, displayName: g.displayName, path: `/sites/${mail.split("@")[0]}` }, g.id);
    s.groups.get(g.id)!.siteId = site.id;
  }
  return s;
}

export function generateTenant(o: SimOptions): Store {
  const seed = o.seed ?? 1;
  const nUsers = o.users ?? 3;
  const nFolders = o.folders ?? 2;
  const domain = "simcorp.onmicrosoft.com";
  const s = new Store(guid(seed, "tenant"), domain, seed, guid(seed, "app"), `sim-secret-${hash32(seed, "secret").toString(36)}`, []);
  const root = s.addSite({ name: "root", displayName: "Communication site", path: "/", host: s.spHost, personal: false, createdDateTime: CREATED });
  library(s, root);
  const users: UserRec[] = [];
  for (let i = 0; i < nUsers; i++) {
    const { first, last } = personName(i);
    const upn = `${first}${last[0]}${i >= 16 ? i : ""}@${domain}`;
    users.push(s.addUser({ id: guid(seed, `user|${i}`), upn, displayName: `${first} ${last}`, mail: upn, userType: "Member", props: { givenName: first, surname: last }, mailbox: true, createdDateTime: CREATED }));
  }
  s.people = users.map((u) => ({ name: u.displayName, address: u.mail }));
  for (const u of users) {
    defaultFolders(s, u);
    // Messages spread over Inbox and `folders` subfolders (every other one nested one level deeper).
    const inbox = s.container(u.id, "mail", "inbox")!;
    const mailFolders: Container[] = [inbox];
    for (let f = 0; f < nFolders; f++) {
      const parent = f % 2 === 1 ? mailFolders[f]! : inbox;
      mailFolders.push(s.addContainer("mail", u.id, parent.id, `Folder ${f + 1}`, {}));
    }
    spread(o.messages ?? 20, mailFolders);
    const contacts = s.container(u.id, "contact", "contacts")!;
    const cf: Container[] = [contacts];
    if (nFolders > 0) cf.push(s.addContainer("contact", u.id, contacts.id, "Colleagues", {}));
    spread(o.contacts ?? 10, cf);
    s.container(u.id, "calendar", "calendar")!.virtualCount = o.events ?? 10;
    const d = oneDrive(s, u);
    const folders = [d.rootId];
    for (let f = 0; f < nFolders; f++) folders.push(s.addDriveItem(d, folders[f % 2 === 1 ? f : 0]!, `Folder ${f + 1}`, { folder: true, created: CREATED }).id);
    const nFiles = o.files ?? 10;
    for (let i = 0; i < nFiles; i++) {
      s.addDriveItem(d, folders[i % folders.length]!, `file-${i}.bin`, { content: { gen: { seed, size: o.fileSize ?? 4096 } }, created: isoNoMs(Date.parse(CREATED) + i * 60_000) });
    }
  }
  const gid = guid(seed, "group|sales");
  s.groups.set(gid, { id: gid, displayName: "Sales Team", mail: `sales@${domain}`, groupTypes: ["Unified"], isTeam: true, siteId: "", props: {}, createdDateTime: CREATED });
  const site = s.addSite({ name: "sales", displayName: "Sales Team", path: "/sites/sales", host: s.spHost, personal: false, groupId: gid, createdDateTime: CREATED });
  library(s, site);
  s.groups.get(gid)!.siteId = site.id;
  return s;
}

function spread(n: number, cs: Container[]): void {
  const k = cs.length;
  cs.forEach((c, i) => (c.virtualCount += Math.floor(n / k) + (i < n % k ? 1 : 0)));
}
