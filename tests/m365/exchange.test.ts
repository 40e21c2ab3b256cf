// Mail/contacts/events through the client against the simulator: paging, delta
// adds/updates/removes, delta-token expiry and reset, attachments, discovery.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DeltaEvent, GraphClient, GraphObject } from "../../lib/m365/graph/index.ts";
import { clientFor, firstUser, mutate, type Sim, startSimulator } from "./sim-helpers.ts";

let sim: Sim;
let g: GraphClient;
let user: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, users: 2, messages: 60, events: 6, contacts: 12, files: 2, fileSize: 1000, deltaTokenTtlSec: 3600 });
  g = clientFor(sim, { deltaPageSize: 7 });
  user = await firstUser(g);
});
afterAll(async () => {
  await sim?.stop();
});

interface Drained {
  added: GraphObject[];
  removed: GraphObject[];
  resets: number;
  end?: Extract<DeltaEvent, { type: "end" }>;
  pages: number;
}
async function drain(it: AsyncIterable<DeltaEvent>): Promise<Drained> {
  const d: Drained = { added: [], removed: [], resets: 0, pages: 0 };
  for await (const ev of it) {
    if (ev.type === "reset") {
      d.resets++;
      d.added = [];
      d.removed = [];
    } else if (ev.type === "page") {
      d.pages++;
      d.added.push(...ev.added);
      d.removed.push(...ev.removed);
    } else d.end = ev;
  }
  return d;
}

async function busiestFolder(): Promise<GraphObject> {
  const folders = await g.mail.folders(user);
  return folders.reduce((a, b) => (Number(b.totalItemCount ?? 0) > Number(a.totalItemCount ?? 0) ? b : a));
}

describe("mail", () => {
  test("folders: nested ones included, each listed once, parents resolvable", async () => {
    const folders = await g.mail.folders(user);
    const root = await g.mail.rootFolder(user);
    const ids = new Set(folders.map((f) => String(f.id)));
    expect(ids.size).toBe(folders.length);
    expect(folders.length).toBeGreaterThan(3);
    // exactly the mailbox's folders, hidden ones included
    const truth = sim.tenant.folders(user, "mail").filter((f) => f.id !== root.id).map((f) => f.id).sort();
    expect([...ids].sort()).toEqual(truth);
    for (const f of folders) {
      expect(f.parentFolderId === root.id || ids.has(String(f.parentFolderId))).toBe(true);
      const kids = folders.filter((k) => k.parentFolderId === f.id).length;
      expect(kids).toBeGreaterThanOrEqual(Number(f.childFolderCount ?? 0));
    }
  });

  test("delta pages through every message with small pages, ends with a deltaLink", async () => {
    const f = await busiestFolder();
    const before = g.stats().requests;
    const d = await drain(g.mail.messageDelta(user, String(f.id)));
    expect(d.resets).toBe(0);
    expect(d.added.length).toBe(Number(f.totalItemCount));
    expect(new Set(d.added.map((m) => m.id)).size).toBe(d.added.length);
    expect(d.pages).toBeGreaterThanOrEqual(Math.ceil(d.added.length / 7));
    expect(g.stats().requests - before).toBeGreaterThanOrEqual(d.pages);
    expect(typeof d.end?.deltaLink).toBe("string");
    expect(d.end?.reset).toBe(false);
    for (const m of d.added) expect(typeof m.lastModifiedDateTime).toBe("string");
  });

  test("incremental delta reports adds, updates and removals", async () => {
    const f = await busiestFolder();
    const first = await drain(g.mail.messageDelta(user, String(f.id)));
    const victim = String(first.added[0].id);
    const changed = String(first.added[1].id);
    const added = await mutate(sim, { op: "add", kind: "message", user, folder: String(f.id), item: { subject: "delta add" } });
    await mutate(sim, { op: "update", id: changed, patch: { subject: "changed" } });
    await mutate(sim, { op: "delete", id: victim });
    const inc = await drain(g.mail.messageDelta(user, String(f.id), first.end!.deltaLink));
    expect(inc.resets).toBe(0);
    const addedIds = inc.added.map((m) => String(m.id));
    expect(addedIds).toContain(added.id);
    expect(addedIds).toContain(changed);
    expect(addedIds).not.toContain(victim);
    expect(inc.removed.map((m) => String(m.id))).toEqual([victim]);
    expect(inc.added.length).toBe(2);
    expect(typeof inc.end?.deltaLink).toBe("string");
  });

  test("a rejected delta token yields a reset and a full re-enumeration", async () => {
    const f = await busiestFolder();
    const first = await drain(g.mail.messageDelta(user, String(f.id)));
    const link = first.end!.deltaLink!;
    const u = new URL(link);
    const key = [...u.searchParams.keys()].find((k) => /token/i.test(k));
    expect(key).toBeDefined();
    u.searchParams.set(key!, "bm90LWEtcmVhbC10b2tlbg");
    const resetsBefore = g.stats().deltaResets;
    const again = await drain(g.mail.messageDelta(user, String(f.id), u.toString()));
    expect(again.resets).toBe(1);
    expect(again.end?.reset).toBe(true);
    expect(again.added.length).toBe(Number((await g.mail.folder(user, String(f.id))).totalItemCount ?? again.added.length));
    expect(again.added.length).toBe(first.added.length);
    expect(g.stats().deltaResets).toBe(resetsBefore + 1);
  });

  test("message fetch keeps the raw body and merges attachments", async () => {
    const f = await busiestFolder();
    const d = await drain(g.mail.messageDelta(user, String(f.id)));
    let withAtt = 0;
    for (const ref of d.added.slice(0, 40)) {
      const m = await g.mail.getMessage(user, String(ref.id));
      expect(m.id).toBe(String(ref.id));
      expect(JSON.parse(m.raw).id).toBe(ref.id);
      if (m.json.hasAttachments === true) {
        withAtt++;
        expect(Array.isArray(m.json.attachments)).toBe(true);
        expect((m.json.attachments as unknown[]).length).toBeGreaterThan(0);
      }
    }
    expect(withAtt).toBeGreaterThan(0);
  });

  test("a missing message is a not-found GraphError with a one-line message", async () => {
    const e = await g.mail.getMessage(user, "AAMkAGnotthere=").catch((x) => x);
    expect(e.name).toBe("GraphError");
    expect(e.kind).toBe("not-found");
    expect(e.message).not.toContain("\n");
  });
});

describe("contacts and events", () => {
  test("contacts: folders, delta, fetch", async () => {
    const folders = await g.contacts.folders(user);
    expect(folders.length).toBeGreaterThanOrEqual(1);
    let total = 0;
    for (const f of folders) {
      const d = await drain(g.contacts.contactDelta(user, String(f.id)));
      total += d.added.length;
      if (d.added.length) {
        const c = await g.contacts.getContact(user, String(d.added[0].id));
        expect(c.json.id).toBe(d.added[0].id);
      }
    }
    expect(total).toBe(12);
  });

  test("events: calendars, beta delta, fetch with exception occurrences", async () => {
    const cals = await g.events.calendars(user);
    expect(cals.length).toBeGreaterThanOrEqual(1);
    let total = 0;
    for (const { calendar } of cals) {
      const d = await drain(g.events.eventDelta(user, String(calendar.id)));
      total += d.added.length;
      for (const ref of d.added) {
        const ev = await g.events.getEvent(user, String(ref.id));
        expect(ev.json.id).toBe(ref.id);
        if (Array.isArray(ev.json.exceptionOccurrences)) {
          for (const x of ev.json.exceptionOccurrences as GraphObject[]) expect(typeof x.id).toBe("string");
        }
      }
    }
    expect(total).toBe(6);
  });
});

describe("discovery", () => {
  test("users, user by UPN and ID, service checks", async () => {
    const users: GraphObject[] = [];
    for await (const u of g.discovery.users()) users.push(u);
    expect(users.length).toBe(2);
    const byUpn = await g.discovery.user(String(users[0].userPrincipalName));
    expect(byUpn.id).toBe(users[0].id);
    const byId = await g.discovery.user(String(users[0].id));
    expect(byId.userPrincipalName).toBe(users[0].userPrincipalName);
    expect(await g.discovery.mailboxEnabled(String(users[0].id))).toBe(true);
    expect(await g.discovery.oneDriveEnabled(String(users[0].id))).toBe(true);
    const missing = await g.discovery.user("nobody@nowhere.example").catch((e) => e);
    expect(missing.name).toBe("GraphError");
    expect(["user-not-found", "not-found"]).toContain(missing.kind);
  });

  test("every Graph request carries a client-request-id", async () => {
    const log = sim.requestLog().filter((r) => r.class !== "token");
    expect(log.length).toBeGreaterThan(20);
    expect(log.filter((r) => !r.clientRequestId).length).toBe(0);
  });
});

describe("delta token expiry", () => {
  test("a delta link past its lifetime resets and re-enumerates", async () => {
    const s2 = await startSimulator({ seed: 12, users: 1, messages: 20, events: 0, contacts: 0, files: 0, deltaTokenTtlSec: 1 });
    try {
      const c = clientFor(s2);
      const u = await firstUser(c);
      const inbox = s2.tenant.folderId(u, "mail", "inbox")!;
      const first = await drain(c.mail.messageDelta(u, inbox));
      expect(first.end?.deltaLink).toBeString();
      const fresh = await drain(c.mail.messageDelta(u, inbox, first.end!.deltaLink));
      expect(fresh.resets).toBe(0); // still valid right away
      await Bun.sleep(1600);
      const late = await drain(c.mail.messageDelta(u, inbox, fresh.end!.deltaLink));
      expect(late.resets).toBe(1);
      expect(late.end?.reset).toBe(true);
      expect(late.added.map((m) => m.id).sort()).toEqual(first.added.map((m) => m.id).sort());
      expect(late.end?.deltaLink).toBeString();
    } finally {
      await s2.stop();
    }
  }, 30_000);
});

describe("recurring events", () => {
  test("exception occurrences come back with their own attachments merged in", async () => {
    const cal = String((await g.events.defaultCalendar(user)).id);
    const b64 = (t: string) => Buffer.from(t).toString("base64");
    // Created through Graph (as a restore would); exceptionOccurrences on create is a simulator extension.
    const created = await g.request({
      method: "POST", service: "exchange", mailbox: user, url: `/users/${user}/calendars/${cal}/events`,
      json: {
        subject: "standup",
        start: { dateTime: "2026-03-02T09:00:00.0000000", timeZone: "UTC" },
        end: { dateTime: "2026-03-02T09:15:00.0000000", timeZone: "UTC" },
        recurrence: { pattern: { type: "daily", interval: 1 }, range: { type: "numbered", startDate: "2026-03-02", numberOfOccurrences: 5 } },
        attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", name: "agenda.txt", contentType: "text/plain", contentBytes: b64("agenda") }],
        exceptionOccurrences: [{
          originalStart: "2026-03-04T09:00:00Z", subject: "standup (moved)",
          start: { dateTime: "2026-03-04T10:00:00.0000000", timeZone: "UTC" },
          end: { dateTime: "2026-03-04T10:15:00.0000000", timeZone: "UTC" },
          attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", name: "notes.txt", contentType: "text/plain", contentBytes: b64("notes") }],
        }],
      },
    });
    const id = String(created.json().id);
    const ev = await g.events.getEvent(user, id);
    expect((ev.json.attachments as GraphObject[]).map((a) => a.name)).toEqual(["agenda.txt"]);
    const exc = ev.json.exceptionOccurrences as GraphObject[];
    expect(exc.length).toBe(1);
    expect(exc[0].subject).toBe("standup (moved)");
    const names = (exc[0].attachments as GraphObject[]).map((a) => a.name);
    expect(names).toContain("notes.txt");
    const notes = (exc[0].attachments as GraphObject[]).find((a) => a.name === "notes.txt")!;
    expect(Buffer.from(String(notes.contentBytes), "base64").toString()).toBe("notes");
    // the raw text is the beta GET as served, before the merge
    expect(JSON.parse(ev.raw).attachments).toBeUndefined();
  });
});

describe("client from the environment", () => {
  test("AZURE_* and CORSO_GRAPH_URL/CORSO_LOGIN_URL reach the simulator; missing secret is a usage error", async () => {
    const { createGraphClientFromEnv } = await import("../../lib/m365/graph/index.ts");
    const env = {
      AZURE_TENANT_ID: sim.tenantId, AZURE_CLIENT_ID: sim.clientId, AZURE_CLIENT_SECRET: sim.clientSecret,
      CORSO_GRAPH_URL: sim.graphBase, CORSO_LOGIN_URL: sim.loginBase,
    };
    const c = createGraphClientFromEnv(env);
    expect(c.endpoints.graphV1).toBe(sim.graphBase);
    expect((await c.discovery.user(user)).id).toBe(user);
    expect(() => createGraphClientFromEnv({ ...env, AZURE_CLIENT_SECRET: undefined })).toThrow(/AZURE_CLIENT_SECRET/);
  });
});

describe("sites, groups and probes", () => {
  test("sites listed without personal sites; a site by URL and by ID resolve to the same site", async () => {
    const sites: GraphObject[] = [];
    for await (const s of g.discovery.sites()) sites.push(s);
    expect(sites.length).toBeGreaterThan(0);
    for (const s of sites) expect(String(s.webUrl)).not.toContain("/personal/");
    const s0 = sites[0];
    expect((await g.discovery.site(String(s0.webUrl))).id).toBe(s0.id);
    expect((await g.discovery.site(String(s0.id))).webUrl).toBe(s0.webUrl);
    expect(await g.discovery.sharePointEnabled()).toBe(true);
    const missing = await g.discovery.site(String(s0.webUrl) + "-does-not-exist").catch((e) => e);
    expect(missing.name).toBe("GraphError");
    expect(missing.kind).toBe("not-found");
  });

  test("groups listed; a group by ID, mail and name", async () => {
    const groups: GraphObject[] = [];
    for await (const x of g.discovery.groups()) groups.push(x);
    expect(groups.length).toBeGreaterThan(0);
    const gr = groups[0];
    expect((await g.discovery.group(String(gr.id))).id).toBe(gr.id);
    expect((await g.discovery.group(String(gr.displayName))).id).toBe(gr.id);
    if (gr.mail) expect((await g.discovery.group(String(gr.mail))).id).toBe(gr.id);
    await expect(g.discovery.group("No Such Group Name")).rejects.toThrow(/not found/);
  });

  test("delta probe on the inbox", async () => {
    expect(await g.mail.deltaProbe(user)).toBe("ok");
  });
});
