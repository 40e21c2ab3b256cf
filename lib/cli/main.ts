// Entry point logic: finds the command in the tree (cobra-style multi-word commands), parses
// flags with cac, sets up logging/progress/output, runs the action and maps every failure to one
// line on stderr and exit code 1 (spec §9). Nothing heavy is imported here.
import { cac } from "cac";
import pkg from "../../package.json" with { type: "json" };
import { CorsoError, UsageError, errorMessage } from "../errors.ts";
import type { CommandContext, FlagValues, GlobalOptions } from "./context.ts";
import { GLOBAL_FLAGS, camel, type FlagSpec } from "./flags.ts";
import { renderHelp } from "./help.ts";
import { createLogger, nullLogger, type Logger } from "./log.ts";
import { configurePrint, errorLine, info, syncWriter } from "./print.ts";
import { Progress } from "./progress.ts";
import { ROOT, findChild, type Group, type Leaf, type Node } from "./tree.ts";

const stdout = syncWriter(1);

/** Version string: injected at build time (CORSO_VERSION define) or package.json. */
export function version(): string {
  const injected = typeof process.env.__CORSO_BUILD_VERSION__ === "string" ? process.env.__CORSO_BUILD_VERSION__ : "";
  return injected || `v${pkg.version}`;
}

const ENC = "\u0001";
const globalByName = new Map(GLOBAL_FLAGS.map((f) => [f.name, f]));

interface Resolved {
  path: string[];
  node: Node;
  rest: string[];
  helpRequested: boolean;
}

function isFlag(a: string): boolean {
  return a.startsWith("-") && a !== "-";
}

function flagName(a: string): string {
  const body = a.replace(/^-+/, "");
  const eq = body.indexOf("=");
  return eq >= 0 ? body.slice(0, eq) : body;
}

/** Walks the command words; flags (and global flag values) are kept in `rest` for the parser. */
function resolve(argv: string[]): Resolved {
  let node: Node = ROOT;
  const path = ["corso"];
  const rest: string[] = [];
  let helpMode = false;
  let helpRequested = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (isFlag(a)) {
      if (a === "-h" || a === "--help") helpRequested = true;
      rest.push(a);
      const g = globalByName.get(flagName(a));
      const leafFlag = node.kind === "leaf" ? node.flags.find((f) => f.name === flagName(a)) : undefined;
      const spec = g ?? leafFlag;
      if (spec?.kind === "string" && a.startsWith("--") && !a.includes("=") && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    if (node.kind === "group") {
      if (node === ROOT && a === "help" && path.length === 1 && !helpMode) {
        helpMode = true;
        helpRequested = true;
        continue;
      }
      const child = findChild(node, a);
      if (!child) throw new UsageError(`unknown command "${a}" for "${path.join(" ")}"`);
      node = child;
      path.push(a);
      continue;
    }
    if (helpMode) throw new UsageError(`unknown command "${a}" for "${path.join(" ")}"`);
    rest.push(a);
  }
  return { path, node, rest, helpRequested };
}

/** Rewrites `--flag value` / `--flag=value` of string flags to `--flag=<ENC>value` so that cac
 * (mri) keeps the exact string (no number coercion, values may start with "-"). */
function normalizeArgs(rest: string[], specs: FlagSpec[], cmdPath: string, positionals?: string[]): string[] {
  const byName = new Map(specs.map((f) => [f.name, f]));
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--") {
      out.push(...rest.slice(i));
      break;
    }
    if (!a.startsWith("--")) {
      if (isFlag(a)) out.push(a);
      else if (positionals) positionals.push(a);
      else throw new UsageError(`unknown command "${a}" for "${cmdPath}"`);
      continue;
    }
    const name = flagName(a);
    const spec = byName.get(name);
    if (!spec) {
      throw new UsageError(`unknown flag: --${name}`);
    }
    if (spec.kind === "bool") {
      const eq = a.indexOf("=");
      if (eq >= 0) {
        const v = a.slice(eq + 1).toLowerCase();
        if (!["true", "false", "1", "0", "t", "f"].includes(v)) {
          throw new UsageError(`invalid argument "${a.slice(eq + 1)}" for "--${name}" flag: strconv.ParseBool: parsing "${a.slice(eq + 1)}": invalid syntax`);
        }
        const on = ["true", "1", "t"].includes(v);
        // mri reads "--no-x" as the negation of "x": spell negated flags without a value.
        if (name.startsWith("no-")) {
          if (on) out.push(`--${name}`);
        } else out.push(`--${name}=${on ? "true" : "false"}`);
      } else out.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq >= 0) out.push(`--${name}=${ENC}${a.slice(eq + 1)}`);
    else if (i + 1 < rest.length) out.push(`--${name}=${ENC}${rest[++i]}`);
    else throw new UsageError(`flag needs an argument: --${name}`);
  }
  return out;
}

function cacOption(f: FlagSpec): string {
  return f.kind === "string" ? `--${f.name} <${f.name}>` : `--${f.name}`;
}

function mapCacError(e: unknown): Error {
  const m = errorMessage(e);
  const unk = /^Unknown option `(-{1,2})([^`]+)`/.exec(m);
  if (unk) return new UsageError(unk[1] === "--" ? `unknown flag: --${unk[2]}` : `unknown shorthand flag: '${unk[2]}' in -${unk[2]}`);
  const missing = /^option `([^ `]+)/.exec(m);
  if (missing) return new UsageError(`flag needs an argument: ${missing[1]}`);
  return new UsageError(m);
}

/** Parses leaf (or group) flags with cac; returns camelCase values with strings decoded. */
function parseFlags(cmdPath: string, specs: FlagSpec[], rest: string[], positionals?: string[]): FlagValues {
  const norm = normalizeArgs(rest, [...GLOBAL_FLAGS, ...specs, { name: "help", kind: "bool", desc: "" }], cmdPath, positionals);
  const cli = cac(cmdPath);
  for (const f of GLOBAL_FLAGS) cli.option(cacOption(f), f.desc);
  const cmd = cli.command("", "");
  for (const f of specs) cmd.option(cacOption(f), f.desc);
  cmd.option("-h, --help", "help");
  let parsed: Record<string, unknown> = {};
  cmd.action((opts: Record<string, unknown>) => {
    parsed = opts;
  });
  try {
    cli.parse(["corso", "corso", ...norm]);
  } catch (e) {
    throw mapCacError(e);
  }
  const out: FlagValues = {};
  for (const f of [...GLOBAL_FLAGS, ...specs]) {
    const key = f.name === "no-stats" ? "stats" : camel(f.name);
    let v = parsed[key];
    if (Array.isArray(v)) v = v[v.length - 1];
    if (f.name === "no-stats") {
      out.noStats = v === false;
      continue;
    }
    if (v === undefined) continue;
    if (f.kind === "string") out[camel(f.name)] = String(v).replace(/^\u0001/, "");
    else out[camel(f.name)] = v === true || v === "true";
  }
  return out;
}

function globalsFrom(f: FlagValues): GlobalOptions {
  return {
    configFile: f.configFile as string | undefined,
    logLevel: (f.logLevel as string | undefined) ?? "info",
    logFormat: (f.logFormat as string | undefined) ?? "text",
    logFile: f.logFile as string | undefined,
    maskSensitiveData: f.maskSensitiveData === true,
    hideProgress: f.hideProgress === true,
    json: f.json === true || f.jsonDebug === true,
    noStats: f.noStats === true,
    verbose: f.verbose === true,
  };
}

export interface RunIO {
  env?: NodeJS.ProcessEnv;
  stderrIsTTY?: boolean;
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[], io: RunIO = {}): Promise<number> {
  const env = io.env ?? process.env;
  let log: Logger = nullLogger;
  let progress: Progress | undefined;
  try {
    // Root version flag (local to root in Corso).
    if (argv.length > 0 && argv.every((a) => a === "-v" || a === "--version")) {
      stdout.write(`Corso version: ${version()}\n`);
      return 0;
    }
    const r = resolve(argv);
    const cmdPath = r.path.join(" ");
    if (r.node.kind === "group") {
      const f = parseFlags(cmdPath, r.node === ROOT ? [{ name: "version", short: "v", kind: "bool", desc: "" }] : [], r.rest.filter((a) => a !== "-v"));
      if (r.node === ROOT && (f.version === true || r.rest.includes("-v")) && !r.helpRequested) {
        stdout.write(`Corso version: ${version()}\n`);
        return 0;
      }
      stdout.write(renderHelp(r.path, r.node as Group));
      return 0;
    }
    const leaf = r.node as Leaf;
    if (r.helpRequested) {
      if (leaf.help) await leaf.help();
      else stdout.write(renderHelp(r.path, leaf));
      return 0;
    }
    const args: string[] = [];
    const flags = parseFlags(cmdPath, leaf.flags, r.rest, leaf.positionalArgs ? args : undefined);
    const globals = globalsFrom(flags);
    log = createLogger(
      { level: globals.logLevel, format: globals.logFormat, file: globals.logFile, maskSensitiveData: globals.maskSensitiveData },
      env,
    );
    const stderrTTY = io.stderrIsTTY ?? process.stderr.isTTY === true;
    progress = new Progress({ hide: globals.hideProgress, tty: stderrTTY });
    const p = progress;
    configurePrint({ json: globals.json, beforePrint: () => p.clearLine() });
    if (stderrTTY && !leaf.noLogBanner && log.destination !== "stdout" && log.destination !== "stderr" && log.level !== "disabled") {
      info(`Logging to file: ${log.destination}`);
    }
    log.info("cli command", {
      command: cmdPath,
      flags: Object.keys(flags).filter((k) => flags[k] !== undefined && flags[k] !== false),
      version: version(),
    });
    for (const f of leaf.flags) {
      if (f.required && flags[camel(f.name)] === undefined) {
        throw new UsageError(`required flag(s) "${f.name}" not set`);
      }
    }
    const ctx: CommandContext = { commandPath: cmdPath, globals, log, progress, env };
    await leaf.run(ctx, flags, args);
    progress.stop();
    log.info("command completed", { command: cmdPath });
    return 0;
  } catch (e) {
    progress?.stop();
    const msg = errorMessage(e).split("\n")[0].trim() || "unknown error";
    if (e instanceof CorsoError) log.error(msg, { code: e.code });
    else log.error(msg, { stack: e instanceof Error ? (e.stack ?? "") : "" });
    errorLine(msg);
    return 1;
  } finally {
    log.close();
  }
}
