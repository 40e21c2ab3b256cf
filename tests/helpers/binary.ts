// The compiled corso binary for CLI tests. ensureBinary() builds dist/corso once per test run
// when it is missing or older than any source file; a lock file keeps parallel test files from
// building at the same time. runCorso() runs it with a clean, test-controlled environment.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { DIST, ROOT, compile } from "../../scripts/build.ts";

export const BINARY = join(DIST, process.platform === "win32" ? "corso.exe" : "corso");
const LOCK = join(DIST, ".build.lock");
const STALE_LOCK_MS = 5 * 60_000;

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") || e.name.endsWith(".json")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "lib"));
  for (const f of ["cli.ts", "package.json"]) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

function upToDate(): boolean {
  return existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSourceMtime();
}

let ready: Promise<string> | undefined;

export function ensureBinary(): Promise<string> {
  // CORSO_BINARY: test another build (a release binary, a cross-built one under emulation).
  if (process.env.CORSO_BINARY) return Promise.resolve(process.env.CORSO_BINARY);
  ready ??= (async () => {
    mkdirSync(DIST, { recursive: true });
    for (;;) {
      if (upToDate()) return BINARY;
      let fd: number | undefined;
      try {
        fd = openSync(LOCK, "wx");
      } catch {
        // Someone else is building; wait (or break a lock left by a killed process).
        try {
          if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) unlinkSync(LOCK);
        } catch {
          /* lock vanished */
        }
        await Bun.sleep(250);
        continue;
      }
      try {
        if (!upToDate()) compile(BINARY);
        return BINARY;
      } finally {
        closeSync(fd);
        unlinkSync(LOCK);
      }
    }
  })();
  return ready;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs corso with exactly `env` (plus PATH) so the host's config, HOME and AWS vars don't leak in. */
export async function runCorso(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Promise<RunResult> {
  const bin = await ensureBinary();
  const p = Bun.spawn([bin, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    cwd: opts.cwd,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}
