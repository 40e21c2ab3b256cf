// Output, the way Corso prints it (src/cli/print/print.go): results (tables, JSON) go to stdout,
// messages and errors to stderr. Tables follow tomlazar/table with ShowIndex=false and no colour:
// a header line then one line per row, every cell prefixed by two spaces and right-padded to
// the column width. `--json` prints indented JSON instead of a table.

import { writeSync } from "node:fs";

export interface Printable {
  /** Column headers (Corso's `Headers(skipID)`). */
  headers(): string[];
  /** Cell values, same order as headers(). */
  values(): string[];
  /** What `--json` prints (Corso's `MinimumPrintable()`). */
  minimumPrintable(): unknown;
}

export interface Writer {
  write(s: string): void;
}

// Synchronous writes: process.stdout.write on a pipe is asynchronous in Bun, and the process.exit()
// that ends every command drops whatever a slow reader has not taken yet (seen with
// `backup details --json | …` of 1,500 entries cut short).
export function syncWriter(fd: number): Writer {
  return {
    write(s: string): void {
      const b = Buffer.from(s);
      let off = 0;
      while (off < b.length) {
        try {
          off += writeSync(fd, b, off);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "EAGAIN") {
            Bun.sleepSync(1);
            continue;
          }
          if (code === "EPIPE") return; // the reader went away (`| head`)
          throw e;
        }
      }
    },
  };
}

const stdoutWriter: Writer = syncWriter(1);
const stderrWriter: Writer = syncWriter(2);

export interface PrintOptions {
  json: boolean;
  /** Called before anything is printed so that a live progress line can be cleared first. */
  beforePrint?: () => void;
}

let options: PrintOptions = { json: false };
let out: Writer = stdoutWriter;
let errw: Writer = stderrWriter;

export function configurePrint(o: PrintOptions, writers?: { out?: Writer; err?: Writer }): void {
  options = o;
  if (writers?.out) out = writers.out;
  if (writers?.err) errw = writers.err;
}

export function isJSON(): boolean {
  return options.json;
}

/** Display width of a string (East Asian wide characters and emoji count as 2, combining marks 0). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function fillRight(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : s + " ".repeat(width - w);
}

/** Renders a table exactly like tomlazar/table (ShowIndex=false, Color=false). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h) => displayWidth(h));
  for (const row of rows) {
    row.forEach((v, i) => {
      // tomlazar compares the byte length but stores the display width; keep the max display width.
      if (i < widths.length) widths[i] = Math.max(widths[i], displayWidth(v));
    });
  }
  const line = (cells: string[]) => cells.map((c, i) => "  " + fillRight(c, widths[i] ?? 0)).join("") + "\n";
  return line(headers) + rows.map(line).join("");
}

/** Corso's JSON output: the value marshalled and pretty-printed (2-space indent). */
export function renderJSON(v: unknown): string {
  return JSON.stringify(v, null, 2) + "\n";
}

function flush(): void {
  options.beforePrint?.();
}

/** Prints a list of printables: a table (headers of the first), or a JSON array with --json. */
export function printAll(items: Printable[]): void {
  if (items.length === 0) return;
  flush();
  if (options.json) {
    out.write(renderJSON(items.map((p) => p.minimumPrintable())));
    return;
  }
  out.write(renderTable(items[0].headers(), items.map((p) => p.values())));
}

/** Prints one printable: a one-row table, or a JSON object with --json. */
export function printItem(item: Printable): void {
  flush();
  if (options.json) {
    out.write(renderJSON(item.minimumPrintable()));
    return;
  }
  out.write(renderTable(item.headers(), [item.values()]));
}

/** Always a table (Corso's print.Table, used by `corso env`). */
export function printTable(headers: string[], rows: string[][]): void {
  flush();
  out.write(renderTable(headers, rows));
}

/** Prints a JSON value to stdout. */
export function printJSON(v: unknown): void {
  flush();
  out.write(renderJSON(v));
}

/** Corso's Out: a line on stdout. */
export function outLine(...parts: string[]): void {
  flush();
  out.write(parts.join("") + "\n");
}

/** Corso's Info: a line on stderr. */
export function info(...parts: string[]): void {
  flush();
  errw.write(parts.join("") + "\n");
}

/** Corso's Err: `Error: <msg>` on stderr. */
export function errorLine(msg: string): void {
  flush();
  errw.write(`Error: ${msg}\n`);
}
