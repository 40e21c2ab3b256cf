// extendObjectLocks on real MinIO with an object-lock bucket: full maintenance moves every
// locked blob's RetainUntilDate forward by the blobcfg period.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GetObjectRetentionCommand, S3Client } from "@aws-sdk/client-s3";
import { createContentRepository } from "../../../lib/repo/content-repository.ts";
import { defaultMaintenanceParams, runMaintenance, setMaintenanceParams } from "../../../lib/repo/maintenance/index.ts";
import { openS3Storage } from "../../../lib/storage/s3.ts";
import { listAll, type BlobStorage } from "../../../lib/storage/types.ts";
import { startMinio, type MinioServer } from "../../helpers/minio.ts";
import { randomData, writeSnapshot, openTestRepository } from "./helpers.ts";

const PW = "lock-pw";
const OWNER = "u@h";
const DAY = 24 * 3600 * 1000;
let minio: MinioServer;
let st: BlobStorage;
let s3: S3Client;
let repo: any;

async function retainUntil(key: string): Promise<number> {
  const r = await s3.send(new GetObjectRetentionCommand({ Bucket: "locked", Key: key }));
  return new Date(r.Retention!.RetainUntilDate!).getTime();
}

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket("locked", { objectLock: true });
  st = await openS3Storage(minio.options("locked"));
  s3 = new S3Client({
    endpoint: `http://${minio.endpoint}`, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  await createContentRepository(st, PW, { retentionMode: "GOVERNANCE", retentionPeriodMs: 3 * DAY });
  repo = await openTestRepository(st, PW, { hostname: "h", username: "u" });
  await writeSnapshot(repo, { "f.bin": randomData(50_000, 5) }, { host: "h", user: "u", path: "/l" }, new Date());
}, 120_000);

afterAll(async () => {
  await repo?.close?.().catch(() => {});
  s3?.destroy();
  await minio?.stop();
}, 60_000);

test("full maintenance with extendObjectLocks moves RetainUntilDate of every locked blob", async () => {
  const locked = [...(await listAll(st, "p")), ...(await listAll(st, "q")), ...(await listAll(st, "x")), ...(await listAll(st, "kopia.repository"))];
  expect(locked.length).toBeGreaterThanOrEqual(4);
  const before = new Map<string, number>();
  for (const b of locked) before.set(b.id, await retainUntil(b.id));

  await setMaintenanceParams(repo.manifests, { ...defaultMaintenanceParams(), owner: OWNER, extendObjectLocks: true });
  await Bun.sleep(2100);
  const t0 = Date.now();
  const r = await runMaintenance(repo, { mode: "full", owner: OWNER, safety: "full" });
  expect(r.retentionExtended).toBeGreaterThanOrEqual(locked.length);
  for (const b of locked) {
    const after = await retainUntil(b.id);
    expect(after).toBeGreaterThan(before.get(b.id)! + 1500);
    expect(after).toBeGreaterThanOrEqual(t0 + 3 * DAY - 1000);
  }
  // unlocked blobs stay unlocked
  await expect(retainUntil("kopia.maintenance")).rejects.toThrow();
}, 60_000);

test("without extendObjectLocks nothing is extended", async () => {
  await setMaintenanceParams(repo.manifests, { ...defaultMaintenanceParams(), owner: OWNER, extendObjectLocks: false });
  const r = await runMaintenance(repo, { mode: "full", owner: OWNER, safety: "full" });
  expect(r.retentionExtended).toBe(0);
  expect(r.tasks.find((t) => t.task === "extend-blob-retention-time")?.ran).toBe(false);
}, 60_000);
