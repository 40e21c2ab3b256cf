// Checkpoints: every N ms or M bytes the repository's pending packs and index are flushed, so
// a run killed with kill -9 leaves its uploaded contents indexed and the next run's writes of
// the same items dedup to nothing. New items wait while a flush runs; in-flight items finish first.
import type { Repository } from "../../repo/repository.ts";

export class Checkpointer {
  private bytes = 0;
  private last = Date.now();
  private active = 0;
  private flushing: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  checkpoints = 0;

  constructor(
    private readonly repo: Repository,
    private readonly everyMs: number,
    private readonly everyBytes: number,
    private readonly onCheckpoint?: (bytes: number) => void,
  ) {}

  async enter(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.active++;
  }

  leave(bytes: number): void {
    this.active--;
    this.bytes += bytes;
    if (this.active === 0 && this.idle) this.idle();
    if (!this.flushing && (this.bytes >= this.everyBytes || Date.now() - this.last >= this.everyMs)) {
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
      });
    }
  }

  private async flush(): Promise<void> {
    if (this.active > 0) await new Promise<void>((r) => (this.idle = r));
    this.idle = undefined;
    const b = this.bytes;
    await this.repo.contents.flush();
    this.bytes = 0;
    this.last = Date.now();
    this.checkpoints++;
    this.onCheckpoint?.(b);
  }

  /** Waits for a running checkpoint. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
