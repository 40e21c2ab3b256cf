// The run log. Like Corso, every run writes its log to a new file
// `<user cache dir>/corso/logs/<UTC 2006-01-02T15-04-05Z>.log` unless --log-file / CORSO_LOG_FILE
// say otherwise (`-` or `stdout`, `stderr`, or a path). Formats: text (one line per record:
// time, level, message, key=value fields) or json (one object per line). --mask-sensitive-data
// replaces values marked as personal data with a short keyed hash.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.ts";

export type LogLevel = "debug" | "info" | "warn" | "error" | "disabled";
export type LogFormat = "text" | "json";
const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, disabled: 9 };

export interface LogOptions {
  level: string;
  format: string;
  /** --log-file value, or undefined for CORSO_LOG_FILE / the default per-run file. */
  file?: string;
  maskSensitiveData: boolean;
}

export type Fields = Record<string, unknown>;

/** A value that is personal data (user, mailbox, path, bucket…): hashed under --mask-sensitive-data. */
export class Sensitive {
  constructor(readonly value: string) {}
}
export const pii = (v: string): Sensitive => new Sensitive(v);

/** Corso's userLogsDir: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Logs on macOS, %LOCALAPPDATA% on Windows. */
export function userLogsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === "darwin") return join(env.HOME || homedir(), "Library", "Logs");
  if (process.platform === "win32") return env.LOCALAPPDATA || join(homedir(), "AppData", "Local");
  return env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
}

/** Go layout 2006-01-02T15-04-05Z in UTC. */
export function logTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-");
}

export function defaultLogFile(now = new Date(), env: NodeJS.ProcessEnv = process.env): string {
  return join(userLogsDir(env), "corso", "logs", `${logTimestamp(now)}.log`);
}

export class Logger {
  private fd: number | undefined;
  private readonly threshold: number;
  private readonly maskKey = randomBytes(16);
  /** Where the log goes: a file path, "stdout" or "stderr". */
  readonly destination: string;

  constructor(
    readonly level: LogLevel,
    readonly format: LogFormat,
    destination: string,
    readonly mask: boolean,
  ) {
    this.threshold = LEVELS[level];
    this.destination = destination;
  }

  private open(): number | undefined {
    if (this.fd !== undefined) return this.fd;
    if (this.destination === "stdout") return (this.fd = 1);
    if (this.destination === "stderr") return (this.fd = 2);
    try {
      mkdirSync(dirname(this.destination), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.destination, "a", 0o600);
    } catch {
      // A log that cannot be written must not break the command; fall back to discarding.
      this.fd = -1;
    }
    return this.fd;
  }

  private render(v: unknown): unknown {
    if (v instanceof Sensitive) {
      if (!this.mask) return v.value;
      return "***" + createHash("sha256").update(this.maskKey).update(v.value).digest("hex").slice(0, 12);
    }
    if (v instanceof Error) return v.message;
    return v;
  }

  log(level: Exclude<LogLevel, "disabled">, msg: string, fields: Fields = {}): void {
    if (LEVELS[level] < this.threshold) return;
    const fd = this.open();
    if (fd === undefined || fd < 0) return;
    const time = new Date().toISOString();
    const rendered: Fields = {};
    for (const [k, v] of Object.entries(fields)) rendered[k] = this.render(v);
    let line: string;
    if (this.format === "json") {
      line = JSON.stringify({ level, time, msg, ...rendered });
    } else {
      const kv = Object.entries(rendered)
        .map(([k, v]) => `${k}=${typeof v === "string" && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
        .join(" ");
      line = `${time}\t${level.toUpperCase()}\t${msg}${kv ? "\t" + kv : ""}`;
    }
    try {
      writeSync(fd, line + "\n");
    } catch {
      /* ignore: logging is best effort */
    }
  }

  debug(msg: string, f?: Fields): void {
    this.log("debug", msg, f);
  }
  info(msg: string, f?: Fields): void {
    this.log("info", msg, f);
  }
  warn(msg: string, f?: Fields): void {
    this.log("warn", msg, f);
  }
  error(msg: string, f?: Fields): void {
    this.log("error", msg, f);
  }

  close(): void {
    if (this.fd !== undefined && this.fd > 2) {
      try {
        closeSync(this.fd);
      } catch {
        /* ignore */
      }
    }
    this.fd = undefined;
  }
}

export function createLogger(o: LogOptions, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = o.level.toLowerCase();
  if (!(level in LEVELS)) throw new UsageError(`invalid log level "${o.level}": must be one of debug, info, warn, error`);
  const format = o.format.toLowerCase();
  if (format !== "text" && format !== "json") throw new UsageError(`invalid log format "${o.format}": must be text or json`);
  const raw = o.file || env.CORSO_LOG_FILE || "";
  let dest: string;
  if (raw === "-" || raw === "stdout") dest = "stdout";
  else if (raw === "stderr") dest = "stderr";
  else if (raw === "") dest = defaultLogFile(new Date(), env);
  else dest = raw;
  return new Logger(level as LogLevel, format as LogFormat, dest, o.maskSensitiveData);
}

/** A logger that drops everything (before flags are parsed, and for help output). */
export const nullLogger = new Logger("disabled", "text", "stderr", false);
