// Exchange on an S3 repository (real MinIO): backup, list, details, incremental, export, delete
// through the binary against the simulator.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { startMinio, type MinioServer } from "../helpers/minio.ts";
import { completedIds, listFiles, sampleFixture, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";

setDefaultTimeout(240_000);

let e: ExchangeEnv;
let minio: MinioServer;
let s3env: Record<string, string>;

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket("exchange-repo");
  e = await startExchangeEnv("exch-s3", { fixture: sampleFixture() }, { initFilesystem: false });
  s3env = { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey };
  await e.ok(["repo", "init", "s3", "--bucket", "exchange-repo", "--prefix", "corso", "--endpoint", minio.endpoint, "--disable-tls"], s3env);
});

afterAll(async () => {
  await e?.cleanup();
  await minio?.stop();
});

test("backup → list → details → incremental → export → delete on S3", async () => {
  const upn = "MeganB@contoso.onmicrosoft.com";
  const megan = e.sim.tenant.users().find((u) => u.userPrincipalName === upn)!;
  const r1 = await e.ok(["backup", "create", "exchange", "--mailbox", upn], s3env);
  const [id1] = completedIds(r1);
  expect(id1).toBeDefined();
  const list = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"], s3env)).stdout);
  expect(list.map((b: any) => b.id)).toEqual([id1]);
  const total = ["mail", "contact", "calendar"].reduce((n, k) => n + e.sim.tenant.folders(megan.id, k as "mail").reduce((a, f) => a + f.itemCount, 0), 0);
  const d1 = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id1, "--json"], s3env)).stdout);
  expect(d1.length).toBe(total);

  const inbox = e.sim.tenant.folderId(megan.id, "mail", "inbox")!;
  const added = e.sim.tenant.add({ op: "add", kind: "message", user: megan.id, folder: inbox, item: { subject: "S3 incremental" } });
  const r2 = await e.ok(["backup", "create", "exchange", "--mailbox", upn], s3env);
  expect(r2.stdout).toMatch(/Items uploaded: 1 \|/);
  const [id2] = completedIds(r2);
  const d2 = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id2, "--json", "--email-subject", "S3 incremental"], s3env)).stdout);
  expect(d2.map((x: any) => x.itemRef)).toEqual([added]);

  const dest = join(e.dir, "s3-export");
  await e.ok(["export", "exchange", dest, "--backup", id2], s3env);
  expect(listFiles(dest).length).toBe(total + 1);

  const del = await e.ok(["backup", "delete", "exchange", "--backup", id1], s3env);
  expect(del.stderr).toContain(`Deleted Exchange backup [${id1}]`);
  const after = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"], s3env)).stdout);
  expect(after.map((b: any) => b.id)).toEqual([id2]);
  const v = await e.ok(["repo", "verify"], s3env);
  expect(v.stderr).toContain("0 problems found");
});
