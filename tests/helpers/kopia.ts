// Runs the real kopia 0.15 binary for interop tests: a private temp config file, cache and log
// directory per session, the password on the command line, update checks off, and helpers that
// parse --json output. Sessions must be closed (removes the temp dir).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureKopia } from "../../scripts/setup-tools.ts";

export interface KopiaResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KopiaSession {
  readonly binary: string;
  readonly dir: string;
  readonly password: string;
  /** Runs kopia; throws with stderr when the exit code is not 0 (unless allowFailure). */
  run(args: string[], opts?: { allowFailure?: boolean }): Promise<KopiaResult>;
  /** Runs kopia with --json and parses stdout. */
  json(args: string[]): Promise<any>;
  close(): Promise<void>;
}

export const KOPIA_HOST = "interop-host";
export const KOPIA_USER = "interop-user";

/** Flags that make a repository create/connect deterministic and self-contained. */
export function connectFlags(s: KopiaSession): string[] {
  return [
    `--cache-directory=${join(s.dir, "cache")}`,
    `--override-hostname=${KOPIA_HOST}`,
    `--override-username=${KOPIA_USER}`,
  ];
}

export async function kopiaSession(password = "interop-password"): Promise<KopiaSession> {
  const binary = ensureKopia();
  const dir = await mkdtemp(join(tmpdir(), "corso-kopia-"));
  const env = {
    ...process.env,
    KOPIA_CHECK_FOR_UPDATES: "false",
    KOPIA_PERSIST_CREDENTIALS_ON_CONNECT: "false",
    HOME: dir,
  } as Record<string, string>;
  delete env.KOPIA_PASSWORD;
  const session: KopiaSession = {
    binary,
    dir,
    password,
    async run(args, opts = {}) {
      const proc = Bun.spawn(
        [binary, ...args, `--config-file=${join(dir, "repo.config")}`, `--password=${password}`, `--log-dir=${join(dir, "logs")}`, "--no-progress"],
        { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" },
      );
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      if (code !== 0 && !opts.allowFailure) {
        throw new Error(`kopia ${args.join(" ")} failed (${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
      }
      return { code, stdout, stderr };
    },
    async json(args) {
      const r = await session.run([...args, "--json"]);
      try {
        return JSON.parse(r.stdout);
      } catch {
        throw new Error(`kopia ${args.join(" ")}: unparseable JSON output: ${r.stdout.slice(0, 200)}`);
      }
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  return session;
}
