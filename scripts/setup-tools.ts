// Builds the real third-party programs the test suite talks to (kopia 0.15, MinIO) from the
// Go module proxy, caching them under ~/.cache/corso-dev/bin. Idempotent: a cached binary
// is reused. Nothing here is committed or shipped; users never need these.
//
//   bun scripts/setup-tools.ts            build what is missing
//   bun scripts/setup-tools.ts --print    print the paths as JSON
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const TOOLS_DIR = process.env.CORSO_DEV_CACHE ?? join(homedir(), ".cache", "corso-dev");
export const BIN_DIR = join(TOOLS_DIR, "bin");

export const KOPIA_VERSION = "v0.15.0";
// MinIO publishes no tags to the module proxy; pin the pseudo-version we tested with.
export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";

export const kopiaPath = join(BIN_DIR, `kopia-${KOPIA_VERSION}`);
export const minioPath = join(BIN_DIR, `minio-${MINIO_VERSION}`);

function run(cmd: string[], cwd?: string, env?: Record<string, string>): void {
  const r = Bun.spawnSync(cmd, {
    cwd,
    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false", ...env },
    stdout: "inherit",
    stderr: "inherit",
  });
  if (r.exitCode !== 0) throw new Error(`command failed (${r.exitCode}): ${cmd.join(" ")}`);
}

function goModDir(mod: string, version: string): string {
  const r = Bun.spawnSync(["go", "mod", "download", "-json", `${mod}@${version}`], {
    cwd: TOOLS_DIR,
    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-modcacherw" },
  });
  const out = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`go mod download ${mod}@${version} failed: ${out}${r.stderr}`);
  return JSON.parse(out).Dir as string;
}

/** kopia: `go install` fails because the proxy refuses kopia's version list (used only for the
 * deprecation check), so download the module and build it inside its own module root. */
export function ensureKopia(): string {
  if (existsSync(kopiaPath)) return kopiaPath;
  mkdirSync(BIN_DIR, { recursive: true });
  console.error(`building kopia ${KOPIA_VERSION} (first run only)…`);
  const dir = goModDir("github.com/kopia/kopia", KOPIA_VERSION);
  run(["go", "build", "-o", kopiaPath + ".tmp", "."], dir);
  renameSync(kopiaPath + ".tmp", kopiaPath);
  return kopiaPath;
}

export function ensureMinio(): string {
  if (existsSync(minioPath)) return minioPath;
  mkdirSync(BIN_DIR, { recursive: true });
  console.error(`building MinIO ${MINIO_VERSION} (first run only)…`);
  const tmpBin = join(TOOLS_DIR, "gobin-minio");
  run(["go", "install", `github.com/minio/minio@${MINIO_VERSION}`], TOOLS_DIR, { GOBIN: tmpBin });
  renameSync(join(tmpBin, "minio"), minioPath);
  return minioPath;
}

if (import.meta.main) {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const paths = { kopia: ensureKopia(), minio: ensureMinio() };
  if (process.argv.includes("--print")) console.log(JSON.stringify(paths));
}
