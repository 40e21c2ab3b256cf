// Shared test helpers: fixtures, a temp dir per file, and the Python validators (independent
// parsers run in the cached venv from scripts/setup-tools.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePythonTools } from "../../../scripts/setup-tools.ts";

const HERE = import.meta.dir;

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(HERE, "fixtures", name), "utf8")) as T;
}

export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "corso-export-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Created (first run only: a pinned pip install) at import, outside any per-test timeout.
const python = ensurePythonTools();

/** Runs tests/corso/export/py/<script> on `content` (written to a temp file) and parses its JSON. */
export function runChecker(dir: string, script: string, fileName: string, content: string | Uint8Array, args: string[] = []): any {
  const path = join(dir, fileName);
  writeFileSync(path, content);
  const r = Bun.spawnSync([python, join(HERE, "py", script), path, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${script} failed (${r.exitCode}): ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

export function sha256Base64(b64: string): string {
  return new Bun.CryptoHasher("sha256").update(Buffer.from(b64, "base64")).digest("hex");
}

export function sha256Text(s: string): string {
  return new Bun.CryptoHasher("sha256").update(s).digest("hex");
}

/** Physical lines of a CRLF text (without the final empty one); fails on bare LF or CR. */
export function crlfLines(text: string): string[] {
  const lines = text.split("\r\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) if (/[\r\n]/.test(l)) throw new Error(`bare CR/LF in line: ${JSON.stringify(l.slice(0, 60))}`);
  return lines;
}
