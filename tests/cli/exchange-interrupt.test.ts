// SIGINT / SIGTERM during `backup create exchange`: the run stops, saves what it has (an assist
// backup) and exits 1 with one clear line; the next run downloads only what was not saved.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { ensureBinary } from "../helpers/binary.ts";
import { completedIds, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";

setDefaultTimeout(180_000);

let e: ExchangeEnv;
const TOTAL = 1500;

beforeAll(async () => {
  e = await startExchangeEnv("exch-int", { seed: 3, users: 2, messages: TOTAL, events: 0, contacts: 0, folders: 3, files: 0, latency: { fixedMs: 15, perKbMs: 0 } });
});

afterAll(async () => {
  await e?.cleanup();
});

const itemGets = (from: number) =>
  e.sim.requestLog().slice(from).filter((q) => q.method === "GET" && /\/messages\/(?!delta$)[^/]+$/.test(q.path)).map((q) => q.path);

for (const [n, sig] of (["SIGINT", "SIGTERM"] as const).entries()) {
  test(`${sig} mid-run saves the work; the resumed run fetches only the rest`, async () => {
    // A fresh mailbox per signal: its first backup is interrupted.
    const upn = e.sim.tenant.users()[n].userPrincipalName;
    const bin = await ensureBinary();
    const start = e.sim.requestLog().length;
    const p = Bun.spawn([bin, "backup", "create", "exchange", "--mailbox", upn, "--data", "email"], {
      env: e.env, stdout: "pipe", stderr: "pipe", stdin: "ignore",
    });
    // Interrupt once a good share of the items has been fetched.
    const deadline = Date.now() + 60_000;
    while (itemGets(start).length < TOTAL / 4 && Date.now() < deadline && p.exitCode === null) await Bun.sleep(20);
    expect(p.exitCode).toBeNull();
    p.kill(sig);
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const firstGets = itemGets(start).length;
    expect(firstGets).toBeLessThan(TOTAL);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`Interrupted (${sig})`);
    expect(stderr).toContain("backup interrupted");
    expect(stderr).not.toContain("    at ");
    expect(stderr.trim().split("\n").pop()).toMatch(/^Error: 1 of 1 backups failed: /);

    // Resume (incrementals on): only items not saved by the interrupted run are downloaded.
    const mid = e.sim.requestLog().length;
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", upn, "--data", "email"]);
    const secondGets = itemGets(mid).length;
    expect(secondGets).toBeLessThan(TOTAL - firstGets / 2);
    expect(firstGets + secondGets).toBeGreaterThanOrEqual(TOTAL);
    const [id] = completedIds(r);
    const details = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
    expect(details.length).toBe(TOTAL);
  });
}
