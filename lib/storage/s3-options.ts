// S3 storage options and their normalisation. Kept apart from s3.ts so that config/CLI code
// can validate and normalise without loading the AWS SDK.
import { UsageError } from "../errors.ts";

export const DEFAULT_S3_ENDPOINT = "s3.amazonaws.com";

export interface S3RetryOptions {
  /** Total attempts per operation, including the first (default 8). */
  maxAttempts?: number;
  /** First backoff delay in ms (default 200); doubles per attempt. */
  baseDelayMs?: number;
  /** Cap of a single backoff delay in ms (default 10000). */
  maxDelayMs?: number;
  /** Called before each retry (for logging/metrics). */
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: unknown }) => void;
}

export interface S3Options {
  bucket: string;
  prefix?: string;
  /** host[:port], no scheme; default s3.amazonaws.com. */
  endpoint?: string;
  doNotUseTLS?: boolean;
  doNotVerifyTLS?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  /** Shared-config profile for the AWS credential chain (else AWS_PROFILE / "default"). */
  profile?: string;
  retry?: S3RetryOptions;
  /** Socket idle timeout per request in ms (default 60000); a stalled request is retried. */
  requestTimeoutMs?: number;
  /** TCP/TLS connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
}

/** Corso's NormalizePrefix: non-empty prefixes end with exactly one "/". */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? "").replace(/\/+$/, "");
  return p === "" ? "" : p + "/";
}

/** Corso strips a leading "s3://" from bucket names. */
export function normalizeBucket(bucket: string): string {
  return bucket.trim().replace(/^s3:\/\//, "");
}

/** Validates the endpoint (host[:port]); Corso rejects endpoints with a scheme. */
export function normalizeEndpoint(endpoint: string | undefined): string {
  const e = (endpoint ?? "").trim();
  if (e === "") return DEFAULT_S3_ENDPOINT;
  if (/^https?:\/\//i.test(e)) {
    throw new UsageError(
      "endpoint doesn't support specifying protocol. pass --disable-tls flag to use http:// instead of default https://",
    );
  }
  if (/[/\s?#@]/.test(e)) throw new UsageError(`invalid S3 endpoint "${e}": expected host[:port]`);
  return e;
}
