// Shared pieces of the CLI tests: a per-test HOME, storage snapshots, one-line error checks.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "bun:test";
import type { RunResult } from "../helpers/binary.ts";

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `corso-cli-${tag}-`));
}

export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}

/** An environment with HOME and the log dir inside `home` and nothing else from the host. */
export function baseEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home, XDG_CACHE_HOME: join(home, ".cache"), ...extra };
}

/** Every file under dir with size and content hash (mtimes excluded: reads must not matter). */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[r + "/"] = "dir";
        walk(p, r);
      } else out[r] = `${statSync(p).size}:${createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16)}`;
    }
  };
  walk(dir, "");
  return out;
}

/** Bad input: exit 1, nothing on stdout, exactly one stderr line "Error: …" containing `text`. */
export function expectOneLineError(r: RunResult, text: string): void {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  if (r.code !== 1 || lines.length !== 1) {
    throw new Error(`expected one error line and exit 1, got exit ${r.code}:\nstdout:${r.stdout}\nstderr:${r.stderr}`);
  }
  expect(lines[0]).toStartWith("Error: ");
  expect(lines[0]).toContain(text);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toContain("    at ");
}

export function stderrLines(r: RunResult): string[] {
  return r.stderr.split("\n").filter((l) => l.trim() !== "");
}
