import { describe, expect, test } from "bun:test";
import { backoffDelay, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, retryDelayFor, DEFAULT_RETRY } from "../../lib/m365/graph/retry.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-21T10:00:00Z");
  test("delta-seconds", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("2.5", now)).toBe(2500);
  });
  test("HTTP-date in the future and in the past", () => {
    expect(parseRetryAfter("Sat, 21 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sat, 21 Nov 2026 09:59:00 GMT", now)).toBe(0);
  });
  test("absent or garbage", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-3", now)).toBeUndefined();
  });
});

describe("backoff", () => {
  const p = { baseDelayMs: 1000, maxDelayMs: 8000 };
  test("full jitter bounds grow exponentially and are capped", () => {
    expect(backoffDelay(1, p, () => 0.999999)).toBe(999);
    expect(backoffDelay(2, p, () => 0.999999)).toBe(1999);
    expect(backoffDelay(3, p, () => 0.999999)).toBe(3999);
    expect(backoffDelay(4, p, () => 0.999999)).toBe(7999);
    expect(backoffDelay(10, p, () => 0.999999)).toBe(7999);
    expect(backoffDelay(5, p, () => 0)).toBe(0);
  });
  test("jitter is spread over the range", () => {
    let r = 0;
    const seq = () => (r = (r * 9301 + 49297) % 233280) / 233280;
    const xs = Array.from({ length: 200 }, () => backoffDelay(3, p, seq));
    expect(Math.min(...xs)).toBeLessThan(800);
    expect(Math.max(...xs)).toBeGreaterThan(3200);
    for (const x of xs) expect(x).toBeLessThan(4000);
  });
  test("Retry-After wins over backoff and is clamped", () => {
    expect(retryDelayFor(1, 5000, DEFAULT_RETRY, () => 0.5)).toBe(5000);
    expect(retryDelayFor(1, 10_000_000, DEFAULT_RETRY)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
    expect(retryDelayFor(2, undefined, { ...DEFAULT_RETRY, baseDelayMs: 100 }, () => 0.5)).toBe(100);
  });
});

describe("what is retried", () => {
  test("statuses", () => {
    for (const s of [429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 400, 401, 403, 404, 409, 410, 501]) expect(isRetryableStatus(s)).toBe(false);
  });
  test("network errors", () => {
    expect(isRetryableNetworkError(Object.assign(new Error("read failed"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryableNetworkError(new Error("The socket connection was closed unexpectedly"))).toBe(true);
    expect(isRetryableNetworkError(new DOMException("timed out", "TimeoutError"))).toBe(true);
    expect(isRetryableNetworkError(new TypeError("undefined is not a function"))).toBe(false);
    expect(isRetryableNetworkError("ECONNRESET")).toBe(false);
  });
});
