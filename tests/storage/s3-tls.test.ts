// TLS options against a real MinIO serving HTTPS with a self-signed certificate.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { StorageError } from "../../lib/errors.ts";
import { openS3Storage } from "../../lib/storage/s3.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";

// Real MinIO/kopia processes on a shared 2-core machine: be generous with time, not with retries.
setDefaultTimeout(120_000);

let minio: MinioServer;

beforeAll(async () => {
  minio = await startMinio({ tls: true });
  await minio.createBucket("tls");
}, 120_000);
afterAll(async () => {
  await minio?.stop();
}, 120_000);

test("self-signed certificate is refused by default with a one-line hint", async () => {
  let err: unknown;
  try {
    await openS3Storage(minio.options("tls", { doNotVerifyTLS: false, retry: { maxAttempts: 1 } }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StorageError);
  const msg = (err as Error).message;
  expect(msg).toStartWith(`cannot open S3 storage: TLS error talking to S3 endpoint ${minio.endpoint}: `);
  expect(msg).toContain("--disable-tls-verification");
  expect(msg).not.toContain("\n");
});

test("doNotVerifyTLS accepts the self-signed certificate over HTTPS", async () => {
  const st = await openS3Storage(minio.options("tls", { doNotVerifyTLS: true }));
  try {
    await st.putBlob("kopia.repository", new TextEncoder().encode("over https"));
    expect(new TextDecoder().decode(await st.getBlob("kopia.repository"))).toBe("over https");
  } finally {
    await st.close();
  }
});

test("plain HTTP client against the HTTPS server fails cleanly", async () => {
  let err: unknown;
  try {
    await openS3Storage(minio.options("tls", { doNotUseTLS: true, retry: { maxAttempts: 1 } }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StorageError);
  expect((err as Error).message).toBe(
    `cannot open S3 storage: unexpected non-S3 response (HTTP 400) from ${minio.endpoint}: check the endpoint and the --disable-tls setting`,
  );
});
