// S3 backend against a real MinIO server (started per file), plus a real HTTP fault proxy.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobNotFoundError, StorageError, UsageError } from "../../lib/errors.ts";
import { withRetention } from "../../lib/storage/locking.ts";
import { openStorage } from "../../lib/storage/open.ts";
import { normalizeBucket, normalizeEndpoint, normalizePrefix, openS3Storage, type S3Options } from "../../lib/storage/s3.ts";
import { BlobAlreadyExistsError, listAll, type BlobStorage } from "../../lib/storage/types.ts";
import { freePort, startMinio, type MinioServer } from "../helpers/minio.ts";
import { packId, runConformance } from "./conformance.ts";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.ts";

// Real MinIO/kopia processes on a shared 2-core machine: be generous with time, not with retries.
setDefaultTimeout(120_000);

let minio: MinioServer;
let raw: S3Client;
let n = 0;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const DAY = 86_400_000;
const prefixOf = (st: BlobStorage) => (st as unknown as { prefix: string }).prefix;

beforeAll(async () => {
  // Tests must never reach a cloud metadata endpoint through the default credential chain.
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  minio = await startMinio();
  await minio.createBucket("conf");
  await minio.createBucket("locked", { objectLock: true });
  raw = new S3Client({
    endpoint: `http://${minio.endpoint}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
}, 120_000);

afterAll(async () => {
  raw?.destroy();
  await minio?.stop();
}, 120_000);

async function rawKeys(bucket: string, prefix = ""): Promise<string[]> {
  const r = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

runConformance("s3 (MinIO)", {
  open: (opts) => openS3Storage(minio.options("conf", { prefix: opts?.prefix ?? `conf-${++n}` })),
  async writeRaw(st, name, data) {
    await raw.send(new PutObjectCommand({ Bucket: "conf", Key: prefixOf(st) + name, Body: data }));
  },
});

describe("s3 keys and prefixes", () => {
  test("normalisation helpers follow Corso", () => {
    expect(normalizePrefix("")).toBe("");
    expect(normalizePrefix(undefined)).toBe("");
    expect(normalizePrefix("a")).toBe("a/");
    expect(normalizePrefix("a/b//")).toBe("a/b/");
    expect(normalizePrefix("/")).toBe("");
    expect(normalizeBucket("s3://my-bucket")).toBe("my-bucket");
    expect(normalizeEndpoint("")).toBe("s3.amazonaws.com");
    expect(normalizeEndpoint("minio.local:9000")).toBe("minio.local:9000");
    expect(() => normalizeEndpoint("minio.local/path")).toThrow(UsageError);
  });

  test("key = normalised prefix + blob ID; displayName names bucket and prefix", async () => {
    const a = await openS3Storage(minio.options("conf", { prefix: "norm/x//" }));
    const b = await openS3Storage(minio.options("s3://conf", { prefix: "norm/x" }));
    const root = await openS3Storage(minio.options("conf"));
    try {
      expect(a.displayName).toBe("s3://conf/norm/x/");
      await a.putBlob("kopia.repository", enc("one"));
      expect(await rawKeys("conf", "norm/")).toEqual(["norm/x/kopia.repository"]);
      expect(dec(await b.getBlob("kopia.repository"))).toBe("one");
      const id = packId();
      await root.putBlob(id, enc("at bucket root"));
      expect(await rawKeys("conf", id)).toEqual([id]);
      // Without a prefix the whole bucket is visible, so other prefixes show up as IDs with "/".
      expect((await listAll(root, "norm/")).map((m) => m.id)).toEqual(["norm/x/kopia.repository"]);
    } finally {
      await Promise.all([a.close(), b.close(), root.close()]);
    }
  });

  test("pagination: > 1000 blobs are listed completely, page by page", async () => {
    const px = startFaultProxy(minio.endpoint);
    const st = await openS3Storage(minio.options("conf", { prefix: "many", endpoint: px.endpoint }));
    try {
      const ids = Array.from({ length: 1234 }, (_, i) => `x${String(i).padStart(5, "0")}_${"ab".repeat(8)}`);
      const queue = [...ids];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let id = queue.pop(); id; id = queue.pop()) await st.putBlob(id, enc(id.slice(0, 6)));
      }));
      await st.putBlob("pother" + "0".repeat(30), enc("not x"));
      px.reset();
      const seen = new Set<string>();
      for await (const m of st.listBlobs("x")) {
        expect(m.length).toBe(6);
        seen.add(m.id);
      }
      expect(seen.size).toBe(1234);
      expect([...seen].sort()).toEqual([...ids].sort());
      const listCalls = px.log.filter((r) => r.method === "GET" && r.query.includes("list-type=2"));
      expect(listCalls.length).toBe(2);
      expect(listCalls[1].query).toContain("continuation-token=");
    } finally {
      await st.close();
      await px.stop();
    }
  });

  test("invalid .storageconfig is a clear open error", async () => {
    await raw.send(new PutObjectCommand({ Bucket: "conf", Key: "badcfg/.storageconfig", Body: "{nope" }));
    const e = await errorOf(openS3Storage(minio.options("conf", { prefix: "badcfg" })));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toMatch(/^invalid \.storageconfig in s3:\/\/conf\/badcfg\//);
  });
});

describe("s3 open errors", () => {
  test("missing bucket names the bucket; nothing is created", async () => {
    const e = await errorOf(openS3Storage(minio.options("no-such-bucket")));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toBe(`bucket "no-such-bucket" does not exist at ${minio.endpoint} (Corso does not create buckets)`);
    const e2 = await errorOf(openS3Storage(minio.options("no-such-bucket")));
    expect(e2.message).toContain("does not exist");
  });

  test("wrong secret and unknown access key are one-line credential errors", async () => {
    const e1 = await errorOf(openS3Storage(minio.options("conf", { secretAccessKey: "definitely-wrong" })));
    expect(e1).toBeInstanceOf(StorageError);
    expect(e1.message).toBe(`cannot open S3 storage: invalid S3 credentials for bucket "conf" at ${minio.endpoint} (SignatureDoesNotMatch)`);
    const e2 = await errorOf(openS3Storage(minio.options("conf", { accessKeyId: "nobody-at-all" })));
    expect(e2.message).toBe(`cannot open S3 storage: invalid S3 credentials for bucket "conf" at ${minio.endpoint} (InvalidAccessKeyId)`);
  });

  test("endpoint with a scheme is rejected like Corso", async () => {
    for (const ep of [`http://${minio.endpoint}`, `HTTPS://${minio.endpoint}`]) {
      const e = await errorOf(openS3Storage(minio.options("conf", { endpoint: ep })));
      expect(e).toBeInstanceOf(UsageError);
      expect(e.message).toBe("endpoint doesn't support specifying protocol. pass --disable-tls flag to use http:// instead of default https://");
    }
  });

  test("unreachable endpoint is one line naming it", async () => {
    const port = freePort();
    const e = await errorOf(openS3Storage(minio.options("conf", { endpoint: `127.0.0.1:${port}`, retry: { baseDelayMs: 5 } })));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toBe(`cannot open S3 storage: cannot connect to S3 endpoint 127.0.0.1:${port}: connection refused`);
  });

  test("TLS against a plain-HTTP server fails with a one-line error naming the endpoint", async () => {
    const e = await errorOf(openS3Storage(minio.options("conf", { doNotUseTLS: false, retry: { maxAttempts: 1 } })));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toBe(
      `cannot open S3 storage: TLS handshake with S3 endpoint ${minio.endpoint} failed: the server does not seem to speak HTTPS (use --disable-tls for plain HTTP)`,
    );
  });

  test("half-given static credentials are a usage error", async () => {
    const e = await errorOf(openS3Storage({ bucket: "conf", endpoint: minio.endpoint, doNotUseTLS: true, accessKeyId: "x" }));
    expect(e).toBeInstanceOf(UsageError);
    const e2 = await errorOf(openS3Storage({ bucket: "", endpoint: minio.endpoint }));
    expect(e2).toBeInstanceOf(UsageError);
  });
});

describe("s3 object lock", () => {
  const headLock = async (key: string) => {
    const h = await raw.send(new HeadObjectCommand({ Bucket: "locked", Key: key }));
    return { mode: h.ObjectLockMode, until: h.ObjectLockRetainUntilDate, version: h.VersionId };
  };

  test("every PUT carries a correct Content-MD5 and the kopia content type; object-lock bucket accepts it", async () => {
    const px = startFaultProxy(minio.endpoint);
    const st = await openS3Storage(minio.options("locked", { prefix: "md5", endpoint: px.endpoint }));
    try {
      const data = enc("checksummed payload");
      await st.putBlob("pmd5" + "0".repeat(30), data, { retentionMode: "GOVERNANCE", retentionPeriodMs: DAY });
      await st.putBlob("s0011", data);
      const puts = px.log.filter((r) => r.method === "PUT");
      expect(puts.length).toBe(2);
      for (const p of puts) {
        expect(p.headers.get("content-md5")).toBe(createHash("md5").update(data).digest("base64"));
        expect(p.headers.get("content-type")).toBe("application/x-kopia");
      }
      expect(puts[0].headers.get("x-amz-object-lock-mode")).toBe("GOVERNANCE");
      expect(puts[1].headers.get("x-amz-object-lock-mode")).toBeNull();
    } finally {
      await st.close();
      await px.stop();
    }
  });

  test("withRetention locks p/q/n/x/kopia.repository/kopia.blobcfg but not s/_log_/kopia.maintenance", async () => {
    const st = withRetention(await openS3Storage(minio.options("locked", { prefix: "wr" })), "GOVERNANCE", 2 * DAY);
    try {
      const before = Date.now();
      const lockedIds = [packId("p"), packId("q"), "n" + "1".repeat(32), "xn0_" + "2".repeat(32), "xe0", "kopia.repository", "kopia.blobcfg"];
      const freeIds = ["s" + "3".repeat(20), "_log_20261121_" + "4".repeat(20), "kopia.maintenance"];
      for (const id of [...lockedIds, ...freeIds]) await st.putBlob(id, enc(id));
      for (const id of lockedIds) {
        const l = await headLock("wr/" + id);
        expect(l.mode).toBe("GOVERNANCE");
        const until = l.until!.getTime();
        expect(until).toBeGreaterThanOrEqual(before + 2 * DAY - 5_000);
        expect(until).toBeLessThanOrEqual(Date.now() + 2 * DAY + 5_000);
      }
      for (const id of freeIds) {
        const l = await headLock("wr/" + id);
        expect(l.mode).toBeUndefined();
        expect(l.until).toBeUndefined();
      }
    } finally {
      await st.close();
    }
  });

  test("extendRetention moves RetainUntilDate forward", async () => {
    const st = await openS3Storage(minio.options("locked", { prefix: "ext" }));
    try {
      const id = packId();
      await st.putBlob(id, enc("x"), { retentionMode: "GOVERNANCE", retentionPeriodMs: DAY });
      const before = (await headLock("ext/" + id)).until!.getTime();
      await st.extendRetention!(id, "GOVERNANCE", 10 * DAY);
      const after = (await headLock("ext/" + id)).until!.getTime();
      expect(after).toBeGreaterThan(before + 8 * DAY);
      await expect(st.extendRetention!("pnothere", "GOVERNANCE", DAY)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(st.extendRetention!(id, "FOREVER" as never, DAY)).rejects.toBeInstanceOf(StorageError);
    } finally {
      await st.close();
    }
  });

  test("locked versions can't be deleted: GOVERNANCE needs bypass, COMPLIANCE can't at all", async () => {
    const st = await openS3Storage(minio.options("locked", { prefix: "del" }));
    try {
      await st.putBlob("pgov" + "0".repeat(30), enc("g"), { retentionMode: "GOVERNANCE", retentionPeriodMs: DAY });
      await st.putBlob("pcomp" + "0".repeat(30), enc("c"), { retentionMode: "COMPLIANCE", retentionPeriodMs: DAY });
      const gov = await headLock("del/pgov" + "0".repeat(30));
      const comp = await headLock("del/pcomp" + "0".repeat(30));
      expect(comp.mode).toBe("COMPLIANCE");
      const del = (key: string, VersionId: string, bypass?: boolean) =>
        raw.send(new DeleteObjectCommand({ Bucket: "locked", Key: key, VersionId, BypassGovernanceRetention: bypass }));
      const stillThere = (key: string, VersionId: string) =>
        raw.send(new HeadObjectCommand({ Bucket: "locked", Key: key, VersionId })).then(() => true, () => false);
      // AWS answers AccessDenied, MinIO InvalidRequest "Object is WORM protected"; either way it must stay.
      const ge = await errorOf(del("del/pgov" + "0".repeat(30), gov.version!));
      expect(["AccessDenied", "InvalidRequest"]).toContain(ge.name);
      expect(await stillThere("del/pgov" + "0".repeat(30), gov.version!)).toBe(true);
      const ce = await errorOf(del("del/pcomp" + "0".repeat(30), comp.version!, true));
      expect(["AccessDenied", "InvalidRequest"]).toContain(ce.name);
      expect(await stillThere("del/pcomp" + "0".repeat(30), comp.version!)).toBe(true);
      await del("del/pgov" + "0".repeat(30), gov.version!, true);
      expect(await stillThere("del/pgov" + "0".repeat(30), gov.version!)).toBe(false);

      // kopia-style deleteBlob on a versioned bucket only adds a delete marker; the locked data stays.
      await st.deleteBlob("pcomp" + "0".repeat(30));
      await expect(st.getBlob("pcomp" + "0".repeat(30))).rejects.toBeInstanceOf(BlobNotFoundError);
      const versions = await raw.send(new ListObjectVersionsCommand({ Bucket: "locked", Prefix: "del/pcomp" }));
      expect(versions.Versions?.map((v) => v.VersionId)).toEqual([comp.version]);
      expect(versions.DeleteMarkers?.length).toBe(1);
    } finally {
      await st.close();
    }
  });

  test("retention options are validated", async () => {
    const st = await openS3Storage(minio.options("locked", { prefix: "val" }));
    try {
      const e = await errorOf(st.putBlob("pbad", enc("x"), { retentionMode: "GOVERNANCE", retentionPeriodMs: 0 }));
      expect(e).toBeInstanceOf(StorageError);
      expect(e.message).toMatch(/positive period/);
      // A bucket without object lock refuses retention: surfaced as one-line StorageError.
      const plain = await openS3Storage(minio.options("conf", { prefix: "nolock" }));
      const e2 = await errorOf(plain.putBlob("pbad", enc("x"), { retentionMode: "GOVERNANCE", retentionPeriodMs: DAY }));
      expect(e2).toBeInstanceOf(StorageError);
      expect(e2.message).toMatch(/^cannot write blob pbad in bucket "conf"/);
      expect(e2.message).not.toContain("\n");
      await plain.close();
    } finally {
      await st.close();
    }
  });
});

describe("s3 credential chain", () => {
  const KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"];
  let saved: Record<string, string | undefined>;
  let dir: string;
  const noKeys = (extra?: Partial<S3Options>): S3Options => ({ bucket: "conf", prefix: "chain", endpoint: minio.endpoint, doNotUseTLS: true, retry: { maxAttempts: 2, baseDelayMs: 5 }, ...extra });

  beforeAll(async () => {
    saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
    dir = await fsp.mkdtemp(join(tmpdir(), "corso-aws-"));
  }, 120_000);
  afterAll(async () => {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }, 120_000);
  const clear = () => {
    for (const k of KEYS) delete process.env[k];
    process.env.AWS_CONFIG_FILE = join(dir, "no-config");
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "no-credentials");
  };

  test("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment", async () => {
    clear();
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
    const st = await openS3Storage(noKeys());
    await st.putBlob("kopia.repository", enc("env"));
    expect(dec(await st.getBlob("kopia.repository"))).toBe("env");
    await st.close();
    process.env.AWS_SECRET_ACCESS_KEY = "wrong-wrong-wrong";
    const e = await errorOf(openS3Storage(noKeys()));
    expect(e.message).toMatch(/invalid S3 credentials.*SignatureDoesNotMatch/);
  });

  test("no credentials anywhere: one-line hint naming the options", async () => {
    clear(); // env keys gone, no shared files; metadata endpoints disabled in beforeAll
    const e = await errorOf(openS3Storage(noKeys()));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toBe(
      "cannot open S3 storage: no S3 credentials found (set --aws-access-key/--aws-secret-access-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)",
    );
  });

  test("explicit keys win over the environment", async () => {
    clear();
    process.env.AWS_ACCESS_KEY_ID = "env-user";
    process.env.AWS_SECRET_ACCESS_KEY = "env-secret-wrong";
    const st = await openS3Storage(noKeys({ accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }));
    expect(dec(await st.getBlob("kopia.repository"))).toBe("env");
    await st.close();
  });

  test("shared credentials file with AWS_PROFILE, and the profile option", async () => {
    clear();
    const file = join(dir, "credentials");
    await fsp.writeFile(
      file,
      `[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing-here\n\n[corso-test]\naws_access_key_id = ${minio.accessKey}\naws_secret_access_key = ${minio.secretKey}\n`,
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = file;
    process.env.AWS_PROFILE = "corso-test";
    const st = await openS3Storage(noKeys());
    expect(dec(await st.getBlob("kopia.repository"))).toBe("env");
    await st.close();

    delete process.env.AWS_PROFILE;
    const e = await errorOf(openS3Storage(noKeys())); // [default] has bad keys
    expect(e.message).toMatch(/invalid S3 credentials.*InvalidAccessKeyId/);
    const st2 = await openS3Storage(noKeys({ profile: "corso-test" }));
    expect((await listAll(st2, "kopia.")).map((m) => m.id)).toEqual(["kopia.repository"]);
    await st2.close();
  });
});

describe("s3 retries through a fault-injecting proxy", () => {
  let px: FaultProxy;
  let st: BlobStorage;
  const retries: { operation: string; delayMs: number; error?: unknown }[] = [];

  beforeAll(async () => {
    px = startFaultProxy(minio.endpoint);
    st = await openS3Storage(
      minio.options("conf", {
        prefix: "retry",
        endpoint: px.endpoint,
        retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 40, onRetry: (i) => retries.push(i) },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await st?.close();
    await px?.stop();
  }, 120_000);
  const fresh = () => {
    px.reset();
    retries.length = 0;
  };

  test("503 SlowDown / 500 then success: put lands after exactly N retries", async () => {
    fresh();
    px.inject([{ kind: "slowdown" }, { kind: "slowdown" }, { kind: "internal" }]);
    await st.putBlob("kopia.repository", enc("after throttling"));
    expect(px.requests).toBe(4);
    expect(px.faults).toBe(3);
    expect(retries.map((r) => r.operation)).toEqual(Array(3).fill("PutObject kopia.repository"));
    for (const r of retries) expect(r.delayMs).toBeLessThanOrEqual(40);
    expect(dec(await st.getBlob("kopia.repository"))).toBe("after throttling");
  });

  test("connection dropped mid-body: GET is retried and returns the whole blob", async () => {
    const id = packId();
    const data = crypto.getRandomValues(new Uint8Array(4096));
    await st.putBlob(id, data);
    fresh();
    px.inject([{ kind: "drop" }, { kind: "drop" }], { method: "GET" });
    const got = await st.getBlob(id);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(px.faults).toBe(2);
    expect(px.requests).toBe(3);
    expect(retries.length).toBe(2);
  });

  test("stalled request times out and is retried", async () => {
    // Own client with a short idle timeout; the stall is far longer than any honest delay here.
    const quick = await openS3Storage(
      minio.options("conf", {
        prefix: "retry",
        endpoint: px.endpoint,
        requestTimeoutMs: 2500,
        retry: { maxAttempts: 3, baseDelayMs: 10, onRetry: (i) => retries.push(i) },
      }),
    );
    try {
      fresh();
      px.inject([{ kind: "stall", ms: 30_000 }]);
      const m = await quick.getMetadata("kopia.repository");
      expect(m.length).toBe("after throttling".length);
      expect(px.requests).toBe(2);
      expect(retries.length).toBe(1);
      expect(String((retries[0] as { error?: unknown }).error)).toMatch(/timed out/);
    } finally {
      await quick.close();
    }
  });

  test("throttled listing pages are retried without losing or duplicating entries", async () => {
    const ids = Array.from({ length: 20 }, () => packId("q"));
    await Promise.all(ids.map((id) => st.putBlob(id, enc("q"))));
    fresh();
    px.inject([{ kind: "slowdown" }, { kind: "internal" }], { method: "GET" });
    expect((await listAll(st, "q")).map((m) => m.id).sort()).toEqual(ids.sort());
    expect(px.faults).toBe(2);
    expect(retries.length).toBe(2);
  });

  test("persistent 503: gives up after maxAttempts with a one-line error", async () => {
    fresh();
    px.inject(Array(10).fill({ kind: "slowdown" }));
    const e = await errorOf(st.putBlob("pgiveup", enc("x")));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toBe(`cannot write blob pgiveup in bucket "conf" at ${px.endpoint}: SlowDown (HTTP 503): Please reduce your request rate.`);
    expect(px.requests).toBe(5);
    expect(retries.length).toBe(4);
  });

  test("doNotRecreate survives a lost response: the retry recognises its own write", async () => {
    fresh();
    // The proxy forwards the PUT (MinIO stores it), then kills the connection before the reply.
    px.inject([{ kind: "drop" }], { method: "PUT" });
    await st.putBlob("kopia.blobcfg", enc("mine"), { doNotRecreate: true });
    expect(px.faults).toBe(1);
    expect(retries.length).toBe(1);
    expect(dec(await st.getBlob("kopia.blobcfg"))).toBe("mine");
    // Someone else's existing blob is still reported as existing, even after a retry.
    fresh();
    px.inject([{ kind: "slowdown" }], { method: "PUT" });
    const e = await errorOf(st.putBlob("kopia.blobcfg", enc("theirs"), { doNotRecreate: true }));
    expect(e).toBeInstanceOf(BlobAlreadyExistsError);
    expect(dec(await st.getBlob("kopia.blobcfg"))).toBe("mine");
  });

  test("client errors are not retried", async () => {
    fresh();
    px.inject([{ kind: "status", status: 403, code: "AccessDenied" }]);
    const e = await errorOf(st.putBlob("pdenied", enc("x")));
    expect(e).toBeInstanceOf(StorageError);
    expect(e.message).toContain("access denied");
    expect(px.requests).toBe(1);
    expect(retries.length).toBe(0);
  });
});

describe("lazy loading", () => {
  test("openStorage opens S3 via dynamic import; importing open.ts alone doesn't load the AWS SDK", async () => {
    const script = `
      const before = () => Object.keys(require.cache).filter((k) => k.includes("@aws-sdk")).length;
      const { openStorage } = await import(${JSON.stringify(join(import.meta.dir, "../../lib/storage/open.ts"))});
      const a = before();
      const st = await openStorage({ provider: "s3", ...${JSON.stringify(minio.options("conf", { prefix: "lazy" }))} }, { create: true });
      await st.putBlob("xe0", new TextEncoder().encode("epoch-marker"));
      await st.close();
      console.log(JSON.stringify({ a, b: before() }));
    `;
    const p = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    const { a, b } = JSON.parse(p.stdout.toString());
    expect(a).toBe(0);
    expect(b).toBeGreaterThan(0);
    expect(await rawKeys("conf", "lazy/")).toEqual(["lazy/xe0"]);
    const st = await openStorage({ provider: "s3", ...minio.options("conf", { prefix: "lazy" }) }, { create: false });
    expect(dec(await st.getBlob("xe0"))).toBe("epoch-marker");
    await st.close();
  });
});
