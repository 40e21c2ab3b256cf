// Client-side throttling so that Graph rarely has to throttle us: per-mailbox concurrency
// semaphores, token buckets / sliding windows (Corso's internal/common/limiters), and the
// shared Retry-After fence. Clock and sleep are injectable so the math is unit-testable.

import { sleep as realSleep } from "./retry.ts";

export type Clock = () => number;

/** FIFO counting semaphore. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  peak = 0;
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("semaphore capacity must be ≥ 1");
  }
  get inUse(): number {
    return this.active;
  }
  get waiting(): number {
    return this.waiters.length;
  }
  async acquire(): Promise<() => void> {
    if (this.active < this.capacity) {
      this.active++;
    } else {
      // The releaser hands its slot over directly, so `active` never exceeds capacity.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.active > this.peak) this.peak = this.active;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/** One semaphore per key (mailbox), created lazily and dropped when idle. */
export class KeyedSemaphore {
  private readonly sems = new Map<string, Semaphore>();
  /** Highest concurrency seen for any single key. */
  peak = 0;
  constructor(readonly capacity: number) {}
  async acquire(key: string): Promise<() => void> {
    let s = this.sems.get(key);
    if (!s) {
      s = new Semaphore(this.capacity);
      this.sems.set(key, s);
    }
    const sem = s;
    const release = await sem.acquire();
    if (sem.inUse > this.peak) this.peak = sem.inUse;
    return () => {
      release();
      if (sem.inUse === 0 && sem.waiting === 0) this.sems.delete(key);
    };
  }
}

export interface RateLimiter {
  /** Milliseconds the caller must wait before spending `n` units (reserves them). */
  reserve(n: number, now: number): number;
}

/**
 * golang.org/x/time/rate semantics: `rate` tokens per second, bucket of `burst`. Reservations
 * may drive the balance negative, which queues later callers behind earlier ones (FIFO).
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private last: number | undefined;
  constructor(readonly ratePerSec: number, readonly burst: number) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new RangeError("token bucket needs rate > 0 and burst ≥ 1");
    this.tokens = burst;
  }
  reserve(n: number, now: number): number {
    const cost = Math.min(n, this.burst);
    if (this.last !== undefined) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    }
    this.last = now;
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSec) * 1000);
  }
}

/**
 * Sliding window: at most `capacity` units in any `windowMs` span, tracked in `slideMs`
 * buckets (Corso: 9 600 per 10 min, 1 s slide). A reservation that does not fit is dated at
 * the moment enough old buckets leave the window.
 */
export class SlidingWindow implements RateLimiter {
  /** [bucketStartMs, units] oldest first. */
  private readonly buckets: Array<[number, number]> = [];
  private total = 0;
  constructor(readonly capacity: number, readonly windowMs: number, readonly slideMs = 1000) {
    if (!(capacity >= 1) || !(windowMs > 0) || !(slideMs > 0)) throw new RangeError("bad sliding window parameters");
  }
  private expire(now: number): void {
    while (this.buckets.length && this.buckets[0][0] + this.windowMs <= now) {
      this.total -= this.buckets.shift()![1];
    }
  }
  private add(at: number, n: number): void {
    const start = Math.floor(at / this.slideMs) * this.slideMs;
    const tail = this.buckets[this.buckets.length - 1];
    if (tail && tail[0] === start) tail[1] += n;
    else this.buckets.push([start, n]);
    this.total += n;
  }
  reserve(n: number, now: number): number {
    const cost = Math.min(n, this.capacity);
    this.expire(now);
    if (this.total + cost <= this.capacity) {
      // Future reservations may sit at the tail; date this one no earlier than them.
      const tailStart = this.buckets.length ? this.buckets[this.buckets.length - 1][0] : now;
      const at = Math.max(now, tailStart);
      this.add(at, cost);
      return at - now;
    }
    let remaining = this.total;
    let at = now;
    for (const [start, units] of this.buckets) {
      remaining -= units;
      at = start + this.windowMs;
      if (remaining + cost <= this.capacity) break;
    }
    const tailStart = this.buckets[this.buckets.length - 1][0];
    at = Math.max(at, tailStart);
    this.add(at, cost);
    return at - now;
  }
}

/** Keeps one limiter per key (per mailbox), built on demand. */
export class KeyedLimiter implements RateLimiter {
  private readonly byKey = new Map<string, RateLimiter>();
  constructor(private readonly make: () => RateLimiter) {}
  for(key: string): RateLimiter {
    let l = this.byKey.get(key);
    if (!l) {
      l = this.make();
      this.byKey.set(key, l);
    }
    return l;
  }
  reserve(n: number, now: number): number {
    return this.for("").reserve(n, now);
  }
}

/**
 * Retry-After fence: a 429 with Retry-After on one request holds back every request in the
 * same throttling scope until the moment it names. Fences overlap (the later end wins).
 */
export class RetryAfterFence {
  private readonly until = new Map<string, number>();
  constructor(private readonly clock: Clock = Date.now, private readonly sleepFn = realSleep) {}
  raise(scope: string, untilMs: number): void {
    const cur = this.until.get(scope) ?? 0;
    if (untilMs > cur) this.until.set(scope, untilMs);
  }
  /** Remaining wait for a scope (0 when open). */
  remaining(scope: string): number {
    const u = this.until.get(scope);
    if (u === undefined) return 0;
    const left = u - this.clock();
    if (left <= 0) {
      this.until.delete(scope);
      return 0;
    }
    return left;
  }
  async wait(scope: string, signal?: AbortSignal): Promise<number> {
    let waited = 0;
    for (let left = this.remaining(scope); left > 0; left = this.remaining(scope)) {
      await this.sleepFn(left, signal);
      waited += left;
    }
    return waited;
  }
}

/** Waits out a reservation on a limiter. */
export async function waitFor(limiter: RateLimiter, n: number, clock: Clock = Date.now, signal?: AbortSignal): Promise<number> {
  const ms = limiter.reserve(n, clock());
  if (ms > 0) await realSleep(ms, signal);
  return ms;
}
