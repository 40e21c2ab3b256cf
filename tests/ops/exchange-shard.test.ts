// `shard` runs from several processes at once into one repository: each mailbox is backed up by
// exactly one shard (FNV-1a of the lowercased user ID mod n), and every backup is readable.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { fnv1a, shardOf } from "../../lib/ops/backup/exchange.ts";
import { getBackupDetails, listBackups } from "../../lib/ops/backups.ts";
import { makeEnv, PASSWORD, type Env } from "./helpers.ts";

let env: Env;

beforeAll(async () => {
  env = await makeEnv({ seed: 55, users: 5, messages: 12, events: 2, contacts: 3, files: 0 });
});
afterAll(async () => {
  await env?.cleanup();
});

test("fnv1a is the 32-bit FNV-1a", () => {
  expect(fnv1a("")).toBe(0x811c9dc5);
  expect(fnv1a("a")).toBe(0xe40c292c);
  expect(fnv1a("foobar")).toBe(0xbf9cf968);
  expect(shardOf("ABC", 7)).toBe(shardOf("abc", 7));
});

test("two shard processes at once cover every mailbox exactly once", async () => {
  const n = 2;
  const procs = Array.from({ length: n }, (_, i) =>
    Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/backup-child.ts"), JSON.stringify({
      repoPath: env.repoPath, password: PASSWORD, tenantId: env.sim.tenantId, clientId: env.sim.clientId, clientSecret: env.sim.clientSecret,
      graphUrl: env.sim.graphBase, loginUrl: env.sim.loginBase, mailboxes: ["*"], shard: { index: i, count: n },
    })], { stdout: "pipe", stderr: "pipe" }));
  const outs = await Promise.all(procs.map(async (p) => {
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`shard child failed (${code}): ${err}`);
    return JSON.parse(out.trim().split("\n").pop()!).results as { id?: string; resource: string; status: string }[];
  }));
  const users = env.sim.tenant.users();
  const withMailbox = users.filter((u) => u.mailbox).map((u) => u.id);
  for (let i = 0; i < n; i++) {
    for (const r of outs[i]) expect(shardOf(r.resource, n)).toBe(i);
  }
  const all = outs.flat();
  expect(new Set(all.map((r) => r.resource))).toEqual(new Set(users.map((u) => u.id)));
  expect(all.length).toBe(users.length);
  for (const r of all) expect(r.status).toBe(withMailbox.includes(r.resource) ? "Completed" : "NotEnabled");
  expect(outs.every((o) => o.length > 0)).toBe(true);

  await env.reopen();
  const backups = await listBackups(env.repo, "exchange");
  expect(new Set(backups.map((b) => b.resourceOwnerID))).toEqual(new Set(withMailbox));
  for (const b of backups) {
    const { details } = await getBackupDetails(env.repo, b.ID);
    expect(details.filter((d) => d.exchange).length).toBeGreaterThan(0);
    for (const d of details) expect(d.repoRef.split("/")[2]).toBe(b.resourceOwnerID);
  }
}, 120_000);
