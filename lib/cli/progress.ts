// Progress on stderr. On a terminal (and without --hide-progress) a spinner line is redrawn in
// place; otherwise each step is one plain line, so cron mail and CI logs stay readable.
// --hide-progress prints nothing at all. Results never go through here (they use stdout).

export interface ProgressOptions {
  hide: boolean;
  /** stderr is a terminal. */
  tty: boolean;
  write?: (s: string) => void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Progress {
  private readonly write: (s: string) => void;
  private live: { text: string; timer: ReturnType<typeof setInterval>; frame: number } | undefined;

  constructor(private readonly o: ProgressOptions) {
    this.write = o.write ?? ((s) => void process.stderr.write(s));
  }

  get interactive(): boolean {
    return !this.o.hide && this.o.tty;
  }

  /** Clears a live spinner line before other output is printed. */
  clearLine(): void {
    if (this.live) this.write("\r\x1b[2K");
  }

  private redraw(): void {
    if (!this.live) return;
    this.live.frame = (this.live.frame + 1) % FRAMES.length;
    this.write(`\r\x1b[2K${FRAMES[this.live.frame]} ${this.live.text}`);
  }

  /** A one-off message (Corso's observe.Message). */
  message(text: string): void {
    if (this.o.hide) return;
    this.clearLine();
    this.write(text + "\n");
    if (this.live) this.redraw();
  }

  /** Runs fn while showing `text` (Corso's observe.MessageWithCompletion): spinner then "done". */
  async step<T>(text: string, fn: (update: (detail: string) => void) => Promise<T>): Promise<T> {
    if (this.o.hide) return fn(() => {});
    if (!this.o.tty) {
      // Plain mode: one line per step, written once the step succeeded, so a failing command
      // prints only its error line.
      const r = await fn(() => {});
      this.write(text + "\n");
      return r;
    }
    const timer = setInterval(() => this.redraw(), 100);
    this.live = { text, timer, frame: 0 };
    this.redraw();
    const update = (detail: string) => {
      if (this.live) this.live.text = detail ? `${text} ${detail}` : text;
    };
    try {
      const r = await fn(update);
      this.finish(`${text} done`);
      return r;
    } catch (e) {
      this.finish(undefined);
      throw e;
    }
  }

  private finish(finalText: string | undefined): void {
    if (!this.live) return;
    clearInterval(this.live.timer);
    this.write("\r\x1b[2K" + (finalText ? finalText + "\n" : ""));
    this.live = undefined;
  }

  stop(): void {
    this.finish(undefined);
  }
}
