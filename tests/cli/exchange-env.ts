// Shared setup for the Exchange CLI tests: a Graph simulator in this process, a temp HOME with a
// filesystem (or S3) repository, and the compiled corso binary pointed at the simulator only
// through the documented endpoint settings (CORSO_GRAPH_URL / CORSO_LOGIN_URL).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { startSimulator, type SimOptions, type Simulator, type TenantFixture } from "../../lib/graph-sim/index.ts";
import { runCorso, type RunResult } from "../helpers/binary.ts";
import { baseEnv, removeDir, tempDir } from "./helpers.ts";

export const PASS = "exchange test passphrase";
export const ROOT = join(import.meta.dir, "../..");

export function sampleFixture(): TenantFixture {
  return JSON.parse(readFileSync(join(ROOT, "lib/graph-sim/fixtures/sample-tenant.json"), "utf8")) as TenantFixture;
}

export interface ExchangeEnv {
  sim: Simulator;
  dir: string;
  home: string;
  repo: string;
  env: Record<string, string>;
  run(args: string[], extraEnv?: Record<string, string>): Promise<RunResult>;
  /** Runs and fails the test with the full output unless the exit code is 0. */
  ok(args: string[], extraEnv?: Record<string, string>): Promise<RunResult>;
  cleanup(): Promise<void>;
}

export async function startExchangeEnv(tag: string, sim: SimOptions, opts: { initFilesystem?: boolean } = {}): Promise<ExchangeEnv> {
  const s = await startSimulator(sim);
  const dir = tempDir(tag);
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  const repo = join(dir, "repo");
  const env = baseEnv(home, {
    CORSO_PASSPHRASE: PASS,
    AZURE_TENANT_ID: s.tenantId,
    AZURE_CLIENT_ID: s.clientId,
    AZURE_CLIENT_SECRET: s.clientSecret,
    CORSO_GRAPH_URL: s.url,
    CORSO_LOGIN_URL: s.loginBase,
  });
  const run = (args: string[], extraEnv: Record<string, string> = {}) => runCorso(args, { ...env, ...extraEnv });
  const ok = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const r = await run(args, extraEnv);
    if (r.code !== 0) throw new Error(`corso ${args.join(" ")} → exit ${r.code}\nstdout:${r.stdout}\nstderr:${r.stderr}`);
    return r;
  };
  const e: ExchangeEnv = {
    sim: s, dir, home, repo, env, run, ok,
    cleanup: async () => {
      await s.stop();
      removeDir(dir);
    },
  };
  if (opts.initFilesystem !== false) await ok(["repo", "init", "filesystem", "--path", repo]);
  return e;
}

/** Backup IDs announced on stderr by `backup create`. */
export function completedIds(r: RunResult): string[] {
  return [...r.stderr.matchAll(/Backup complete ∙ (\S+)/g)].map((m) => m[1]);
}

/** Parses a tomlazar table (header + rows) from text: cells split on runs of 2+ spaces. */
export function parseTables(stdout: string): { headers: string[]; rows: string[][] }[] {
  const out: { headers: string[]; rows: string[][] }[] = [];
  let cur: { headers: string[]; rows: string[][] } | undefined;
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") {
      cur = undefined;
      continue;
    }
    const cells = line.trim().split(/\s{2,}/);
    if (!cur) {
      cur = { headers: cells, rows: [] };
      out.push(cur);
    } else cur.rows.push(cells);
  }
  return out;
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return out.sort();
}
