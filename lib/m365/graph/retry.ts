// Retry policy: which failures are retried and how long to wait. Pure functions; the loop
// itself lives in http.ts.

export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  maxAttempts: number;
  /** Backoff base for attempt 1 (ms). */
  baseDelayMs: number;
  /** Cap on any single computed backoff (ms). */
  maxDelayMs: number;
  /** Cap on a server-provided Retry-After (ms); longer values are clamped, not ignored. */
  maxRetryAfterMs: number;
  /** Per-attempt timeout until the response is complete (JSON) or headers arrive (streams). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 7,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
  timeoutMs: 120_000,
};

/**
 * Parses Retry-After: delta-seconds (integer or decimal, as Graph sometimes sends) or an
 * HTTP-date. Returns milliseconds to wait (≥ 0) or undefined when absent/unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(parseFloat(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // "-3" and other numerics are not HTTP-dates
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - nowMs);
}

/**
 * Capped exponential backoff with full jitter (AWS architecture blog): uniform in
 * [0, min(cap, base·2^(attempt-1))]. `attempt` is the number of failed attempts so far (≥ 1).
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: () => number = Math.random): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, exp);
  return Math.floor(random() * ceiling);
}

/** Statuses that are retried. 429/503/504 honour Retry-After; 500/502 are transient server faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Connection-level failures worth another attempt: resets, unexpected EOF, timeouts, refused sockets. */
export function isRetryableNetworkError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = String((e as { code?: unknown }).code ?? "");
  if (e.name === "TimeoutError" || e.name === "AbortError") return true;
  if (/^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ECONNABORTED|EAI_AGAIN|UND_ERR_SOCKET|ConnectionClosed|ConnectionRefused|FailedToOpenSocket|ERR_STREAM_PREMATURE_CLOSE)$/i.test(code)) {
    return true;
  }
  const m = e.message.toLowerCase();
  return (
    m.includes("connection reset") || m.includes("socket connection was closed") || m.includes("econnreset") ||
    m.includes("unexpected eof") || m.includes("connection refused") || m.includes("timed out") ||
    m.includes("client connection force closed") || m.includes("network") || m.includes("socket hang up")
  );
}

/**
 * Delay before the next attempt after a retryable HTTP status. A Retry-After header wins
 * (clamped to maxRetryAfterMs); otherwise the jittered exponential backoff.
 */
export function retryDelayFor(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelay(attempt, policy, random);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error("aborted"));
    };
    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
}
