// The Graph HTTP layer: every request goes through the Retry-After fence, the rate limiter for
// its service, the per-mailbox concurrency semaphore, auth, a per-attempt timeout, and the
// retry policy. Connection reuse (keep-alive) is fetch's default in Bun.

import pkg from "../../../package.json" with { type: "json" };
import type { Endpoints } from "./clouds.ts";
import type { GraphCounters } from "./counters.ts";
import { GraphError, oneLine, parseODataError } from "./errors.ts";
import { KeyedLimiter, KeyedSemaphore, type RateLimiter, RetryAfterFence, SlidingWindow, TokenBucket } from "./limiter.ts";
import { DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy, retryDelayFor, sleep } from "./retry.ts";
import type { TokenSource } from "./auth.ts";

export type ServiceKind = "exchange" | "drive" | "directory";

export type ExchangeLimit =
  | { mode: "token-bucket"; ratePerSec: number; burst: number }
  | { mode: "sliding-window"; capacity: number; windowMs: number; slideMs?: number };

export interface GraphLimits {
  /** Concurrent requests per mailbox (Exchange allows 4). */
  mailboxConcurrency: number;
  /** Exchange request budget, applied per mailbox (Graph's Outlook limits are per app per mailbox). */
  exchange: ExchangeLimit;
  /** Drive (SharePoint/OneDrive) resource units, tenant-wide. */
  drive: { ratePerSec: number; burst: number };
  /** Everything else (directory, sites, groups). */
  directory: { ratePerSec: number; burst: number };
}

export const DEFAULT_LIMITS: GraphLimits = {
  mailboxConcurrency: 4,
  // Corso's sliding window for backups: 9 600 per 10 min against Graph's 10 000.
  exchange: { mode: "sliding-window", capacity: 9600, windowMs: 600_000, slideMs: 1000 },
  drive: { ratePerSec: 20, burst: 20 },
  directory: { ratePerSec: 16, burst: 200 },
};

/** Errors that carry a 5xx status but describe the item, not the service: retrying cannot help. */
const PERMANENT_KINDS = new Set(["corrupt-data", "invalid-recipients", "cannot-open-attachment", "malware", "quota-exceeded", "mailbox-not-enabled", "service-not-enabled"]);

/** Resource-unit costs (Corso graph.*LC). */
export const COST = { read: 1, deltaNoToken: 2, write: 2, permission: 5 } as const;

export interface GraphRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
  /** Absolute URL (nextLink, deltaLink, download URL) or a path resolved against v1.0 (or beta). */
  url: string;
  api?: "v1" | "beta";
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Prefer header values, joined with commas into one header. */
  prefer?: string[];
  json?: unknown;
  body?: string | Uint8Array;
  /** Send the bearer token (default true; false for pre-authenticated download/upload URLs). */
  auth?: boolean;
  service?: ServiceKind;
  /** Mailbox (user ID/UPN) for the per-mailbox semaphore, limiter and fence. */
  mailbox?: string;
  /** Limiter units (default 1). */
  cost?: number;
  /** Return with the body unread (downloads). */
  stream?: boolean;
  /** For streams: abort when no bytes arrive for this long. */
  idleTimeoutMs?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Statuses returned to the caller instead of thrown (e.g. 206/416 handling, 404 probes). */
  accept?: (status: number) => boolean;
  /** "manual" to read a redirect's Location instead of following it (default "follow"). */
  redirect?: "follow" | "manual";
  signal?: AbortSignal;
}

export interface GraphResponse {
  status: number;
  headers: Headers;
  url: string;
  /** Body text (empty for streams). */
  text: string;
  /** Body stream (streams only). */
  body: ReadableStream<Uint8Array> | null;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpOptions {
  endpoints: Endpoints;
  tokens?: TokenSource;
  counters: GraphCounters;
  limits?: Partial<GraphLimits>;
  retry?: Partial<RetryPolicy>;
  userAgentOrg?: string;
  fetchFn?: typeof fetch;
  /** Extra Prefer value for Exchange calls: IdType="ImmutableId" (changes item IDs; keep it stable per repository). */
  immutableIds?: boolean;
}

export const VERSION: string = (pkg as { version: string }).version;

export function userAgent(org = "Alcion"): string {
  return `ISV|${org}|corso/${VERSION}`;
}

/** Encodes a query value, leaving OData punctuation readable ($ , / : ' ( ) ). */
export function encodeQueryValue(v: string): string {
  return encodeURIComponent(v).replace(/%(24|2C|2F|3A|27|28|29|40)/gi, (m) => decodeURIComponent(m));
}

export function buildQuery(q: GraphRequest["query"]): string {
  if (!q) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    parts.push(`${encodeQueryValue(k)}=${encodeQueryValue(String(v))}`);
  }
  return parts.join("&");
}

/** Encodes one path segment (an ID or UPN). */
export const seg = (s: string): string => encodeURIComponent(s);

export class GraphHttp {
  readonly endpoints: Endpoints;
  readonly counters: GraphCounters;
  readonly limits: GraphLimits;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
  readonly immutableIds: boolean;
  readonly fence = new RetryAfterFence();
  readonly mailboxSlots: KeyedSemaphore;
  private readonly exchangeLimiter: KeyedLimiter;
  private readonly driveLimiter: RateLimiter;
  private readonly directoryLimiter: RateLimiter;
  private readonly tokens?: TokenSource;
  private readonly fetchFn: typeof fetch;
  private readonly graphOrigin: string;

  constructor(opts: HttpOptions) {
    this.endpoints = opts.endpoints;
    this.counters = opts.counters;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.userAgent = userAgent(opts.userAgentOrg);
    this.immutableIds = opts.immutableIds ?? false;
    this.tokens = opts.tokens;
    this.fetchFn = opts.fetchFn ?? fetch;
    this.graphOrigin = new URL(this.endpoints.graphRoot).origin;
    const conc = Math.max(1, Math.floor(this.limits.mailboxConcurrency));
    this.mailboxSlots = new KeyedSemaphore(conc);
    const ex = this.limits.exchange;
    this.exchangeLimiter = new KeyedLimiter(() =>
      ex.mode === "token-bucket" ? new TokenBucket(ex.ratePerSec, ex.burst) : new SlidingWindow(ex.capacity, ex.windowMs, ex.slideMs ?? 1000),
    );
    this.driveLimiter = new TokenBucket(this.limits.drive.ratePerSec, this.limits.drive.burst);
    this.directoryLimiter = new TokenBucket(this.limits.directory.ratePerSec, this.limits.directory.burst);
  }

  resolveUrl(req: Pick<GraphRequest, "url" | "api" | "query">): string {
    let url = /^https?:\/\//i.test(req.url)
      ? req.url
      : `${req.api === "beta" ? this.endpoints.graphBeta : this.endpoints.graphV1}${req.url.startsWith("/") ? "" : "/"}${req.url}`;
    const qs = buildQuery(req.query);
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
    return url;
  }

  private limiterFor(service: ServiceKind, mailbox: string | undefined): RateLimiter {
    if (service === "exchange") return this.exchangeLimiter.for(mailbox ?? "");
    if (service === "drive") return this.driveLimiter;
    return this.directoryLimiter;
  }

  /** Fence scope: Exchange throttles per mailbox; SharePoint/OneDrive and directory per tenant. */
  private scopeOf(service: ServiceKind, mailbox?: string): string {
    return service === "exchange" && mailbox ? `mailbox:${mailbox}` : service;
  }

  async request(req: GraphRequest): Promise<GraphResponse> {
    const method = req.method ?? "GET";
    const url = this.resolveUrl(req);
    const service = req.service ?? "directory";
    const auth = req.auth ?? true;
    if (auth && new URL(url).origin !== this.graphOrigin) {
      // Never hand the bearer token to a host other than Graph (nextLinks always stay on it).
      throw new GraphError({ status: 0, method, url, message: `refusing to send credentials to ${new URL(url).origin}` });
    }
    const maxAttempts = Math.max(1, req.maxAttempts ?? this.retry.maxAttempts);
    const timeoutMs = req.timeoutMs ?? this.retry.timeoutMs;
    // IDs and UPNs are case-insensitive; one mailbox must map to one semaphore/limiter/fence.
    // (Callers should still use one form per mailbox: an ID and a UPN are different keys.)
    const mailbox = req.mailbox?.toLowerCase();
    const scope = this.scopeOf(service, mailbox);
    const body: string | Uint8Array | undefined = req.json !== undefined ? JSON.stringify(req.json) : req.body;
    const bodyLen = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    const prefer = [...(req.prefer ?? [])];
    if (this.immutableIds && service === "exchange" && !prefer.some((p) => p.startsWith("IdType="))) prefer.push('IdType="ImmutableId"');
    const clientRequestId = crypto.randomUUID();
    let authRetried = false;
    let lastError: unknown;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      { const waited = await this.fence.wait(scope, req.signal); this.counters.fenceWaitMs += waited; }
      const wait = this.limiterFor(service, mailbox).reserve(req.cost ?? 1, Date.now());
      if (wait > 0) {
        this.counters.limiterWaitMs += wait;
        await sleep(wait, req.signal);
      }
      let release: (() => void) | undefined;
      for (;;) {
        release = mailbox && service === "exchange" ? await this.mailboxSlots.acquire(mailbox) : undefined;
        // A 429 may have raised the fence while this request queued for a slot: honour it.
        const left = this.fence.remaining(scope);
        if (left <= 0) break;
        release?.();
        { const waited = await this.fence.wait(scope, req.signal); this.counters.fenceWaitMs += waited; }
      }
      if (this.mailboxSlots.peak > this.counters.peakMailboxConcurrency) this.counters.peakMailboxConcurrency = this.mailboxSlots.peak;
      const headers: Record<string, string> = {
        "User-Agent": this.userAgent,
        "client-request-id": clientRequestId,
        Accept: req.stream ? "*/*" : "application/json",
        ...req.headers,
      };
      if (prefer.length) headers.Prefer = prefer.join(", ");
      if (req.json !== undefined && !headers["Content-Type"]) headers["Content-Type"] = "application/json";
      if (attempt > 1) headers["Retry-Attempt"] = String(attempt - 1);
      let token: string | undefined;
      const ac = new AbortController();
      const onOuterAbort = () => ac.abort(req.signal?.reason);
      req.signal?.addEventListener("abort", onOuterAbort, { once: true });
      const timer = setTimeout(() => ac.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
      let res: Response | undefined;
      let text = "";
      try {
        if (auth && this.tokens) {
          token = await this.tokens.getToken(req.signal);
          headers.Authorization = `Bearer ${token}`;
        }
        this.counters.requests++;
        if (attempt > 1) this.counters.retries++;
        this.counters.bytesOut += bodyLen;
        res = await this.fetchFn(url, { method, headers, body, signal: ac.signal, redirect: req.redirect ?? "follow" });
        if (!req.stream || !(res.ok || req.accept?.(res.status))) {
          text = await res.text();
          this.counters.bytesIn += Buffer.byteLength(text);
        }
      } catch (e) {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onOuterAbort);
        release?.();
        if (req.signal?.aborted) throw e;
        if ((e as Error)?.name === "GraphAuthError") throw e;
        this.counters.networkErrors++;
        lastError = e;
        if (attempt < maxAttempts && (isRetryableNetworkError(e) || ac.signal.aborted)) {
          await sleep(retryDelayFor(attempt, undefined, this.retry), req.signal);
          continue;
        }
        throw new GraphError({ status: 0, method, url, message: `network error after ${attempt} attempt(s): ${oneLine(String((e as Error)?.message ?? e))}`, cause: e });
      } finally {
        // Streams: the timeout covers the headers; the idle timeout guards the body from here.
        clearTimeout(timer);
        if (!req.stream || !res?.ok) req.signal?.removeEventListener("abort", onOuterAbort);
      }
      if (release) {
        release();
        // The slot just went to the next queued request, which needs a few microtask hops to reach
        // fetch(); this response's caller would otherwise parse and store its item in between.
        // Yielding a macrotask lets the mailbox's next request go out first (Graph counts in-flight
        // requests per mailbox, so every ms between them is idle capacity).
        await new Promise<void>((r) => setImmediate(r));
      }

      const status = res.status;
      if (status === 429) this.counters.throttled++;
      if (status >= 500) this.counters.serverErrors++;

      if (res.ok || req.accept?.(status)) {
        if (res.ok) this.counters.resourceUnits += Number(res.headers.get("x-ms-resource-unit") ?? 1) || 1;
        if (req.stream && res.body && res.ok) {
          const streamBody = this.countingStream(res.body, ac, req.idleTimeoutMs, () => req.signal?.removeEventListener("abort", onOuterAbort));
          return { status, headers: res.headers, url: res.url || url, text: "", body: streamBody, json: () => { throw new Error("stream response has no JSON"); } };
        }
        const t = text;
        return { status, headers: res.headers, url: res.url || url, text: t, body: null, json: <T>() => JSON.parse(t) as T };
      }

      const odata = parseODataError(text);
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      const err = new GraphError({ status, method, url, odata, message: odata ? undefined : text.slice(0, 200), headers: res.headers, retryAfterMs });
      lastError = err;

      if (status === 401 && token && this.tokens && !authRetried && (err.kind === "auth-expired" || !odata)) {
        // Token expired or revoked mid-run: drop it and replay once with a fresh one.
        this.tokens.invalidate(token);
        authRetried = true;
        this.counters.authRetries++;
        attempt--; // an auth replay does not use up a retry
        continue;
      }
      const transient =
        (isRetryableStatus(status) && !PERMANENT_KINDS.has(err.kind)) ||
        (method === "GET" && status === 400 && odata?.code === "invalidRequest") ||
        (method === "GET" && status === 404 && text.length === 0) ||
        // Corso: a 4xx/5xx whose body says the server failed to read our payload is transient.
        (status >= 400 && text.includes("IO error during request payload read"));
      if (!transient || attempt >= maxAttempts) throw err;
      if (retryAfterMs !== undefined && (status === 429 || status === 503)) {
        this.fence.raise(scope, Date.now() + Math.min(retryAfterMs, this.retry.maxRetryAfterMs));
        continue; // the fence makes this request (and its scope) wait
      }
      await sleep(retryDelayFor(attempt, undefined, this.retry), req.signal);
    }
    throw lastError;
  }

  /** Counts bytes and enforces an idle timeout on a streamed body. */
  private countingStream(src: ReadableStream<Uint8Array>, ac: AbortController, idleMs: number | undefined, done: () => void): ReadableStream<Uint8Array> {
    const reader = src.getReader();
    const counters = this.counters;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        let idle: ReturnType<typeof setTimeout> | undefined;
        if (idleMs) idle = setTimeout(() => ac.abort(new DOMException(`no data for ${idleMs} ms`, "TimeoutError")), idleMs);
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            done();
            controller.close();
            return;
          }
          counters.bytesIn += value.byteLength;
          controller.enqueue(value);
        } catch (e) {
          done();
          controller.error(e);
        } finally {
          if (idle) clearTimeout(idle);
        }
      },
      cancel(reason) {
        done();
        ac.abort(reason);
        return reader.cancel(reason).catch(() => {});
      },
    });
  }

  /**
   * Request returning parsed JSON plus the exact response text. A 2xx body that does not parse
   * (truncated by a proxy or a dying connection) is re-requested for idempotent methods.
   */
  async getJson<T = Record<string, unknown>>(req: GraphRequest): Promise<{ json: T; raw: string; headers: Headers }> {
    const method = req.method ?? "GET";
    const tries = method === "GET" ? 3 : 1;
    for (let i = 1; ; i++) {
      const res = await this.request(req);
      if (!res.text) return { json: {} as T, raw: "", headers: res.headers };
      try {
        return { json: JSON.parse(res.text) as T, raw: res.text, headers: res.headers };
      } catch (e) {
        if (i < tries) {
          this.counters.retries++;
          await sleep(retryDelayFor(i, undefined, this.retry), req.signal);
          continue;
        }
        throw new GraphError({ status: res.status, method, url: this.resolveUrl(req), message: `invalid JSON in response after ${i} attempt(s): ${oneLine((e as Error).message)}`, cause: e });
      }
    }
  }
}
