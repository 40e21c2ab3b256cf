// A MinIO configured for a non-default region: the bucket region is discovered at open.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { StorageError } from "../../lib/errors.ts";
import { openS3Storage } from "../../lib/storage/s3.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";

setDefaultTimeout(120_000);
let minio: MinioServer;

beforeAll(async () => {
  minio = await startMinio({ region: "eu-central-1" });
  await minio.createBucket("regional");
}, 120_000);
afterAll(async () => {
  await minio?.stop();
}, 120_000);

test("no region given: the server's region is learnt and used for every request", async () => {
  const st = await openS3Storage(minio.options("regional", { prefix: "r" }));
  try {
    await st.putBlob("kopia.repository", new TextEncoder().encode("regional"));
    expect(new TextDecoder().decode(await st.getBlob("kopia.repository"))).toBe("regional");
    const ids: string[] = [];
    for await (const m of st.listBlobs("")) ids.push(m.id);
    expect(ids).toEqual(["kopia.repository"]);
  } finally {
    await st.close();
  }
});

test("an explicit wrong region is reported, not silently replaced", async () => {
  let err: unknown;
  try {
    await openS3Storage(minio.options("regional", { region: "us-west-2" }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StorageError);
  expect((err as Error).message).toMatch(/AuthorizationHeaderMalformed.*expecting 'eu-central-1'/);
  expect((err as Error).message).not.toContain("\n");
});
