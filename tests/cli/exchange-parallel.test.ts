// Multi-mailbox backups through the binary (`--parallel-mailboxes`, default 8): the extra
// repository connections are opened in the background from the first connection's key while
// Graph resolves the mailboxes, mailboxes are resolved once, named ones are checked at the same
// time. Everything the user sees must be as before: every mailbox backed up completely and
// verifiable, the first bad name (in the user's order) reported in one line with nothing
// backed up, a wrong passphrase one line.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { RunResult } from "../helpers/binary.ts";
import { completedIds, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";
import { stderrLines } from "./helpers.ts";
import { shardOf } from "../../lib/ops/backup/resolve.ts";

setDefaultTimeout(180_000);

let e: ExchangeEnv;

beforeAll(async () => {
  e = await startExchangeEnv("exch-par", { seed: 31, users: 5, messages: 9, events: 3, contacts: 2, folders: 2, files: 0 });
});

afterAll(async () => {
  await e?.cleanup();
});

function expectOneError(r: RunResult, text: string): void {
  const errs = stderrLines(r).filter((l) => l.startsWith("Error: "));
  if (r.code !== 1 || errs.length !== 1) throw new Error(`expected exit 1 and one error line, got exit ${r.code}:\nstdout:${r.stdout}\nstderr:${r.stderr}`);
  expect(errs[0]).toContain(text);
  expect(r.stderr).not.toContain("    at ");
}

/** Items the simulator holds for a user in the backed-up categories. */
function itemCount(userId: string, cats: ("mail" | "calendar" | "contact")[]): number {
  let n = 0;
  for (const c of cats) for (const f of e.sim.tenant.folders(userId, c)) n += e.sim.tenant.itemIds(f.id).length;
  return n;
}

async function backupCount(): Promise<number> {
  const r = await e.run(["backup", "list", "exchange", "--json"]);
  if (r.code !== 0) return 0;
  return (JSON.parse(r.stdout) as unknown[]).length;
}

async function itemsInBackup(id: string): Promise<{ owner: string; items: number }> {
  const b = JSON.parse((await e.ok(["backup", "list", "exchange", "--backup", id, "--json"])).stdout);
  const d = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout) as { exchange: { itemType: number } }[];
  // folders are entries too (itemType 1 = mail, 2 = contact, 3 = event)
  return { owner: b.protectedResourceName, items: d.filter((x) => [1, 2, 3].includes(x.exchange.itemType)).length };
}

test("'*' with the default --parallel-mailboxes: every mailbox complete, each backup holds its items, repository verifies", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox);
  const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", "email,events"]);
  const ids = completedIds(r);
  expect(ids.length).toBe(users.length);
  const got = new Map<string, number>();
  for (const id of ids) {
    const x = await itemsInBackup(id);
    got.set(x.owner, x.items);
  }
  expect(new Map(users.map((u) => [u.userPrincipalName, itemCount(u.id, ["mail", "calendar"])]))).toEqual(got);
  expect(r.stdout.match(/Items uploaded: \d+/g)!.length).toBe(users.length);
  const v = await e.ok(["repo", "verify"]);
  expect(v.stderr).toContain("0 problems found");
});

test("named mailboxes with --parallel-mailboxes 2: the same per-mailbox items as one at a time", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox).slice(0, 4);
  const names = users.map((u) => u.userPrincipalName).join(",");
  const par = await e.ok(["backup", "create", "exchange", "--mailbox", names, "--data", "contacts", "--parallel-mailboxes", "2"]);
  const seq = await e.ok(["backup", "create", "exchange", "--mailbox", names, "--data", "contacts", "--parallel-mailboxes", "1"]);
  const per = async (ids: string[]) => {
    const m: Record<string, number> = {};
    for (const id of ids) {
      const x = await itemsInBackup(id);
      m[x.owner] = x.items;
    }
    return m;
  };
  const a = await per(completedIds(par));
  expect(Object.keys(a).sort()).toEqual(users.map((u) => u.userPrincipalName).sort());
  for (const u of users) expect(a[u.userPrincipalName]).toBe(itemCount(u.id, ["contact"]));
  expect(await per(completedIds(seq))).toEqual(a);
});

test("two unknown names among good ones: one line naming the first unknown (user's order), nothing backed up", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox);
  const before = await backupCount();
  const names = [users[0].userPrincipalName, "first-missing@nowhere.example", users[1].userPrincipalName, "second-missing@nowhere.example"];
  const r = await e.run(["backup", "create", "exchange", "--mailbox", names.join(",")]);
  expectOneError(r, "Unable to initiate backup: mailbox first-missing@nowhere.example not found in tenant");
  expect(r.stderr).not.toContain("second-missing");
  expect(await backupCount()).toBe(before);
});

test("wrong passphrase with several mailboxes: one line, nothing backed up", async () => {
  const before = await backupCount();
  const r = await e.run(["backup", "create", "exchange", "--mailbox", "*"], { CORSO_PASSPHRASE: "not the passphrase" });
  expectOneError(r, "invalid repository password");
  expect(await backupCount()).toBe(before);
});

test("Graph work overlaps the connect but its errors still come after the repository's: wrong passphrase + unknown name → the passphrase", async () => {
  const before = await backupCount();
  const r = await e.run(["backup", "create", "exchange", "--mailbox", "first-missing@nowhere.example,x@nowhere.example"], { CORSO_PASSPHRASE: "not the passphrase" });
  expectOneError(r, "invalid repository password");
  expect(r.stderr).not.toContain("first-missing");
  // and no Azure credentials at all: still the repository's error first
  const r2 = await e.run(["backup", "create", "exchange", "--mailbox", "*"], { CORSO_PASSPHRASE: "not the passphrase", AZURE_CLIENT_SECRET: "", AZURE_CLIENT_ID: "" });
  expectOneError(r2, "invalid repository password");
  expect(await backupCount()).toBe(before);
});

test("'*' narrowed to one mailbox (a shard of one): the extra connections opened ahead are released, the one backup is complete", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox);
  let pick: { i: number; n: number; user: (typeof users)[number] } | undefined;
  for (let n = 2; n <= 32 && !pick; n++) {
    for (let i = 0; i < n && !pick; i++) {
      const inShard = users.filter((u) => shardOf(u.id, n) === i);
      if (inShard.length === 1) pick = { i, n, user: inShard[0] };
    }
  }
  expect(pick).toBeDefined();
  const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--shard", `${pick!.i + 1}/${pick!.n}`, "--data", "email"]);
  const ids = completedIds(r);
  expect(ids.length).toBe(1);
  expect(await itemsInBackup(ids[0])).toEqual({ owner: pick!.user.userPrincipalName, items: itemCount(pick!.user.id, ["mail"]) });
  const v = await e.ok(["repo", "verify"]);
  expect(v.stderr).toContain("0 problems found");
});

test("'*' with more mailboxes and --parallel-mailboxes than connections opened ahead (10 and 10): the rest are opened, all complete", async () => {
  const big = await startExchangeEnv("exch-par10", { seed: 32, users: 10, messages: 2, events: 0, contacts: 0, folders: 1, files: 0 });
  try {
    const users = big.sim.tenant.users().filter((u) => u.mailbox);
    expect(users.length).toBe(10);
    const r = await big.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", "email", "--parallel-mailboxes", "10"]);
    expect(completedIds(r).length).toBe(10);
    // every mailbox's requests overlapped: all ten had started before the first one finished
    const log = big.sim.requestLog().filter((q) => q.mailbox);
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    for (const q of log) {
      const t = Date.parse(q.time);
      if (!first.has(q.mailbox!)) first.set(q.mailbox!, t);
      last.set(q.mailbox!, t);
    }
    expect(first.size).toBe(10);
    expect(Math.max(...first.values())).toBeLessThan(Math.min(...last.values()));
    const v = await big.ok(["repo", "verify"]);
    expect(v.stderr).toContain("0 problems found");
  } finally {
    await big.cleanup();
  }
});

test("'*': each mailbox's Exchange check and first-category folder listing (started early, beside the connect) go out once", async () => {
  const users = e.sim.tenant.users().filter((u) => u.mailbox);
  for (const [data, listing] of [["email,events", /\/mailFolders\/msgfolderroot$/], ["contacts,email", /\/contactFolders\/Contacts$/]] as const) {
    const before = e.sim.requestLog().length;
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", data]);
    expect(completedIds(r).length).toBe(users.length);
    const reqs = e.sim.requestLog().slice(before);
    for (const u of users) {
      const mine = reqs.filter((q) => q.path.includes(`/users/${u.id}/`));
      expect(mine.filter((q) => q.path.endsWith("/mailFolders/inbox")).length).toBe(1);
      expect(mine.filter((q) => listing.test(q.path)).length).toBe(1);
    }
  }
});
