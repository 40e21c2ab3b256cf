// The per-mailbox fetch pool shared by folders: never more than its slots in flight, FIFO across
// folders (the next folder starts on slots the previous one frees), per-batch errors and stops.
import { describe, expect, test } from "bun:test";
import { FetchQueue } from "../../lib/ops/backup/fetch-queue.ts";

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

describe("FetchQueue", () => {
  test("shares its slots across batches, FIFO, and the next batch starts before the previous drains", async () => {
    const q = new FetchQueue(4);
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const job = (tag: string, slowLast: boolean) => async (i: number) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      order.push(`${tag}${i}`);
      // the last item of batch a is slow: batch b must run alongside it
      for (let k = 0; k < (slowLast && i === 9 ? 20 : 1); k++) await tick();
      inFlight--;
    };
    const ids = Array.from({ length: 10 }, (_, i) => i);
    let aDone = false;
    const a = q.submit(ids, job("a", true), () => false).then(() => (aDone = true));
    const b = q.submit(ids, job("b", false), () => false);
    await b;
    expect(aDone).toBe(false); // b finished while a's slow last item was still running
    await a;
    expect(peak).toBe(4);
    expect(order.slice(0, 10)).toEqual(ids.map((i) => `a${i}`)); // FIFO: all of a started first
    expect(order.length).toBe(20);
  });

  test("an empty batch resolves at once; a thrown error rejects only its batch", async () => {
    const q = new FetchQueue(2);
    await q.submit([], async () => {}, () => false);
    const ran: number[] = [];
    const bad = q.submit([1, 2, 3, 4, 5, 6], async (i) => {
      await tick();
      if (i === 2) throw new Error("boom");
      ran.push(i);
    }, () => false);
    const good = q.submit([7, 8], async (i) => {
      ran.push(i);
    }, () => false);
    await expect(bad).rejects.toThrow("boom");
    await good;
    expect(ran).toContain(7);
    expect(ran).toContain(8);
    expect(ran.filter((i) => i >= 4 && i <= 6).length).toBeLessThan(3); // no new item after the error
  });

  test("stop() ends a batch early", async () => {
    const q = new FetchQueue(1);
    let n = 0;
    await q.submit(Array.from({ length: 100 }, (_, i) => i), async () => {
      n++;
      await tick();
    }, () => n >= 5);
    expect(n).toBe(5);
  });

  test("whenBacklogBelow resolves once few enough items wait, and when a batch stops", async () => {
    const q = new FetchQueue(2);
    let started = 0;
    const done = q.submit(Array.from({ length: 20 }, (_, i) => i), async () => {
      started++;
      await tick();
    }, () => false);
    expect(q.backlog).toBe(18); // two started at once
    let at = -1;
    const w = q.whenBacklogBelow(5).then(() => (at = q.backlog));
    await w;
    expect(at).toBe(4);
    expect(started).toBe(16);
    await done;
    expect(q.backlog).toBe(0);
    await q.whenBacklogBelow(1); // resolves at once when idle

    // a stopped batch no longer counts as backlog
    let stop = false;
    const s = q.submit(Array.from({ length: 50 }, (_, i) => i), async () => {
      await tick();
    }, () => stop);
    const waiting = q.whenBacklogBelow(10);
    let resolved = false;
    void waiting.then(() => (resolved = true));
    await tick();
    expect(resolved).toBe(false);
    stop = true;
    await waiting;
    await s;
    expect(q.backlog).toBe(0);
  });
});
