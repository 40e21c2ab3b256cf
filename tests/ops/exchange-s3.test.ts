// The Exchange backup on S3 (a real MinIO): full backup, a changed-only incremental, details and
// an export read back from the bucket.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../../lib/graph-sim/index.ts";
import { selectorFromFlags } from "../../lib/corso/selectors/exchange.ts";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import { getBackupDetails, listBackups } from "../../lib/ops/backups.ts";
import { exportExchange } from "../../lib/ops/export/exchange.ts";
import { initializeRepository, openRepository, type Repository } from "../../lib/repo/repository.ts";
import { openS3Storage } from "../../lib/storage/s3.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";
import { clientFor, tenantItems } from "./helpers.ts";

let minio: MinioServer;
let sim: Simulator;
let repo: Repository;
let dir: string;

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket("corso-exchange");
  sim = await startSimulator({ seed: 66, users: 1, messages: 30, events: 3, contacts: 4, files: 0 });
  const st = await openS3Storage(minio.options("corso-exchange", { prefix: "repo/" }));
  await initializeRepository(st, "s3-pw");
  repo = await openRepository(st, "s3-pw", { hostname: "h", username: "u" });
  dir = await mkdtemp(join(tmpdir(), "corso-ops-s3-"));
}, 120_000);
afterAll(async () => {
  await repo?.close().catch(() => {});
  await sim?.stop();
  await minio?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("backup, incremental, details and export on S3", async () => {
  const graph = clientFor(sim);
  const user = sim.tenant.users()[0];
  const [r1] = await runExchangeBackup(repo, graph, { tenantId: sim.tenantId, mailboxes: [user.userPrincipalName], categories: ["email", "contacts", "events"] });
  expect(r1.status).toBe("Completed");
  const inbox = sim.tenant.folderId(user.id, "mail", "inbox")!;
  const added = sim.tenant.add({ op: "add", kind: "message", user: user.id, folder: inbox, item: { subject: "on s3" } });
  const [r2] = await runExchangeBackup(repo, graph, { tenantId: sim.tenantId, mailboxes: [user.id], categories: ["email", "contacts", "events"] });
  expect(r2.status).toBe("Completed");
  expect(r2.stats.itemsRead).toBe(1);
  const { details } = await getBackupDetails(repo, r2.backupId!);
  expect(new Set(details.filter((d) => d.exchange).map((d) => d.itemRef))).toEqual(new Set(tenantItems(sim, user.id).keys()));
  expect((await listBackups(repo, "exchange")).length).toBe(2);
  const res = await exportExchange(repo, r2.backupId!, selectorFromFlags({ emailSubject: "on s3" }), join(dir, "out"));
  expect(res.items).toBe(1);
  expect(await Bun.file(join(dir, "out", "Emails", "Inbox", `${added}.eml`)).exists()).toBe(true);
}, 120_000);
