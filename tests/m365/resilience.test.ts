// Throttling, faults, token renewal and bad credentials against the simulator.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GraphAuthError, type GraphClient, GraphError, skipCauseOf } from "../../lib/m365/graph/index.ts";
import { clientFor, firstUser, type Sim, startSimulator } from "./sim-helpers.ts";

let sim: Sim;
let g: GraphClient;
let user: string;
let ids: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, users: 1, messages: 80, events: 0, contacts: 0, files: 0, latency: { fixedMs: 15, perKbMs: 0 } });
  g = clientFor(sim);
  user = await firstUser(g);
  for (const f of await g.mail.folders(user)) {
    for await (const ev of g.mail.messageDelta(user, String(f.id))) if (ev.type === "page") ids.push(...ev.added.map((m) => String(m.id)));
  }
});
afterAll(async () => {
  await sim?.stop();
});

describe("throttling", () => {
  test("32 parallel fetches never exceed 4 in flight for the mailbox and draw no 429", async () => {
    sim.setFaults({});
    const before = sim.counters();
    const got = await Promise.all(ids.slice(0, 32).map((id) => g.mail.getMessage(user, id)));
    expect(got.map((m) => m.id)).toEqual(ids.slice(0, 32));
    const after = sim.counters();
    const peak = Math.max(...Object.values(after.concurrency).map((c) => c.peak));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThanOrEqual(2); // it did run in parallel
    expect(after.throttledBy.concurrency - before.throttledBy.concurrency).toBe(0);
    expect(g.stats().peakMailboxConcurrency).toBeLessThanOrEqual(4);
  });

  test("429 with Retry-After: retried after the fence, and the fence holds the whole mailbox", async () => {
    sim.setFaults({ throttle: 1, max: 1, path: "/messages/", retryAfterSec: 1 } as never);
    const s0 = g.stats();
    const t0 = Date.now();
    const got = await Promise.all(ids.slice(0, 12).map((id) => g.mail.getMessage(user, id)));
    const took = Date.now() - t0;
    sim.setFaults({});
    expect(got.length).toBe(12);
    const s1 = g.stats();
    expect(s1.throttled - s0.throttled).toBe(1);
    expect(s1.retries - s0.retries).toBeGreaterThanOrEqual(1);
    expect(took).toBeGreaterThanOrEqual(900);
    // Not only the throttled request waited ~1 s: requests queued behind it were held too.
    expect(s1.fenceWaitMs - s0.fenceWaitMs).toBeGreaterThan(2500);
  });
});

describe("faults are retried to success", () => {
  for (const kind of ["500", "502", "503", "504", "reset", "slowBody", "garbageJson"] as const) {
    test(kind, async () => {
      const before = sim.counters().faults[kind] ?? 0;
      sim.setFaults({ [kind]: 1, max: 2, path: "/messages/" } as never);
      const s0 = g.stats();
      const got = await Promise.all(ids.slice(40, 44).map((id) => g.mail.getMessage(user, id)));
      const injected = (sim.counters().faults[kind] ?? 0) - before;
      sim.setFaults({});
      expect(got.map((m) => m.id)).toEqual(ids.slice(40, 44));
      for (const m of got) expect(JSON.parse(m.raw).id).toBe(m.id);
      expect(injected).toBeGreaterThanOrEqual(1);
      if (kind !== "slowBody") expect(g.stats().retries - s0.retries).toBeGreaterThanOrEqual(1);
    });
  }

  test("a response slower than the per-request timeout is aborted and retried", async () => {
    const g2 = clientFor(sim, { retry: { timeoutMs: 400, baseDelayMs: 5, maxDelayMs: 20 } });
    await g2.discovery.user(user); // token outside the measured part
    const before = sim.counters().faults.slowBody ?? 0;
    sim.setFaults({ slowBody: 1, max: 1, path: "/messages/", delayMs: 300 } as never);
    const m = await g2.mail.getMessage(user, ids[5]);
    const injected = (sim.counters().faults.slowBody ?? 0) - before;
    sim.setFaults({});
    expect(m.id).toBe(ids[5]);
    expect(injected).toBe(1);
    expect(g2.stats().networkErrors).toBeGreaterThanOrEqual(1); // the slow one timed out (a loaded CI box may add more)
    expect(g2.stats().retries).toBeGreaterThanOrEqual(1);
  });

  test("a 503 storm beyond the retry budget is reported as one clear error", async () => {
    const g2 = clientFor(sim, { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    sim.setFaults({ "503": 1, path: "/messages/" } as never);
    const e = await g2.mail.getMessage(user, ids[0]).catch((x) => x);
    sim.setFaults({});
    expect(e).toBeInstanceOf(GraphError);
    expect(e.kind).toBe("server-error");
    expect(e.status).toBe(503);
    expect(e.message).toMatch(/^graph GET .*\/messages\/.*: 503/);
    expect(e.message).not.toContain("\n");
    expect(g2.stats().requests).toBeGreaterThanOrEqual(3);
  });

  test("notFound and corruptData are classified; corrupt data is not retried", async () => {
    sim.setFaults({ notFound: 1, max: 1, path: "/messages/" } as never);
    const nf = await g.mail.getMessage(user, ids[1]).catch((x) => x);
    sim.setFaults({ corruptData: 1, max: 1, path: "/messages/" } as never);
    const cd = await g.mail.getMessage(user, ids[2]).catch((x) => x);
    sim.setFaults({});
    expect(nf.kind).toBe("not-found");
    expect(cd.kind).toBe("corrupt-data");
    expect(skipCauseOf(cd, { service: "exchange", category: "email" })).toBe("corrupt_data");
  });
});

describe("auth", () => {
  test("short-lived tokens are renewed without failing requests", async () => {
    const s2 = await startSimulator({ seed: 6, users: 1, messages: 5, events: 0, contacts: 0, files: 0, tokenLifetimeSec: 2 });
    try {
      const c = clientFor(s2);
      const u = await firstUser(c);
      const end = Date.now() + 5000;
      let n = 0;
      while (Date.now() < end) {
        await c.discovery.user(u);
        n++;
        await Bun.sleep(100);
      }
      expect(n).toBeGreaterThan(10);
      expect(c.stats().tokenFetches).toBeGreaterThanOrEqual(2);
    } finally {
      await s2.stop();
    }
  }, 30_000);

  test("wrong secret → GraphAuthError, one line with the AADSTS code", async () => {
    const c = clientFor(sim, { clientSecret: "not-the-secret" });
    const e = await c.discovery.user(user).catch((x) => x);
    expect(e).toBeInstanceOf(GraphAuthError);
    expect(e.aadsts).toMatch(/^AADSTS\d+$/);
    expect(e.message).toContain(e.aadsts);
    expect(e.message).toStartWith(`authentication failed for tenant ${sim.tenantId}`);
    expect(e.message).not.toContain("\n");
    expect(e.message).not.toContain("Trace ID");
  });

  test("unknown tenant and unknown client are clear too", async () => {
    const t = await clientFor(sim, { tenantId: "00000000-0000-0000-0000-000000000bad" }).discovery.user(user).catch((x) => x);
    expect(t).toBeInstanceOf(GraphAuthError);
    expect(t.message).toMatch(/AADSTS\d+/);
    const c = await clientFor(sim, { clientId: "11111111-1111-1111-1111-111111111111" }).discovery.user(user).catch((x) => x);
    expect(c).toBeInstanceOf(GraphAuthError);
    expect(c.message).toMatch(/AADSTS\d+/);
  });

  test("unreachable login endpoint is a GraphAuthError, not a stack trace", async () => {
    const c = clientFor(sim, { loginUrl: "http://127.0.0.1:9" });
    const e = await c.discovery.user(user).catch((x) => x);
    expect(e).toBeInstanceOf(GraphAuthError);
    expect(e.message).toContain("cannot reach token endpoint");
  }, 30_000);
});
