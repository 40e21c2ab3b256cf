// Starts a real MinIO server for S3 tests: temp data dir, random loopback ports, torn down by stop().
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN_DIR, ensureMinio, minioPath } from "../../scripts/setup-tools.ts";
import type { S3Options } from "../../lib/storage/s3-options.ts";

export interface MinioServer {
  /** "127.0.0.1:PORT" (no scheme; use doNotUseTLS). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  createBucket(name: string, opts?: { objectLock?: boolean }): Promise<void>;
  /** S3Options for this server (root credentials; plain HTTP, or HTTPS without verification when tls). */
  options(bucket: string, extra?: Partial<S3Options>): S3Options;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

function minioBinary(): string {
  if (existsSync(minioPath)) return minioPath;
  // The dev-environment bootstrap may have built the same pinned version under the plain
  // name; use it instead of compiling MinIO a second time.
  const plain = join(BIN_DIR, "minio");
  if (existsSync(plain)) return plain;
  return ensureMinio();
}

async function waitLive(url: string, proc: Bun.Subprocess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000), tls: { rejectUnauthorized: false } });
      if (r.ok) return true;
    } catch {
      // not up yet
    }
    await Bun.sleep(100);
  }
  return false;
}

/** Self-signed certificate for 127.0.0.1 written as MinIO expects (public.crt / private.key). */
async function writeSelfSignedCert(dir: string): Promise<void> {
  const r = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "private.key"), "-out", join(dir, "public.crt")],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString().trim()}`);
}

/** Starts MinIO; with `tls` it serves HTTPS with a fresh self-signed certificate; `region` sets MINIO_REGION. */
export async function startMinio(opts?: { tls?: boolean; region?: string }): Promise<MinioServer> {
  const bin = minioBinary();
  const accessKey = "corsotest";
  const secretKey = "corsotest-secret-" + crypto.randomUUID().slice(0, 8);
  const dataDir = await mkdtemp(join(tmpdir(), "corso-minio-"));
  const certsDir = join(dataDir, "certs");
  if (opts?.tls) {
    await mkdir(certsDir, { recursive: true });
    await writeSelfSignedCert(certsDir);
  }
  let lastErr = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const consolePort = freePort();
    const proc = Bun.spawn(
      [bin, "server", "--quiet", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, "--certs-dir", certsDir, join(dataDir, "data")],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dataDir,
          MINIO_ROOT_USER: accessKey,
          MINIO_ROOT_PASSWORD: secretKey,
          MINIO_BROWSER: "off",
          MINIO_UPDATE: "off",
          MINIO_CI_CD: "1",
          ...(opts?.region ? { MINIO_REGION: opts.region } : {}),
        },
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const endpoint = `127.0.0.1:${port}`;
    const scheme = opts?.tls ? "https" : "http";
    if (await waitLive(`${scheme}://${endpoint}/minio/health/live`, proc, 60_000)) {
      const admin = new S3Client({
        endpoint: `${scheme}://${endpoint}`,
        requestHandler: opts?.tls ? new NodeHttpHandler({ httpsAgent: new HttpsAgent({ rejectUnauthorized: false }) }) : undefined,
        region: opts?.region ?? "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
      });
      let stopped = false;
      return {
        endpoint,
        accessKey,
        secretKey,
        async createBucket(name, opts) {
          await admin.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: opts?.objectLock || undefined }));
        },
        options(bucket, extra) {
          return { bucket, endpoint, doNotUseTLS: !opts?.tls, doNotVerifyTLS: opts?.tls, accessKeyId: accessKey, secretAccessKey: secretKey, ...extra };
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          admin.destroy();
          proc.kill("SIGTERM");
          const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
          await proc.exited;
          clearTimeout(t);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    }
    proc.kill("SIGKILL");
    await proc.exited;
    lastErr = (await new Response(proc.stderr).text()).trim().split("\n").slice(-5).join(" | ");
  }
  await rm(dataDir, { recursive: true, force: true });
  throw new Error(`MinIO did not start: ${lastErr}`);
}
