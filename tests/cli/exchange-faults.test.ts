// Graph misbehaving under a backup, through the binary: 5xx, connection resets and 429 storms are
// retried and the backup equals the tenant; ErrorCorruptData on one item skips and reports it
// (Corso's behaviour); an item deleted between listing and fetching is not an error.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { completedIds, sampleFixture, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";
import { stderrLines } from "./helpers.ts";

setDefaultTimeout(180_000);

let e: ExchangeEnv;

beforeAll(async () => {
  e = await startExchangeEnv("exch-faults", { fixture: sampleFixture() });
});

afterAll(async () => {
  await e?.cleanup();
});

const total = (uid: string) =>
  (["mail", "contact", "calendar"] as const).reduce((n, k) => n + e.sim.tenant.folders(uid, k).reduce((a, f) => a + f.itemCount, 0), 0);
const esc = (id: string) => id.replace(/\+/g, "\\+").replace(/=/g, "(=|%3D)");

test("5xx, resets and 429s on every kind of request: retried, exit 0, every item stored", async () => {
  e.sim.setFaults({ "503": 0.08, "500": 0.03, reset: 0.04, throttle: 0.05, seed: 7 });
  let r;
  try {
    r = await e.run(["backup", "create", "exchange", "--mailbox", "*"]);
  } finally {
    e.sim.setFaults({});
  }
  const injected = Object.values(e.sim.counters().faults).reduce((a, b) => a + b, 0);
  expect(injected).toBeGreaterThan(5);
  if (r.code !== 0) throw new Error(r.stderr);
  const ids = completedIds(r);
  expect(ids.length).toBe(3);
  for (const id of ids) {
    const b = JSON.parse((await e.ok(["backup", "list", "exchange", "--backup", id, "--json"])).stdout);
    const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
    expect(d.length).toBe(total(b.protectedResourceID));
    expect(b.status).toBe("Completed");
  }
});

test("ErrorCorruptData on one message: skipped and reported, the rest stored, exit 0", async () => {
  const lee = e.sim.tenant.users().find((u) => u.userPrincipalName.startsWith("LeeG"))!;
  const folder = e.sim.tenant.folders(lee.id, "mail").find((f) => f.itemCount > 0)!;
  const [bad] = e.sim.tenant.itemIds(folder.id, 1);
  e.sim.setFaults({ rules: [{ kind: "corruptData", rate: 1, path: `/messages/${esc(bad)}$`, method: "GET" }] });
  let r;
  try {
    r = await e.ok(["backup", "create", "exchange", "--mailbox", lee.userPrincipalName, "--disable-incrementals", "--force-item-data-download"]);
  } finally {
    e.sim.setFaults({});
  }
  expect(r.stdout).toMatch(/Items skipped: 1 \| Errors: 0/);
  expect(r.stdout).toContain("Completed (1 skipped)");
  const [id] = completedIds(r);
  const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
  expect(d.length).toBe(total(lee.id) - 1);
  expect(d.some((x: any) => x.itemRef === bad)).toBe(false);
  const l = await e.ok(["backup", "list", "exchange", "--backup", id]);
  const skipRow = l.stdout.split("\n").find((x) => x.trim().startsWith("Skip "));
  expect(skipRow).toContain("corrupt_data");
  expect(skipRow).toContain(bad);
});

test("a message deleted between listing and fetching is not an error", async () => {
  const megan = e.sim.tenant.users().find((u) => u.userPrincipalName.startsWith("MeganB"))!;
  const inbox = e.sim.tenant.folderId(megan.id, "mail", "inbox")!;
  const [victim] = e.sim.tenant.itemIds(inbox, 1);
  e.sim.setFaults({ rules: [{ kind: "notFound", rate: 1, path: `/messages/${esc(victim)}$`, method: "GET" }] });
  let r;
  try {
    r = await e.run(["backup", "create", "exchange", "--mailbox", megan.userPrincipalName, "--disable-incrementals", "--force-item-data-download", "--data", "email"]);
  } finally {
    e.sim.setFaults({});
  }
  expect(r.code, r.stderr).toBe(0);
  expect(stderrLines(r).some((l) => l.startsWith("Error"))).toBe(false);
  const [id] = completedIds(r);
  const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
  expect(d.some((x: any) => x.itemRef === victim)).toBe(false);
  expect(d.length).toBe(e.sim.tenant.folders(megan.id, "mail").reduce((a, f) => a + f.itemCount, 0) - 1);
});
