import { describe, expect, test } from "bun:test";
import { KeyedSemaphore, RetryAfterFence, Semaphore, SlidingWindow, TokenBucket } from "../../lib/m365/graph/limiter.ts";

describe("TokenBucket (x/time/rate semantics)", () => {
  test("burst is free, then one token per 1/rate", () => {
    const b = new TokenBucket(16, 200);
    for (let i = 0; i < 200; i++) expect(b.reserve(1, 0)).toBe(0);
    expect(b.reserve(1, 0)).toBe(63); // 1/16 s
    expect(b.reserve(1, 0)).toBe(125);
  });
  test("refills over time up to the burst only", () => {
    const b = new TokenBucket(20, 20);
    for (let i = 0; i < 20; i++) b.reserve(1, 0);
    expect(b.reserve(1, 1000)).toBe(0); // 20 tokens back after 1 s
    const c = new TokenBucket(10, 5);
    expect(c.reserve(5, 100_000)).toBe(0);
    expect(c.reserve(1, 100_000)).toBe(100); // idle time did not bank more than the burst
  });
  test("costs: 2-unit delta and 5-unit permission calls", () => {
    const b = new TokenBucket(20, 20);
    expect(b.reserve(5, 0)).toBe(0);
    expect(b.reserve(5, 0)).toBe(0);
    expect(b.reserve(5, 0)).toBe(0);
    expect(b.reserve(5, 0)).toBe(0);
    expect(b.reserve(2, 0)).toBe(100);
  });
  test("sustained rate equals the configured rate", () => {
    const b = new TokenBucket(16, 200);
    let t = 0;
    let n = 0;
    while (t < 60_000) {
      t += b.reserve(1, t);
      n++;
    }
    // 200 burst + 16/s for 60 s
    expect(n).toBeGreaterThanOrEqual(200 + 16 * 60 - 1);
    expect(n).toBeLessThanOrEqual(200 + 16 * 60 + 1);
  });
});

describe("SlidingWindow", () => {
  test("never more than capacity in any window", () => {
    const w = new SlidingWindow(100, 10_000, 1000);
    const grants: number[] = [];
    let t = 0;
    for (let i = 0; i < 450; i++) {
      const wait = w.reserve(1, t);
      grants.push(t + wait);
      t += 7; // callers arrive every 7 ms
    }
    grants.sort((a, b) => a - b);
    for (let i = 0; i + 100 < grants.length; i++) {
      // the 101st grant after grant i must be at least a full window later (bucket granularity allowed)
      expect(grants[i + 100] - grants[i]).toBeGreaterThanOrEqual(10_000 - 1000);
    }
    // and it is not idle: 450 grants need about 4 windows
    expect(grants[grants.length - 1]).toBeLessThan(5 * 10_000);
  });
  test("first capacity requests are immediate", () => {
    const w = new SlidingWindow(9600, 600_000);
    for (let i = 0; i < 9600; i++) expect(w.reserve(1, 5)).toBe(0);
    expect(w.reserve(1, 5)).toBeGreaterThan(590_000);
  });
});

describe("Semaphore", () => {
  test("never exceeds capacity and serves waiters FIFO", async () => {
    const s = new Semaphore(4);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const release = await s.acquire();
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        release();
        release(); // double release is harmless
      }),
    );
    expect(peak).toBe(4);
    expect(s.peak).toBe(4);
    expect(order).toEqual([...Array(20).keys()]);
    expect(s.inUse).toBe(0);
  });
  test("keyed: 4 per key, keys independent", async () => {
    const k = new KeyedSemaphore(4);
    const rels = await Promise.all(Array.from({ length: 4 }, () => k.acquire("a")));
    const b = await k.acquire("b");
    let fifthA = false;
    const p = k.acquire("a").then((r) => {
      fifthA = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(fifthA).toBe(false);
    rels[0]();
    (await p)();
    expect(fifthA).toBe(true);
    expect(k.peak).toBe(4);
    for (const r of rels.slice(1)) r();
    b();
  });
  test("rejects a zero capacity", () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe("RetryAfterFence", () => {
  test("holds a scope until the latest raise; other scopes open", async () => {
    let now = 1000;
    const slept: number[] = [];
    const f = new RetryAfterFence(() => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    f.raise("mailbox:a", 3000);
    f.raise("mailbox:a", 2000); // earlier end does not shorten
    expect(f.remaining("mailbox:b")).toBe(0);
    expect(await f.wait("mailbox:b")).toBe(0);
    expect(await f.wait("mailbox:a")).toBe(2000);
    expect(slept).toEqual([2000]);
    expect(f.remaining("mailbox:a")).toBe(0);
  });
});
