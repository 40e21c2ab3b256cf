import { afterEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../lib/graph-sim/index.ts";
import { client, token } from "./helpers.ts";

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});
async function boot(o: Parameters<typeof startSimulator>[0]) {
  const sim = await startSimulator(o);
  sims.push(sim);
  const c = client(sim, await token(sim));
  const u = sim.tenant.users()[0]!.id;
  return { sim, c, u };
}

describe("throttling", () => {
  test("5 concurrent requests to one mailbox → exactly one 429 MailboxConcurrency with Retry-After", async () => {
    const { sim, c, u } = await boot({ users: 2, messages: 3, latency: { fixedMs: 300, perKbMs: 0 } });
    const rs = await Promise.all(Array.from({ length: 5 }, () => c.get(`/users/${u}/mailFolders/inbox`)));
    const throttled = rs.filter((r) => r.status === 429);
    expect(throttled.length).toBe(1);
    expect(throttled[0]!.body.error.code).toBe("ApplicationThrottled");
    expect(throttled[0]!.body.error.message).toContain("MailboxConcurrency");
    expect(Number(throttled[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(rs.filter((r) => r.status === 200).length).toBe(4);
    const k = sim.counters();
    expect(k.concurrency[u]!.peak).toBe(4);
    expect(k.concurrency[u]!.current).toBe(0);
    expect(k.throttledBy.concurrency).toBe(1);
    // another mailbox is unaffected
    const other = sim.tenant.users()[1]!.id;
    const mixed = await Promise.all([...Array.from({ length: 4 }, () => c.get(`/users/${u}/mailFolders/inbox`)), c.get(`/users/${other}/mailFolders/inbox`)]);
    expect(mixed.every((r) => r.status === 200)).toBe(true);
  });

  test("request-count window per mailbox (lowered limit) → 429 with Retry-After", async () => {
    const { sim, c, u } = await boot({ users: 1, messages: 1, limits: { mailboxRequestsPerWindow: 5, mailboxWindowSec: 600 } });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await c.get(`/users/${u}/mailFolders/inbox`)).status);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const r = await c.get(`/users/${u}/mailFolders/inbox`);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(500);
    expect(sim.counters().throttledBy.window).toBe(3);
    expect((await c.get(`/users`)).status).toBe(200); // directory calls are not mailbox calls
  });

  test("SharePoint resource units: delta without token costs 2, permissions 5", async () => {
    const { sim, c, u } = await boot({ users: 1, files: 2, limits: { driveResourceUnitsPerMinute: 6 } });
    const d = sim.tenant.driveId(u)!;
    expect((await c.get(`/drives/${d}/root/delta`)).status).toBe(200); // 2
    expect((await c.get(`/drives/${d}`)).status).toBe(200); // 3
    const perm = await c.get(`/drives/${d}/root/permissions`); // 3 + 5 > 6
    expect(perm.status).toBe(429);
    expect(perm.body.error.code).toBe("activityLimitReached");
    expect(Number(perm.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(sim.counters().resourceUnits).toBe(3);
  });
});

describe("faults", () => {
  test("5xx kinds with path filter and max count", async () => {
    const { sim, c, u } = await boot({ users: 1, messages: 2 });
    for (const code of ["500", "502", "503", "504"] as const) {
      sim.setFaults({ [code]: 1, path: "/mailFolders", max: 1 });
      const r = await c.get(`/users/${u}/mailFolders/inbox`);
      expect(r.status).toBe(Number(code));
      expect(r.body.error.innerError["request-id"]).toBeDefined();
      expect((await c.get(`/users/${u}/mailFolders/inbox`)).status).toBe(200); // max reached
    }
    sim.setFaults({ "503": 1, path: "/mailFolders" });
    expect((await c.get(`/users`)).status).toBe(200); // path does not match
    sim.setFaults({});
    expect(sim.counters().faults).toEqual({ "500": 1, "502": 1, "503": 1, "504": 1 });
  });

  test("throttle fault carries Retry-After; notFound and corruptData on message GET", async () => {
    const { sim, c, u } = await boot({ users: 1, messages: 2 });
    const id = sim.tenant.itemIds(sim.tenant.folderId(u, "mail", "inbox")!, 1)[0]!;
    sim.setFaults({ throttle: 1, max: 1 });
    const t = await c.get(`/users/${u}/messages/${id}`);
    expect(t.status).toBe(429);
    expect(t.headers.get("retry-after")).toBe("1");
    sim.setFaults({ notFound: 1, max: 1 });
    expect((await c.get(`/users/${u}/mailFolders/inbox`)).status).toBe(200); // not an item GET
    expect((await c.get(`/users/${u}/messages/${id}`)).body.error.code).toBe("ErrorItemNotFound");
    sim.setFaults({ corruptData: 1, max: 1 });
    const cd = await c.get(`/users/${u}/messages/${id}`);
    expect(cd.status).toBe(500);
    expect(cd.body.error.code).toBe("ErrorCorruptData");
    expect((await c.get(`/users/${u}/messages/${id}`)).status).toBe(200);
  });

  test("item deleted between listing and fetch → 404", async () => {
    const { sim, c, u } = await boot({ users: 1, messages: 3, folders: 0 });
    const listed = await c.all(`/users/${u}/mailFolders/inbox/messages/delta?$select=id`);
    sim.tenant.delete(listed.values[1].id);
    const r = await c.get(`/users/${u}/messages/${listed.values[1].id}`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("ErrorItemNotFound");
  });

  test("garbage JSON for one item", async () => {
    const { sim, c, u } = await boot({ users: 1, messages: 2 });
    const id = sim.tenant.itemIds(sim.tenant.folderId(u, "mail", "inbox")!, 1)[0]!;
    sim.setFaults({ garbageJson: 1, path: "/messages/", max: 1 });
    const r = await c.get(`/users/${u}/messages/${id}`);
    expect(r.status).toBe(200);
    expect(typeof r.body).toBe("string");
    expect(() => JSON.parse(r.body)).toThrow();
  });

  test("connection reset mid-body and slow bodies", async () => {
    const { sim, c, u } = await boot({ users: 1, files: 1, fileSize: 500_000, folders: 0 });
    const d = sim.tenant.driveId(u)!;
    const file = sim.tenant.driveItems(d).find((x) => !x.folder)!;
    const url = (await c.get(`/drives/${d}/items/${file.id}`)).body["@microsoft.graph.downloadUrl"];
    sim.setFaults({ rules: [{ kind: "reset", rate: 1, path: "download", max: 1, afterBytes: 70_000 }] });
    let failed = false;
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    // a resumed Range request gets the rest
    const rest = await fetch(url, { headers: { Range: "bytes=70000-" } });
    expect((await rest.arrayBuffer()).byteLength).toBe(430_000);
    sim.setFaults({ rules: [{ kind: "reset", rate: 1, path: "/users", max: 1, afterBytes: 10 }] });
    let jsonFailed = false;
    try {
      const res = await fetch(`${sim.graphBase}/users`, { headers: { Authorization: `Bearer ${await token(sim)}` } });
      await res.text();
    } catch {
      jsonFailed = true;
    }
    expect(jsonFailed).toBe(true);
    sim.setFaults({ rules: [{ kind: "slowBody", rate: 1, path: "/users", max: 1, delayMs: 5 }] });
    const slow = await c.get(`/users`);
    expect(slow.status).toBe(200);
    expect(slow.body.value.length).toBe(1);
    expect(sim.counters().faults).toEqual({ reset: 2, slowBody: 1 });
  });

  test("malware and expired download URLs", async () => {
    const { sim, c, u } = await boot({ users: 1, files: 1 });
    const d = sim.tenant.driveId(u)!;
    const file = sim.tenant.driveItems(d).find((x) => !x.folder)!;
    const url = (await c.get(`/drives/${d}/items/${file.id}`)).body["@microsoft.graph.downloadUrl"];
    sim.setFaults({ malware: 1, max: 1 });
    const m = await fetch(url);
    expect(m.status).toBe(403);
    expect(m.headers.get("x-virus-infected")).toBe("true");
    expect(((await m.json()) as any).error.code).toBe("malwareDetected");
    sim.setFaults({ expiredUrl: 1, max: 1 });
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url)).status).toBe(200);
    // a malware-flagged file: facet on the item, no download URL, 403 on /content
    const bad = sim.tenant.add({ op: "add", kind: "file", drive: d, name: "eicar.com", content: { text: "X5O!P%@AP" }, malware: true });
    const item = await c.get(`/drives/${d}/items/${bad}`);
    expect(item.body.malware).toBeDefined();
    expect(item.body["@microsoft.graph.downloadUrl"]).toBeUndefined();
    const content = await fetch(`${sim.graphBase}/drives/${d}/items/${bad}/content`, { headers: { Authorization: `Bearer ${await token(sim)}` }, redirect: "manual" });
    expect(content.status).toBe(403);
  });

  test("bad fault config is rejected with a clear error", async () => {
    const { sim } = await boot({ users: 1 });
    expect(() => sim.setFaults({ rules: [{ kind: "nope" as never, rate: 1 }] })).toThrow(/unknown fault kind/);
    expect(() => sim.setFaults({ "500": 2 })).toThrow(/between 0 and 1/);
    expect(() => sim.setFaults({ "500": 0.5, path: "(" })).toThrow(/regular expression/);
  });
});
