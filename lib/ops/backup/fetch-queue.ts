// One pool of item fetches per mailbox, shared by its folders: a folder's IDs are queued as soon
// as its delta listing is done and the workers move on to the next folder's IDs without waiting
// for the previous folder's last fetches (a per-folder pool leaves slots idle at every folder's
// end and during every listing). Graph's own limits (4 in flight per mailbox, the request
// window) are still enforced by the Graph client.

/** What a batch's items may be: an array or any indexed list (e.g. a compact typed list). */
export interface Indexed<T> {
  readonly length: number;
  at(i: number): T | undefined;
}

interface Batch<T> {
  items: Indexed<T>;
  next: number;
  running: number;
  fn: (t: T) => Promise<void>;
  stop: () => boolean;
  err?: unknown;
  failed: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const NONE: Indexed<never> = { length: 0, at: () => undefined };

export class FetchQueue {
  private readonly batches: Batch<any>[] = [];
  private workers = 0;
  private readonly waiters: { below: number; resolve: () => void }[] = [];

  constructor(private readonly slots: number) {}

  /**
   * Runs `fn` for every item on the shared slots (FIFO across submissions); resolves when all
   * of them ran, or rejects with the first error `fn` threw (no new item of the batch starts
   * after an error or once `stop()` is true).
   */
  submit<T>(items: Indexed<T>, fn: (t: T) => Promise<void>, stop: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const b: Batch<T> = { items, next: 0, running: 0, fn, stop, failed: false, resolve, reject };
      this.batches.push(b);
      this.settleIfDone(b);
      while (this.workers < Math.max(1, this.slots) && this.hasWork()) {
        this.workers++;
        void this.worker();
      }
    });
  }

  /** Items submitted and not started yet (of batches not stopped or failed). */
  get backlog(): number {
    let n = 0;
    for (const b of this.batches) if (!this.exhausted(b)) n += b.items.length - b.next;
    return n;
  }

  /**
   * Resolves once fewer than `n` items wait to start: the caller can list the next folder when
   * the queue runs low instead of holding several huge folders' IDs queued at once.
   */
  whenBacklogBelow(n: number): Promise<void> {
    if (this.backlog < n) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push({ below: n, resolve }));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const backlog = this.backlog;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (backlog < this.waiters[i].below) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  private hasWork(): boolean {
    return this.batches.some((b) => !this.exhausted(b));
  }

  private exhausted(b: Batch<any>): boolean {
    return b.failed || b.next >= b.items.length || b.stop();
  }

  private settleIfDone(b: Batch<any>): void {
    if (b.running > 0 || !this.exhausted(b)) return;
    const i = this.batches.indexOf(b);
    if (i < 0) return;
    this.batches.splice(i, 1);
    // the IDs are not needed any more
    b.items = NONE;
    if (b.failed) b.reject(b.err);
    else b.resolve();
  }

  private async worker(): Promise<void> {
    try {
      for (;;) {
        const b = this.batches.find((x) => !this.exhausted(x));
        if (!b) return;
        const item = b.items.at(b.next++);
        b.running++;
        this.wake();
        try {
          await b.fn(item);
        } catch (e) {
          if (!b.failed) {
            b.failed = true;
            b.err = e;
          }
        } finally {
          b.running--;
        }
        // batches whose last items just finished (or that were stopped/failed) are settled
        for (const x of [...this.batches]) this.settleIfDone(x);
        // a stopped or failed batch no longer counts
        this.wake();
      }
    } finally {
      this.workers--;
    }
  }
}
