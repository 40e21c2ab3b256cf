// Mailbox resolution and the per-mailbox start-up requests, made concurrent for multi-mailbox
// throughput: results and errors must be what the sequential code gave (user's order, first
// failing name in that order), and already-resolved mailboxes are not looked up again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MailboxNotFoundError, resolveMailboxes, settleInOrder } from "../../lib/ops/backup/resolve.ts";
import { enumerateContainers } from "../../lib/ops/backup/containers.ts";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import sample from "../../lib/graph-sim/fixtures/sample-tenant.json";
import { makeEnv, type Env } from "./helpers.ts";

describe("settleInOrder", () => {
  const tick = () => new Promise<void>((r) => setImmediate(r));

  test("results in the items' order, at most `limit` calls in flight, and more than one", async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 10 }, (_, i) => i);
    const out = await settleInOrder(items, 3, async (x) => {
      peak = Math.max(peak, ++inFlight);
      for (let k = 0; k < 10 - x; k++) await tick(); // earlier items finish later
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual(items.map((x) => x * 2));
    expect(peak).toBe(3);
  });

  test("the first failure in the items' order wins, even when a later item failed first", async () => {
    const err = await settleInOrder(["a", "b", "c", "d"], 4, async (x) => {
      if (x === "c") throw new Error("c failed");
      if (x === "b") {
        for (let k = 0; k < 5; k++) await tick();
        throw new Error("b failed");
      }
      return x;
    }).catch((e) => e);
    expect(err.message).toBe("b failed");
  });

  test("no call starts after a failure (a sequential loop would have stopped there)", async () => {
    const called: number[] = [];
    const err = await settleInOrder([0, 1, 2, 3, 4], 1, async (x) => {
      called.push(x);
      if (x === 1) throw new Error("stop");
      return x;
    }).catch((e) => e);
    expect(err.message).toBe("stop");
    expect(called).toEqual([0, 1]);
  });

  test("an empty list is an empty result", async () => {
    expect(await settleInOrder([], 8, async () => 1)).toEqual([]);
  });
});

describe("resolution and start-up requests against the simulator", () => {
  let env: Env;
  beforeAll(async () => {
    env = await makeEnv({ seed: 21, users: 4, messages: 3, events: 0, contacts: 0, folders: 2, files: 0 });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  test("named mailboxes: the user's order, duplicates (by UPN or ID) once", async () => {
    const us = env.sim.tenant.users();
    const names = [us[2].userPrincipalName, us[0].id, us[2].id, us[1].userPrincipalName, us[0].userPrincipalName];
    const got = await resolveMailboxes(env.graph, names);
    expect(got.map((m) => m.id)).toEqual([us[2].id, us[0].id, us[1].id]);
    expect(got.map((m) => m.name)).toEqual([us[2].userPrincipalName, us[0].userPrincipalName, us[1].userPrincipalName]);
  });

  test("two unknown names: the error names the first one in the user's order", async () => {
    const us = env.sim.tenant.users();
    const err = await resolveMailboxes(env.graph, [us[0].userPrincipalName, "first-missing@nowhere.example", us[1].id, "second-missing@nowhere.example"]).catch((e) => e);
    expect(err).toBeInstanceOf(MailboxNotFoundError);
    expect(err.message).toBe("mailbox first-missing@nowhere.example not found in the tenant");
  });

  test("an already-resolved mailbox is backed up without another user lookup, same result", async () => {
    const u = env.sim.tenant.users()[3];
    const before = env.sim.requestLog().length;
    const [r] = await runExchangeBackup(env.repo, env.graph, {
      tenantId: env.sim.tenantId, mailboxes: [u.id], resolved: [{ id: u.id, name: u.userPrincipalName }], categories: ["email"],
    });
    const reqs = env.sim.requestLog().slice(before);
    expect(reqs.filter((q) => q.method === "GET" && q.path.endsWith(`/users/${u.id}`))).toEqual([]);
    expect(r.status).toBe("Completed");
    expect(r.resource).toEqual({ id: u.id, name: u.userPrincipalName });
    expect(r.stats.nonMetaItemsWritten).toBe(env.sim.tenant.folders(u.id, "mail").reduce((n, f) => n + env.sim.tenant.itemIds(f.id).length, 0));
    // without `resolved` the name is looked up first (the old path), with the same outcome
    const before2 = env.sim.requestLog().length;
    const [r2] = await runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: [u.id], categories: ["email"] });
    expect(env.sim.requestLog().slice(before2).filter((q) => q.method === "GET" && q.path.endsWith(`/users/${u.id}`)).length).toBe(1);
    expect(r2.resource).toEqual(r.resource);
    expect(r2.status).toBe("Completed");
  });

  test("mail containers: root and folder listing fetched together; a failing root is the error reported", async () => {
    const u = env.sim.tenant.users()[0];
    const containers = await enumerateContainers(env.graph, u.id, "email");
    expect(containers.map((c) => c.id).sort()).toEqual(env.sim.tenant.folders(u.id, "mail").map((f) => String(f.id)).sort());
    env.sim.setFaults({
      rules: [
        { kind: "garbageJson", rate: 1, path: "/msgfolderroot$" },
        { kind: "garbageJson", rate: 1, path: "/mailFolders$" },
      ],
    });
    try {
      const before = env.sim.requestLog().length;
      const err = await enumerateContainers(env.graph, u.id, "email").catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      const failed = env.sim.requestLog().slice(before);
      expect(failed.some((q) => q.path.endsWith("/msgfolderroot"))).toBe(true);
      expect(failed.some((q) => q.path.endsWith("/mailFolders"))).toBe(true);
      // the same error as a root-only failure (what the sequential code reported)
      env.sim.setFaults({ rules: [{ kind: "garbageJson", rate: 1, path: "/msgfolderroot$" }] });
      const rootOnly = await enumerateContainers(env.graph, u.id, "email").catch((e) => e);
      expect(rootOnly).toBeInstanceOf(Error);
      expect(err.message).toBe(rootOnly.message);
      env.sim.setFaults({ rules: [{ kind: "garbageJson", rate: 1, path: "/mailFolders$" }] });
      const foldersOnly = await enumerateContainers(env.graph, u.id, "email").catch((e) => e);
      expect(foldersOnly.message).not.toBe(rootOnly.message);
    } finally {
      env.sim.setFaults({});
    }
  });
});

describe("preflight: the mailbox check and the first folder listing", () => {
  let env: Env;
  const latency = { fixedMs: 30, perKbMs: 0 };
  beforeAll(async () => {
    env = await makeEnv({ seed: 22, users: 3, messages: 4, events: 0, contacts: 0, folders: 2, files: 0, latency });
  });
  afterAll(async () => {
    await env?.cleanup();
  });
  const span = (q: { time: string; ms: number }) => {
    const end = Date.parse(q.time);
    return { start: end - q.ms, end };
  };
  const userReqs = (from: number, id: string) => env.sim.requestLog().slice(from).filter((q) => q.path.includes(`/users/${id}/`));

  test("without a caller's preflight they go out together (they overlap), each once", async () => {
    const u = env.sim.tenant.users()[0];
    const before = env.sim.requestLog().length;
    const [r] = await runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: [u.id], resolved: [{ id: u.id, name: u.userPrincipalName }], categories: ["email"] });
    expect(r.status).toBe("Completed");
    const reqs = userReqs(before, u.id);
    const inbox = reqs.filter((q) => q.path.endsWith("/mailFolders/inbox"));
    const root = reqs.filter((q) => q.path.endsWith("/mailFolders/msgfolderroot"));
    expect([inbox.length, root.length]).toEqual([1, 1]);
    const a = span(inbox[0]);
    const b = span(root[0]);
    expect(a.start < b.end && b.start < a.end).toBe(true);
  });

  test("a caller's preflight is used (no second check or listing); one for another category is not", async () => {
    const { startPreflight } = await import("../../lib/ops/backup/preflight.ts");
    const u = env.sim.tenant.users()[1];
    const before = env.sim.requestLog().length;
    const asked: string[] = [];
    const pre = startPreflight(env.graph, u.id, "email");
    const [r] = await runExchangeBackup(env.repo, env.graph, {
      tenantId: env.sim.tenantId, mailboxes: [u.id], resolved: [{ id: u.id, name: u.userPrincipalName }], categories: ["email"],
      preflight: (id) => {
        asked.push(id);
        return pre;
      },
    });
    expect(r.status).toBe("Completed");
    expect(asked).toEqual([u.id]);
    const reqs = userReqs(before, u.id);
    expect(reqs.filter((q) => q.path.endsWith("/mailFolders/inbox")).length).toBe(1);
    expect(reqs.filter((q) => q.path.endsWith("/mailFolders/msgfolderroot")).length).toBe(1);
    expect(r.stats.nonMetaItemsWritten).toBe(env.sim.tenant.folders(u.id, "mail").reduce((n, f) => n + env.sim.tenant.itemIds(f.id).length, 0));

    // a preflight for another category is ignored: the backup does its own
    const before2 = env.sim.requestLog().length;
    const other = startPreflight(env.graph, u.id, "contacts");
    const [r2] = await runExchangeBackup(env.repo, env.graph, {
      tenantId: env.sim.tenantId, mailboxes: [u.id], resolved: [{ id: u.id, name: u.userPrincipalName }], categories: ["email"], preflight: () => other,
    });
    expect(r2.status).toBe("Completed");
    expect(userReqs(before2, u.id).filter((q) => q.path.endsWith("/mailFolders/msgfolderroot")).length).toBe(1);
  });

  test("a mailbox without Exchange: NotEnabled, the failed listing is neither reported nor unhandled", async () => {
    const fixture = structuredClone(sample) as any;
    fixture.users[1].mailbox = false;
    const e2 = await makeEnv({ fixture, latency });
    try {
      const megan = e2.sim.tenant.users()[1];
      const { startPreflight } = await import("../../lib/ops/backup/preflight.ts");
      const early = startPreflight(e2.graph, megan.id, "email");
      for (const preflight of [() => early, undefined]) {
        const [r] = await runExchangeBackup(e2.repo, e2.graph, {
          tenantId: e2.sim.tenantId, mailboxes: [megan.id], resolved: [{ id: megan.id, name: megan.userPrincipalName }], categories: ["email"], preflight,
        });
        expect(r.status).toBe("NotEnabled");
        expect(r.failure).toContain("not enabled");
        expect(r.errors).toEqual([]);
        expect(r.backupId).toBeUndefined();
      }
      // the listing that went out with the check settles (rejected) without surfacing anywhere
      expect(await early.containers.then(() => "resolved", () => "rejected")).toBe("rejected");
    } finally {
      await e2.cleanup();
    }
  });
});
