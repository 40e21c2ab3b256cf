// A backup killed with kill -9 loses at most what was not checkpointed: the next run writes
// only the items that were not saved (pack bytes counted), and the result equals the tenant.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import { getBackupDetails, listBackups } from "../../lib/ops/backups.ts";
import { makeEnv, PASSWORD, tenantItems, type Env } from "./helpers.ts";

let env: Env;
let user: { id: string; userPrincipalName: string };

beforeAll(async () => {
  env = await makeEnv({ seed: 44, users: 1, messages: 240, events: 2, contacts: 2, files: 0, latency: { fixedMs: 8, perKbMs: 0 } });
  user = env.sim.tenant.users().find((u) => u.mailbox)!;
});
afterAll(async () => {
  await env?.cleanup();
});

async function packBytesOnDisk(dir: string): Promise<number> {
  // blob IDs map to (sharded) paths whose first element starts with the blob's prefix letter
  let n = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else n += (await stat(p)).size;
    }
  };
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.name.startsWith("p")) continue;
    if (e.isDirectory()) await walk(join(dir, e.name));
    else n += (await stat(join(dir, e.name))).size;
  }
  return n;
}

test("kill -9 mid-run, then a resumed run re-uploads only what was not saved", async () => {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/backup-child.ts"), JSON.stringify({
    repoPath: env.repoPath, password: PASSWORD, tenantId: env.sim.tenantId, clientId: env.sim.clientId, clientSecret: env.sim.clientSecret,
    graphUrl: env.sim.graphBase, loginUrl: env.sim.loginBase, mailboxes: [user.id], categories: ["email"], parallelism: 2, checkpointEveryBytes: 48 * 1024,
  })], { stdout: "pipe", stderr: "pipe" });
  let items = 0;
  let checkpoints = 0;
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    buf += dec.decode(chunk);
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (line.t === "item") items++;
      if (line.t === "checkpoint") checkpoints++;
      if (line.t === "done") throw new Error("child finished before it was killed");
    }
    if (items >= 120 && checkpoints >= 2) {
      child.kill(9);
      break;
    }
  }
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL");
  expect(checkpoints).toBeGreaterThanOrEqual(2);

  const savedBefore = await packBytesOnDisk(env.repoPath);
  await env.reopen();
  expect(await listBackups(env.repo, "exchange")).toEqual([]); // the killed run saved no backup
  const before = env.storage.written.packBytes;
  const [r] = await runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: [user.id], categories: ["email"] });
  expect(r.status).toBe("Completed");
  const resumedPackBytes = env.storage.written.packBytes - before;
  const all = [...tenantItems(env.sim, user.id).values()].filter((v) => v.cat === "email").length;
  const { details } = await getBackupDetails(env.repo, r.backupId!);
  expect(details.filter((d) => d.exchange).length).toBe(all);

  // a fresh full backup of the same mailbox into a new repository, for the byte count to compare with
  const fresh = await makeEnv({ seed: 44, users: 1, messages: 240, events: 2, contacts: 2, files: 0 });
  try {
    const u2 = fresh.sim.tenant.users().find((u) => u.mailbox)!;
    const b0 = fresh.storage.written.packBytes;
    const [f] = await runExchangeBackup(fresh.repo, fresh.graph, { tenantId: fresh.sim.tenantId, mailboxes: [u2.id], categories: ["email"] });
    expect(f.status).toBe("Completed");
    const fullPackBytes = fresh.storage.written.packBytes - b0;
    console.log(JSON.stringify({ itemsBeforeKill: items, checkpoints, savedBefore, resumedPackBytes, fullPackBytes }));
    expect(savedBefore).toBeGreaterThan(fullPackBytes * 0.3);
    // what the killed run checkpointed is not uploaded again
    expect(resumedPackBytes).toBeLessThan(fullPackBytes - savedBefore * 0.5);
  } finally {
    await fresh.cleanup();
  }
}, 120_000);
