// Builds the single-file corso binary with `bun build --compile`.
//   bun scripts/build.ts          dist/corso for this machine
//   bun scripts/build.ts --all    dist/corso-{linux-x64,linux-arm64,darwin-x64,darwin-arm64,windows-x64.exe}
// The version printed by `corso --version` is package.json's, plus the git commit when known.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const ROOT = join(import.meta.dir, "..");
export const DIST = join(ROOT, "dist");

export const TARGETS: { target: string; out: string }[] = [
  { target: "bun-linux-x64", out: "corso-linux-x64" },
  { target: "bun-linux-arm64", out: "corso-linux-arm64" },
  { target: "bun-darwin-x64", out: "corso-darwin-x64" },
  { target: "bun-darwin-arm64", out: "corso-darwin-arm64" },
  { target: "bun-windows-x64", out: "corso-windows-x64.exe" },
];

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "";
}

export function buildVersion(): string {
  const c = gitCommit();
  return `v${pkg.version}${c ? `-${c}` : ""}`;
}

/** Compiles cli.ts into `outfile` (optionally cross-compiling to `target`). */
export function compile(outfile: string, target?: string): void {
  mkdirSync(DIST, { recursive: true });
  const cmd = [
    process.execPath,
    "build",
    "--compile",
    "--minify",
    // Precompiled bytecode: start-up ~2x faster than parsing the bundle (see docs/PERFORMANCE.md).
    "--bytecode",
    "--sourcemap=none",
    `--define`,
    `process.env.__CORSO_BUILD_VERSION__=${JSON.stringify(buildVersion())}`,
    ...(target ? [`--target=${target}`] : []),
    join(ROOT, "cli.ts"),
    // Worker entrypoints are bundled separately; lib/repo/content/chunk-pool.ts loads this one
    // from /$bunfs/root/lib/repo/content/ (the second core for hashing/compression/encryption).
    join(ROOT, "lib/repo/content/chunk-worker.ts"),
    "--outfile",
    outfile,
  ];
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`bun build failed for ${target ?? "host"} (exit ${r.exitCode}):\n${r.stdout}${r.stderr}`);
  }
}

if (import.meta.main) {
  const all = process.argv.includes("--all");
  if (all) {
    for (const t of TARGETS) {
      const out = join(DIST, t.out);
      process.stderr.write(`building ${t.out}…\n`);
      compile(out, t.target);
    }
  } else {
    compile(join(DIST, "corso"));
    process.stderr.write(`built ${join(DIST, "corso")}\n`);
  }
}
