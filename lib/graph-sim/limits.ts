// Throttling as Microsoft documents it: Exchange allows 4 concurrent requests and 10,000 requests per
// 10 minutes per app + mailbox; SharePoint/OneDrive meter resource units per app per minute. Every 429
// carries Retry-After in seconds.

import { GraphError } from "./odata.ts";
import type { Limits } from "./types.ts";

export interface ThrottleStats {
  concurrency: number;
  window: number;
  resourceUnits: number;
}

export class Throttle {
  readonly inflight = new Map<string, { current: number; peak: number }>();
  private readonly windows = new Map<string, number[]>();
  private ru: { t: number; cost: number }[] = [];
  ruTotal = 0;
  readonly stats: ThrottleStats = { concurrency: 0, window: 0, resourceUnits: 0 };

  constructor(private readonly limits: Limits) {}

  /** Admits a request against a mailbox or throws a 429; the returned function releases the slot. */
  enterMailbox(mailbox: string, now = Date.now()): () => void {
    const slot = this.inflight.get(mailbox) ?? { current: 0, peak: 0 };
    this.inflight.set(mailbox, slot);
    if (slot.current >= this.limits.mailboxConcurrency) {
      this.stats.concurrency++;
      throw new GraphError(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", {
        "Retry-After": String(this.limits.concurrencyRetryAfterSec),
      });
    }
    const winMs = this.limits.mailboxWindowSec * 1000;
    let w = this.windows.get(mailbox);
    if (!w) this.windows.set(mailbox, (w = []));
    let drop = 0;
    while (drop < w.length && w[drop]! <= now - winMs) drop++;
    if (drop) w.splice(0, drop);
    if (w.length >= this.limits.mailboxRequestsPerWindow) {
      this.stats.window++;
      const retry = Math.max(1, Math.ceil((w[0]! + winMs - now) / 1000));
      throw new GraphError(429, "ApplicationThrottled", "Application is over its MailboxRequests limit: too many requests in the 10 minute window.", {
        "Retry-After": String(retry),
      });
    }
    w.push(now);
    slot.current++;
    if (slot.current > slot.peak) slot.peak = slot.current;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        slot.current--;
      }
    };
  }

  /** Charges SharePoint/OneDrive resource units (1 read, 2 delta-without-token/write, 5 permissions). */
  chargeRU(cost: number, now = Date.now()): void {
    let drop = 0;
    let sum = 0;
    while (drop < this.ru.length && this.ru[drop]!.t <= now - 60_000) drop++;
    if (drop) this.ru.splice(0, drop);
    for (const x of this.ru) sum += x.cost;
    if (sum + cost > this.limits.driveResourceUnitsPerMinute) {
      this.stats.resourceUnits++;
      // Seconds until enough units fall out of the one-minute window.
      let need = sum + cost - this.limits.driveResourceUnitsPerMinute;
      let t = now + 1000;
      for (const x of this.ru) {
        need -= x.cost;
        t = x.t + 60_000;
        if (need <= 0) break;
      }
      throw new GraphError(429, "activityLimitReached", "The request has been throttled", { "Retry-After": String(Math.max(1, Math.ceil((t - now) / 1000))) }, "throttledRequest");
    }
    this.ru.push({ t: now, cost });
    this.ruTotal += cost;
  }
}
