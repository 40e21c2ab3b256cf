// Builds the real third-party programs the test suite talks to (kopia 0.15, MinIO) from the
// Go module proxy, caching them under ~/.cache/corso-dev/bin. Idempotent: a cached binary
// is reused. Nothing here is committed or shipped; users never need these.
//
//   bun scripts/setup-tools.ts            build what is missing
//   bun scripts/setup-tools.ts --print    print the paths as JSON
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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

// Python validators for the export converters' tests (independent parsers: email, icalendar,
// vobject, dateutil, recurring_ical_events). Pinned; installed into a cached venv.
export const PYTHON_VENV = join(TOOLS_DIR, "venv");
export const PYTHON_PACKAGES = [
  "icalendar==7.3.0",
  "vobject==0.9.9",
  "python-dateutil==2.9.0.post0",
  "recurring-ical-events==3.8.2",
  "tzdata==2026.6",
];

/** Returns the venv's python path, creating the venv and installing PYTHON_PACKAGES when the
 * stamp file does not list exactly those pins. */
export function ensurePythonTools(): string {
  const py = join(PYTHON_VENV, "bin", "python");
  const stamp = join(PYTHON_VENV, "corso-packages.txt");
  const want = PYTHON_PACKAGES.join("\n");
  if (existsSync(py) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return py;
  mkdirSync(TOOLS_DIR, { recursive: true });
  console.error("creating python venv for export validators (first run only)…");
  const base = Bun.which("python3") ?? "python3";
  if (!existsSync(py)) run([base, "-m", "venv", PYTHON_VENV]);
  run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...PYTHON_PACKAGES]);
  writeFileSync(stamp, want);
  return py;
}

if (import.meta.main) {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const paths = { kopia: ensureKopia(), minio: ensureMinio(), python: ensurePythonTools() };
  if (process.argv.includes("--print")) console.log(JSON.stringify(paths));
}
