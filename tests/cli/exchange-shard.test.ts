// `--shard i/n`: several corso processes back up disjoint, stable partitions of the tenant's
// mailboxes into ONE repository at the same time; together they cover every mailbox exactly once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { completedIds, parseTables, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";

setDefaultTimeout(180_000);

let e: ExchangeEnv;

beforeAll(async () => {
  e = await startExchangeEnv("exch-shard", { seed: 11, users: 7, messages: 12, events: 3, contacts: 3, folders: 2, files: 0 });
});

afterAll(async () => {
  await e?.cleanup();
});

async function shardRound(n: number): Promise<string[][]> {
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) => e.run(["backup", "create", "exchange", "--mailbox", "*", "--shard", `${i + 1}/${n}`])),
  );
  for (const r of runs) if (r.code !== 0) throw new Error(`shard run failed: ${r.stderr}`);
  return runs.map((r) => parseTables(r.stdout.split("\n").filter((l) => !l.startsWith("Bytes uploaded")).join("\n"))[0]?.rows.map((row) => row[4]) ?? []);
}

test("three concurrent shards cover every mailbox exactly once, twice in a row (stable), repository verifies", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox).map((u) => u.userPrincipalName).sort();
  const first = await shardRound(3);
  expect(first.flat().sort()).toEqual(users);
  // Partitions are disjoint and not degenerate for 7 mailboxes.
  expect(first.filter((s) => s.length > 0).length).toBeGreaterThan(1);
  // Stable: the same partition again (an incremental round, still concurrent).
  const second = await shardRound(3);
  expect(second.map((s) => [...s].sort())).toEqual(first.map((s) => [...s].sort()));
  const list = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"])).stdout);
  expect(list.length).toBe(users.length * 2);
  const perUser = new Map<string, number>();
  for (const b of list) perUser.set(b.protectedResourceName, (perUser.get(b.protectedResourceName) ?? 0) + 1);
  expect([...perUser.keys()].sort()).toEqual(users);
  expect([...perUser.values()].every((c) => c === 2)).toBe(true);
  const v = await e.ok(["repo", "verify"]);
  expect(v.stderr).toContain("0 problems found");
});

test("a shard with one partition is the whole tenant; details of every shard's backup read back", async () => {
  const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--shard", "1/1", "--data", "contacts"]);
  const ids = completedIds(r);
  expect(ids.length).toBe(e.sim.tenant.users().filter((u) => u.mailbox).length);
  for (const id of ids) {
    const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x: any) => x.exchange.itemType === 1)).toBe(true);
  }
});

test("--parallel-mailboxes 1 (one after another, Corso's order) and 3 back up the same mailboxes with the same content", async () => {
  const seq = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", "events", "--parallel-mailboxes", "1"]);
  const par = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", "events", "--parallel-mailboxes", "3"]);
  const owners = async (ids: string[]) => {
    const out: Record<string, number> = {};
    for (const id of ids) {
      const b = JSON.parse((await e.ok(["backup", "list", "exchange", "--backup", id, "--json"])).stdout);
      const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
      out[b.protectedResourceName] = d.length;
    }
    return out;
  };
  const a = await owners(completedIds(seq));
  expect(Object.keys(a).length).toBe(e.sim.tenant.users().filter((u) => u.mailbox).length);
  expect(await owners(completedIds(par))).toEqual(a);
});
