import { afterAll, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../lib/graph-sim/index.ts";
import { client, token } from "./helpers.ts";

const sims: Simulator[] = [];
afterAll(() => Promise.all(sims.map((s) => s.stop())));

describe("generator", () => {
  test("a 1,000,000-message mailbox is served lazily", async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const sim = await startSimulator({ seed: 3, users: 1, messages: 1_000_000, folders: 0 });
    sims.push(sim);
    const c = client(sim, await token(sim));
    const u = sim.tenant.users()[0]!.id;
    const inbox = await c.get(`/users/${u}/mailFolders/inbox`);
    expect(inbox.body.totalItemCount).toBe(1_000_000);
    expect(inbox.body.unreadItemCount).toBe(300_000);
    let page = await c.get(`/users/${u}/mailFolders/inbox/messages/delta?$select=id,lastModifiedDateTime`, { Prefer: "odata.maxpagesize=500" });
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      expect(page.body.value.length).toBe(500);
      for (const v of page.body.value) seen.add(v.id);
      expect(page.body["@odata.deltaLink"]).toBeUndefined();
      page = await c.get(page.body["@odata.nextLink"], { Prefer: "odata.maxpagesize=500" });
    }
    expect(seen.size).toBe(2000);
    // The very last message is addressable without enumerating the folder.
    const folder = sim.tenant.folders(u, "mail").find((f) => f.displayName === "Inbox")!;
    expect(folder.itemCount).toBe(1_000_000);
    const firstIds = sim.tenant.itemIds(folder.id, 3);
    const tail = await c.get(`/users/${u}/mailFolders/inbox/messages?$select=id,subject&$skiptoken=${Buffer.from(JSON.stringify({ v: 999_999, o: 0 })).toString("base64url")}`);
    expect(tail.body.value.length).toBe(1);
    expect(tail.body.value[0].subject).toEndWith("#999999");
    const full = await c.get(`/users/${u}/messages/${tail.body.value[0].id}`);
    expect(full.status).toBe(200);
    expect(full.body.body.content.length).toBeGreaterThan(0);
    // Deleting one of the million is O(1) and shows in counts and in fetches.
    sim.tenant.delete(tail.body.value[0].id);
    expect((await c.get(`/users/${u}/messages/${tail.body.value[0].id}`)).status).toBe(404);
    expect((await c.get(`/users/${u}/mailFolders/inbox`)).body.totalItemCount).toBe(999_999);
    // Nothing proportional to the mailbox was kept: far below the ~1.5 GB the bodies would take.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(100 * 1024 * 1024);
  });

  test("same seed → identical tenant; different seed → different content", async () => {
    const a = await startSimulator({ seed: 11, users: 2, messages: 5, events: 3, contacts: 3 });
    const b = await startSimulator({ seed: 11, users: 2, messages: 5, events: 3, contacts: 3 });
    const z = await startSimulator({ seed: 12, users: 2, messages: 5, events: 3, contacts: 3 });
    sims.push(a, b, z);
    expect(a.tenantId).toBe(b.tenantId);
    expect(a.clientSecret).toBe(b.clientSecret);
    expect(a.tenantId).not.toBe(z.tenantId);
    const ca = client(a, await token(a));
    const cb = client(b, await token(b));
    const cz = client(z, await token(z));
    const ua = a.tenant.users()[1]!.id;
    const uz = z.tenant.users()[1]!.id;
    for (const kind of ["mail", "contact", "calendar"] as const) {
      const path = kind === "mail" ? "messages" : kind === "contact" ? "contacts" : "events";
      const fa = a.tenant.folderId(ua, kind, kind === "mail" ? "inbox" : kind === "contact" ? "contacts" : "calendar")!;
      const ida = a.tenant.itemIds(fa, 1)[0]!;
      const ra = await ca.get(`/users/${ua}/${path}/${ida}`);
      const rb = await cb.get(`/users/${ua}/${path}/${ida}`);
      expect(ra.status).toBe(200);
      expect(JSON.stringify(ra.body.body ?? ra.body.displayName)).toBe(JSON.stringify(rb.body.body ?? rb.body.displayName));
      const strip = (o: any) => ({ ...o, "@odata.context": undefined });
      expect(strip(ra.body)).toEqual(strip(rb.body));
      const fz = z.tenant.folderId(uz, kind, kind === "mail" ? "inbox" : kind === "contact" ? "contacts" : "calendar")!;
      const rz = await cz.get(`/users/${uz}/${path}/${z.tenant.itemIds(fz, 1)[0]!}`);
      expect(JSON.stringify(rz.body)).not.toBe(JSON.stringify(ra.body));
    }
  });
});
