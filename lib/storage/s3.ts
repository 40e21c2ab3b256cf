// S3 blob storage (kopia's repo/blob/s3 semantics) on the AWS SDK v3. The only module that
// imports @aws-sdk/*; load it lazily (see open.ts).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  S3ServiceException,
  type ObjectStorageClass,
} from "@aws-sdk/client-s3";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createHash } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { BlobNotFoundError, StorageError, UsageError, errorMessage } from "../errors.ts";
import {
  DEFAULT_S3_ENDPOINT,
  normalizeBucket,
  normalizeEndpoint,
  normalizePrefix,
  type S3Options,
  type S3RetryOptions,
} from "./s3-options.ts";
import {
  BlobAlreadyExistsError,
  type BlobMetadata,
  type BlobStorage,
  type PutOptions,
  type RetentionMode,
} from "./types.ts";

export type { S3Options, S3RetryOptions } from "./s3-options.ts";
export { normalizeBucket, normalizeEndpoint, normalizePrefix } from "./s3-options.ts";

/** Per-prefix storage classes (kopia's optional `.storageconfig` object). */
const STORAGE_CONFIG_NAME = ".storageconfig";
const CONTENT_TYPE = "application/x-kopia";

const RETRIABLE_CODES = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "ConditionalRequestConflict",
  "OperationAborted",
  "XMinioServerNotInitialized",
  "XMinioReadQuorum",
  "XMinioWriteQuorum",
]);
const RETRIABLE_NET = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "ECONNREFUSED",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ConnectionRefused",
  "ConnectionClosed",
  "ECONNCLOSED",
  "UND_ERR_SOCKET",
]);

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errName(e: unknown): string {
  if (e instanceof S3ServiceException) return e.name;
  return (e as { name?: string })?.name ?? "";
}

function netCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === "string") return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Transient failures worth retrying: 5xx, throttling, timeouts, dropped connections. */
export function isRetriableS3Error(e: unknown): boolean {
  if (e instanceof StorageError || e instanceof BlobNotFoundError || e instanceof BlobAlreadyExistsError) return false;
  const status = httpStatus(e);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  const name = errName(e);
  if (RETRIABLE_CODES.has(name) || name === "TimeoutError") return true;
  const code = netCode(e);
  if (code && RETRIABLE_NET.has(code)) return true;
  if (status !== undefined) return false; // a real S3 answer (4xx): retrying won't change it
  const msg = errorMessage(e).toLowerCase();
  return /socket hang up|connection (reset|closed|refused)|timed? ?out|econnreset|network|premature close|aborted/.test(msg);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function isNetworkFailure(e: unknown): boolean {
  return httpStatus(e) === undefined && !(e instanceof S3ServiceException);
}

export async function openS3Storage(opts: S3Options): Promise<BlobStorage> {
  const bucket = normalizeBucket(opts.bucket ?? "");
  if (bucket === "") throw new UsageError("missing required storage configuration: bucket");
  const endpoint = normalizeEndpoint(opts.endpoint);
  const prefix = normalizePrefix(opts.prefix);
  if (!!opts.accessKeyId !== !!opts.secretAccessKey) {
    throw new UsageError("S3 credentials need both an access key ID and a secret access key");
  }
  const st = new S3Storage(bucket, prefix, endpoint, opts);
  try {
    await st.checkBucket();
    await st.loadStorageConfig();
  } catch (e) {
    await st.close();
    throw e;
  }
  return st;
}

interface StorageClassRule {
  prefix: string;
  storageClass: string;
}

class S3Storage implements BlobStorage {
  readonly displayName: string;
  private client: S3Client;
  private region: string;
  private readonly retry: Required<Omit<S3RetryOptions, "onRetry">> & Pick<S3RetryOptions, "onRetry">;
  private storageClasses: StorageClassRule[] = [];

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    readonly endpoint: string,
    private readonly opts: S3Options,
  ) {
    this.displayName = `s3://${bucket}/${prefix}`;
    this.retry = {
      maxAttempts: Math.max(1, opts.retry?.maxAttempts ?? 8),
      baseDelayMs: opts.retry?.baseDelayMs ?? 200,
      maxDelayMs: opts.retry?.maxDelayMs ?? 10_000,
      onRetry: opts.retry?.onRetry,
    };
    this.region = opts.region || process.env.AWS_REGION || "us-east-1";
    this.client = this.makeClient(this.region);
  }

  private makeClient(region: string): S3Client {
    const { opts, endpoint } = this;
    const isAws = endpoint === DEFAULT_S3_ENDPOINT || /(^|\.)amazonaws\.com(\.cn)?$/.test(endpoint.replace(/:\d+$/, ""));
    const keepAlive = { keepAlive: true, maxSockets: 64 };
    const credentials =
      opts.accessKeyId && opts.secretAccessKey
        ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, sessionToken: opts.sessionToken || undefined }
        : fromNodeProviderChain(opts.profile ? { profile: opts.profile } : {});
    return new S3Client({
      region,
      // For AWS proper let the SDK build virtual-hosted regional URLs; anything else
      // (MinIO, Ceph, …) gets path-style requests against exactly the given host.
      endpoint: endpoint === DEFAULT_S3_ENDPOINT ? undefined : `${opts.doNotUseTLS ? "http" : "https"}://${endpoint}`,
      tls: !opts.doNotUseTLS,
      forcePathStyle: !isAws,
      // Without an explicit region the bucket's region is learnt at open (checkBucket); this
      // lets the SDK cope with AWS redirects until then.
      followRegionRedirects: !opts.region,
      credentials,
      // Retries are ours (withRetry) so they cover reading response bodies too.
      maxAttempts: 1,
      // We send Content-MD5 ourselves; no extra CRC trailers (some S3 clones reject them).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: new NodeHttpHandler({
        httpAgent: new HttpAgent(keepAlive),
        httpsAgent: new HttpsAgent({ ...keepAlive, rejectUnauthorized: !opts.doNotVerifyTLS }),
        connectionTimeout: opts.connectTimeoutMs ?? 10_000,
        // An idle-socket timeout, not a whole-request cap: large blobs on slow links are fine
        // as long as bytes keep flowing.
        socketTimeout: opts.requestTimeoutMs ?? 60_000,
      }),
    });
  }

  /** Switches to the bucket's real region (signatures are region-bound). */
  private useRegion(region: string | undefined): void {
    if (!region || region === this.region || this.opts.region) return;
    this.client.destroy();
    this.region = region;
    this.client = this.makeClient(region);
  }

  private key(id: string): string {
    return this.prefix + id;
  }

  private async withRetry<T>(operation: string, fn: () => Promise<T>, maxAttempts = this.retry.maxAttempts): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= maxAttempts || !isRetriableS3Error(e)) throw e;
        // Capped exponential backoff with "equal jitter": at least half the step, at most all of it.
        const step = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.round(step / 2 + Math.random() * (step / 2));
        this.retry.onRetry?.({ operation, attempt, delayMs, error: e });
        await Bun.sleep(delayMs);
      }
    }
  }

  /** Turns an SDK/network failure into a one-line StorageError naming the bucket/endpoint. */
  private fail(what: string, e: unknown): StorageError {
    if (e instanceof StorageError) return e;
    const where = `bucket "${this.bucket}" at ${this.endpoint}`;
    const name = errName(e);
    const status = httpStatus(e);
    if (name === "NoSuchBucket") return new StorageError(`${what}: bucket "${this.bucket}" does not exist at ${this.endpoint}`, { cause: e });
    if (name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" || name === "ExpiredToken" || name === "InvalidToken") {
      return new StorageError(`${what}: invalid S3 credentials for ${where} (${name})`, { cause: e });
    }
    if (name === "AccessDenied" || status === 403) return new StorageError(`${what}: access denied to ${where}`, { cause: e });
    if (name === "CredentialsProviderError" || /could not load credentials/i.test(errorMessage(e))) {
      return new StorageError(
        `${what}: no S3 credentials found (set --aws-access-key/--aws-secret-access-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)`,
        { cause: e },
      );
    }
    if (/deserialization error|xml parse error/i.test(errorMessage(e))) {
      // Something answered that is not an S3 API (web server, HTTPS port spoken to in plain HTTP, …).
      return new StorageError(
        `${what}: unexpected non-S3 response${status ? ` (HTTP ${status})` : ""} from ${this.endpoint}: check the endpoint and the --disable-tls setting`,
        { cause: e },
      );
    }
    if (isNetworkFailure(e)) return new StorageError(`${what}: ${this.describeNetwork(e)}`, { cause: e });
    const detail = e instanceof S3ServiceException ? `${name}${status ? ` (HTTP ${status})` : ""}: ${e.message}` : errorMessage(e);
    return new StorageError(oneLine(`${what} in ${where}: ${detail}`), { cause: e });
  }

  private describeNetwork(e: unknown): string {
    const code = netCode(e);
    const msg = oneLine(errorMessage(e));
    switch (code) {
      case "ECONNREFUSED":
      case "ConnectionRefused":
        return `cannot connect to S3 endpoint ${this.endpoint}: connection refused`;
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `cannot resolve S3 endpoint ${this.endpoint}`;
      case "ETIMEDOUT":
        return `timed out connecting to S3 endpoint ${this.endpoint}`;
    }
    if (/wrong_version_number|wrong version number|packet length too long/i.test(msg)) {
      return `TLS handshake with S3 endpoint ${this.endpoint} failed: the server does not seem to speak HTTPS (use --disable-tls for plain HTTP)`;
    }
    if (/certificate|self[- ]signed|tls|ssl|unable to verify/i.test(`${code ?? ""} ${msg}`)) {
      return `TLS error talking to S3 endpoint ${this.endpoint}: ${msg} (use --disable-tls-verification for self-signed certificates, or --disable-tls for plain HTTP)`;
    }
    return `cannot reach S3 endpoint ${this.endpoint}: ${code ? `${code}: ` : ""}${msg}`;
  }

  /** Corso never creates buckets: the bucket must exist and be reachable with these credentials. */
  async checkBucket(): Promise<void> {
    try {
      // Few attempts: an unreachable endpoint should fail fast at open.
      const head = () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      const r = await this.withRetry("HeadBucket", head, Math.min(3, this.retry.maxAttempts));
      this.useRegion(r.BucketRegion);
      return;
    } catch (e) {
      const status = httpStatus(e);
      if (status === 404 || errName(e) === "NotFound" || errName(e) === "NoSuchBucket") {
        throw new StorageError(`bucket "${this.bucket}" does not exist at ${this.endpoint} (Corso does not create buckets)`, { cause: e });
      }
      const expected = /expecting '([a-z0-9-]+)'/.exec(errorMessage(e))?.[1];
      if (errName(e) === "AuthorizationHeaderMalformed" && expected && expected !== this.region && !this.opts.region) {
        this.useRegion(expected);
        return this.checkBucket();
      }
      if (status === 301 || errName(e) === "PermanentRedirect") {
        throw new StorageError(`bucket "${this.bucket}" is in another region: pass the bucket's region`, { cause: e });
      }
      if (status === 400 || status === 403) {
        // HEAD responses carry no error code; a tiny GET tells bad credentials from missing permissions.
        try {
          await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }));
        } catch (e2) {
          throw this.fail(`cannot open S3 storage`, e2);
        }
      }
      throw this.fail(`cannot open S3 storage`, e);
    }
  }

  async loadStorageConfig(): Promise<void> {
    let data: Uint8Array;
    try {
      data = await this.getBlob(STORAGE_CONFIG_NAME);
    } catch (e) {
      if (e instanceof BlobNotFoundError) return;
      throw e;
    }
    try {
      const parsed = JSON.parse(new TextDecoder().decode(data)) as { blobOptions?: StorageClassRule[] };
      this.storageClasses = (parsed.blobOptions ?? []).filter((r) => typeof r.prefix === "string" && typeof r.storageClass === "string");
    } catch (e) {
      throw new StorageError(`invalid ${STORAGE_CONFIG_NAME} in ${this.displayName}: ${errorMessage(e)}`, { cause: e });
    }
  }

  private storageClassFor(id: string): string | undefined {
    return this.storageClasses.find((r) => id.startsWith(r.prefix))?.storageClass || undefined;
  }

  private isNotFound(e: unknown): boolean {
    const n = errName(e);
    return n === "NoSuchKey" || n === "NotFound" || (httpStatus(e) === 404 && n !== "NoSuchBucket");
  }

  async getBlob(id: string, offset = 0, length = -1): Promise<Uint8Array> {
    if (offset < 0) throw new StorageError(`invalid range for blob ${id}: negative offset ${offset}`);
    if (length === 0) {
      const m = await this.getMetadata(id);
      if (offset > m.length) throw new StorageError(`invalid range for blob ${id}: offset ${offset} exceeds blob size ${m.length}`);
      return new Uint8Array(0);
    }
    let range: string | undefined;
    if (length > 0) range = `bytes=${offset}-${offset + length - 1}`;
    else if (offset > 0) range = `bytes=${offset}-`;
    try {
      const data = await this.withRetry(`GetObject ${id}`, async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id), Range: range }));
        const body = r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
        // A connection cut short can look like a clean end of a chunked body: insist on the advertised length.
        if (r.ContentLength !== undefined && body.length !== r.ContentLength) {
          throw Object.assign(new Error(`short read: got ${body.length} of ${r.ContentLength} bytes`), { code: "ECONNRESET" });
        }
        return body;
      });
      if (length > 0 && data.length !== length) {
        throw new StorageError(`invalid range for blob ${id}: got ${data.length} bytes, expected ${length}`);
      }
      return data;
    } catch (e) {
      if (this.isNotFound(e)) throw new BlobNotFoundError(id, { cause: e });
      if (errName(e) === "InvalidRange" || httpStatus(e) === 416) {
        throw new StorageError(`invalid range for blob ${id}: offset ${offset} length ${length} is beyond the blob`, { cause: e });
      }
      throw this.fail(`cannot read blob ${id}`, e);
    }
  }

  async getMetadata(id: string): Promise<BlobMetadata> {
    try {
      const r = await this.withRetry(`HeadObject ${id}`, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(id) })),
      );
      return { id, length: r.ContentLength ?? 0, timestamp: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (this.isNotFound(e)) throw new BlobNotFoundError(id, { cause: e });
      throw this.fail(`cannot stat blob ${id}`, e);
    }
  }

  async putBlob(id: string, data: Uint8Array, opts?: PutOptions): Promise<void> {
    let mode: RetentionMode | undefined;
    let until: Date | undefined;
    if (opts?.retentionPeriodMs || opts?.retentionMode) {
      mode = validMode(opts.retentionMode, id);
      const period = opts.retentionPeriodMs ?? 0;
      if (!(period > 0)) throw new StorageError(`cannot write blob ${id}: retention mode ${mode} needs a positive period`);
      until = new Date(Date.now() + period);
    }
    // Content-MD5 is mandatory for object-lock buckets; cheap next to the upload itself.
    const md5 = createHash("md5").update(data).digest("base64");
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let attempts = 0;
    try {
      await this.withRetry(`PutObject ${id}`, () => {
        attempts++;
        return this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(id),
            Body: body,
            ContentLength: body.length,
            ContentMD5: md5,
            ContentType: CONTENT_TYPE,
            StorageClass: this.storageClassFor(id) as ObjectStorageClass | undefined,
            ObjectLockMode: mode,
            ObjectLockRetainUntilDate: until,
            IfNoneMatch: opts?.doNotRecreate ? "*" : undefined,
          }),
        );
      });
    } catch (e) {
      if (opts?.doNotRecreate && (errName(e) === "PreconditionFailed" || httpStatus(e) === 412)) {
        // A retried put may find the object its own lost-response attempt created: same bytes = success.
        if (attempts > 1 && (await this.getBlob(id).then((b) => Buffer.from(b).equals(body), () => false))) return;
        throw new BlobAlreadyExistsError(id);
      }
      throw this.fail(`cannot write blob ${id}`, e);
    }
  }

  async deleteBlob(id: string): Promise<void> {
    try {
      await this.withRetry(`DeleteObject ${id}`, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(id) })),
      );
    } catch (e) {
      if (this.isNotFound(e)) return;
      throw this.fail(`cannot delete blob ${id}`, e);
    }
  }

  async *listBlobs(idPrefix: string): AsyncGenerator<BlobMetadata> {
    let token: string | undefined;
    do {
      const page = await this.withRetry(`ListObjectsV2 ${idPrefix}`, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + idPrefix, ContinuationToken: token }),
        ),
      ).catch((e) => {
        throw this.fail(`cannot list blobs with prefix "${idPrefix}"`, e);
      });
      for (const o of page.Contents ?? []) {
        if (!o.Key || !o.Key.startsWith(this.prefix)) continue;
        const id = o.Key.slice(this.prefix.length);
        if (id === STORAGE_CONFIG_NAME) continue;
        yield { id, length: o.Size ?? 0, timestamp: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async extendRetention(id: string, mode: RetentionMode, periodMs: number): Promise<void> {
    const m = validMode(mode, id);
    if (!(periodMs > 0)) throw new StorageError(`cannot extend retention of blob ${id}: period must be positive`);
    try {
      await this.withRetry(`PutObjectRetention ${id}`, () =>
        this.client.send(
          new PutObjectRetentionCommand({
            Bucket: this.bucket,
            Key: this.key(id),
            Retention: { Mode: m, RetainUntilDate: new Date(Date.now() + periodMs) },
          }),
        ),
      );
    } catch (e) {
      if (this.isNotFound(e)) throw new BlobNotFoundError(id, { cause: e });
      throw this.fail(`cannot extend retention of blob ${id}`, e);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function validMode(mode: string | undefined, id: string): RetentionMode {
  if (mode === "GOVERNANCE" || mode === "COMPLIANCE") return mode;
  throw new StorageError(`cannot write blob ${id}: invalid retention mode "${mode ?? ""}" (GOVERNANCE or COMPLIANCE)`);
}
