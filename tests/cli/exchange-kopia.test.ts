// The real kopia 0.15 binary reads the repository after Exchange backups made by the corso binary
// (first + incremental + a deleted backup): contents verify, every snapshot verifies, the backup
// models and Corso's snapshots are where kopia expects them.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { ensureKopia } from "../../scripts/setup-tools.ts";
import { completedIds, PASS, sampleFixture, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";

setDefaultTimeout(600_000);

let e: ExchangeEnv;
let kopia = "";

beforeAll(async () => {
  kopia = ensureKopia();
  e = await startExchangeEnv("exch-kopia", { fixture: sampleFixture() });
});

afterAll(async () => {
  await e?.cleanup();
});

function runKopia(args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([kopia, ...args, `--config-file=${join(e.dir, "kopia.config")}`], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: e.home,
      KOPIA_PASSWORD: PASS,
      KOPIA_CHECK_FOR_UPDATES: "false",
      KOPIA_CACHE_DIRECTORY: join(e.dir, "kopia-cache"),
      KOPIA_LOG_DIR: join(e.dir, "kopia-logs"),
    },
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

test("kopia verifies contents and every snapshot after Exchange backups, an incremental and a delete", async () => {
  const first = completedIds(await e.ok(["backup", "create", "exchange", "--mailbox", "*"]));
  expect(first.length).toBe(3);
  const adele = e.sim.tenant.users().find((u) => u.userPrincipalName.startsWith("AdeleV"))!;
  const inbox = e.sim.tenant.folderId(adele.id, "mail", "inbox")!;
  e.sim.tenant.add({ op: "add", kind: "message", user: adele.id, folder: inbox, item: { subject: "for kopia" } });
  e.sim.tenant.delete(e.sim.tenant.itemIds(inbox, 1)[0]);
  const incr = completedIds(await e.ok(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName]));
  expect(incr.length).toBe(1);
  await e.ok(["backup", "delete", "exchange", "--backup", first[2]]);

  const c = runKopia(["repository", "connect", "filesystem", `--path=${e.repo}`, "--override-hostname=kopiahost", "--override-username=kopiauser"]);
  expect(c.code, c.err).toBe(0);
  const v = runKopia(["content", "verify", "--full"]);
  expect(v.code, v.err).toBe(0);
  expect(v.err + v.out).toMatch(/Finished verifying \d+ contents, found 0 errors\./);

  const models = runKopia(["manifest", "list", "--filter=type:BackupSchema"]);
  expect(models.code, models.err).toBe(0);
  const lines = models.out.split("\n").filter((l) => l.includes("type:BackupSchema"));
  // 3 first backups + 1 incremental − 1 deleted.
  expect(lines.length).toBe(3);
  expect(lines.every((l) => l.includes("service:exchange"))).toBe(true);

  const snaps = runKopia(["snapshot", "list", "--all", "--json"]);
  expect(snaps.code, snaps.err).toBe(0);
  const list = JSON.parse(snaps.out) as { id: string }[];
  // Each backup: an item-data snapshot and a details/faults (streamstore) snapshot.
  expect(list.length).toBeGreaterThanOrEqual(6);
  // No arguments: every snapshot of every source, reading every file back.
  const sv = runKopia(["snapshot", "verify", "--verify-files-percent=100"]);
  expect(sv.code, sv.err + sv.out).toBe(0);
  const processed = Number(/Finished processing (\d+) objects/.exec(sv.err + sv.out)?.[1] ?? 0);
  // Every stored item (38 + 16 + 5 in the sample tenant) is a file object, plus directories and metadata.
  expect(processed).toBeGreaterThan(59);
  expect(sv.err + sv.out).not.toMatch(/error|failed/i);
});
