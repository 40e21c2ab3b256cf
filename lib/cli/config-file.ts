// `.corso.toml`: where it lives, reading it, writing it the way Corso (viper) does.
// Location: --config-file, else $CORSO_CONFIG_DIR/.corso.toml when that directory exists,
// else $HOME/.corso.toml. Writes keep every key already in the file (viper rewrites all its
// settings), add/replace the keys Corso writes, never add secrets given by flag or env, and
// create the file with mode 0600 (atomically: temp file + rename).
import { chmodSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { UsageError, errorMessage } from "../errors.ts";

export const DISPLAY_DEFAULT_CONFIG = "$HOME/.corso.toml";

export type ConfigValue = string | boolean | number;
export type ConfigValues = Record<string, ConfigValue>;

export interface ConfigFile {
  path: string;
  exists: boolean;
  values: ConfigValues;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CORSO_CONFIG_DIR;
  if (dir) {
    try {
      if (statSync(dir).isDirectory()) return join(dir, ".corso.toml");
    } catch {
      /* not stat-able: fall back to $HOME like Corso */
    }
  }
  return join(env.HOME || homedir(), ".corso.toml");
}

/** Resolves the config file path from --config-file (validated like Corso) or the default. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (!flag || flag === DISPLAY_DEFAULT_CONFIG) return defaultConfigPath(env);
  const ext = extname(flag);
  if (ext === "" || ext === ".") throw new UsageError("config file requires an extension e.g. `toml`");
  const type = ext.slice(1).toLowerCase();
  if (type !== "toml" && type !== "json") throw new UsageError(`unsupported config file type "${type}" (${flag}): use .toml`);
  return resolve(flag.startsWith("~/") ? join(homedir(), flag.slice(2)) : flag);
}

function fileError(path: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EISDIR"
        ? "is a directory"
        : code === "ENOTDIR"
          ? "a path component is not a directory"
          : errorMessage(e).split("\n")[0];
  return new UsageError(`reading corso config file: ${path}: ${why}`);
}

/** Reads the config file; a missing file is not an error (exists=false). */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { path, exists: false, values: {} };
    throw fileError(path, e);
  }
  let parsed: unknown;
  try {
    if (extname(path).toLowerCase() === ".json") parsed = JSON.parse(text);
    else parsed = (await import("smol-toml")).parse(text);
  } catch (e) {
    const msg = errorMessage(e).split("\n")[0].trim();
    throw new UsageError(`reading corso config file: ${path}: malformed: ${msg}`);
  }
  const values: ConfigValues = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    // Corso's keys are flat; nested tables are kept out of the lookups (and dropped on rewrite is
    // not acceptable), so keep scalars and refuse anything else clearly.
    if (typeof v === "string" || typeof v === "boolean" || typeof v === "number") values[k.toLowerCase()] = v;
    else if (v instanceof Date) values[k.toLowerCase()] = v.toISOString();
    else throw new UsageError(`reading corso config file: ${path}: malformed: key "${k}" is not a plain value`);
  }
  return { path, exists: true, values };
}

export function getString(v: ConfigValues, key: string): string {
  const x = v[key];
  if (x === undefined) return "";
  return typeof x === "string" ? x : String(x);
}

export function getBool(v: ConfigValues, key: string): boolean {
  const x = v[key];
  if (typeof x === "boolean") return x;
  if (typeof x === "string") return ["true", "1", "t", "yes"].includes(x.toLowerCase());
  if (typeof x === "number") return x !== 0;
  return false;
}

/** go-toml v2 style: literal 'strings' when possible, "basic" strings otherwise. */
function tomlValue(v: ConfigValue): string {
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (!/['\n\r\t\x00-\x1f\x7f]/.test(v)) return `'${v}'`;
  return JSON.stringify(v);
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

export function renderToml(values: ConfigValues): string {
  return (
    Object.keys(values)
      .sort()
      .map((k) => `${tomlKey(k)} = ${tomlValue(values[k])}`)
      .join("\n") + "\n"
  );
}

/** Writes the merged config (existing keys kept, `set` applied) atomically with mode 0600. */
export function writeConfigFile(file: ConfigFile, set: ConfigValues): ConfigFile {
  const values: ConfigValues = { ...file.values };
  for (const [k, v] of Object.entries(set)) values[k] = v;
  const body = extname(file.path).toLowerCase() === ".json" ? JSON.stringify(values, null, 2) + "\n" : renderToml(values);
  const tmp = join(dirname(file.path), `.${basename(file.path)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, body, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file.path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" || code === "EROFS" ? "permission denied" : errorMessage(e).split("\n")[0];
    throw new UsageError(`Failed to write repository configuration: ${file.path}: ${why}`);
  }
  return { path: file.path, exists: true, values };
}
