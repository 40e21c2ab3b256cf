// Test-only bridge to kopia v0.15's own Go code (see kopia-helper/main.go): builds the helper
// once (cached next to the kopia binary under ~/.cache/corso-dev/bin) and runs request batches.
// The helper module is named github.com/kopia/kopia/… so kopia's internal packages are importable.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN_DIR, KOPIA_VERSION, TOOLS_DIR } from "../../scripts/setup-tools.ts";

const SOURCE = join(import.meta.dir, "kopia-helper", "main.go");
const GO_ENV = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod -buildvcs=false -modcacherw", GOSUMDB: "off" };

export interface HelperRequest {
  op: "rabinkarp-polynomial" | "hash" | "encrypt" | "decrypt" | "compress" | "decompress" | "split" | "rand" | "kdf" | "hkdf" | "format-encrypt" | "format-decrypt";
  algo?: string;
  secret?: Uint8Array;
  key?: Uint8Array;
  iv?: Uint8Array;
  salt?: Uint8Array;
  info?: Uint8Array;
  data?: Uint8Array;
  password?: string;
  seed?: number;
  n?: number;
}

export interface HelperResponse {
  out: Uint8Array;
  sizes: number[];
  err?: string;
}

function kopiaModuleDir(): string {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const r = Bun.spawnSync(["go", "mod", "download", "-json", `github.com/kopia/kopia@${KOPIA_VERSION}`], {
    cwd: TOOLS_DIR,
    env: GO_ENV,
  });
  if (r.exitCode !== 0) throw new Error(`go mod download kopia failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout.toString()).Dir as string;
}

let cachedPath: string | undefined;

/** Path of the built helper binary (builds it on first use; needs Go, like scripts/setup-tools.ts). */
export function ensureKopiaHelper(): string {
  if (cachedPath) return cachedPath;
  const src = readFileSync(SOURCE);
  const tag = createHash("sha256").update(src).update(KOPIA_VERSION).digest("hex").slice(0, 12);
  const bin = join(BIN_DIR, `kopia-helper-${tag}`);
  if (!existsSync(bin)) {
    const modDir = kopiaModuleDir();
    const kopiaGoMod = readFileSync(join(modDir, "go.mod"), "utf8");
    const body = kopiaGoMod.slice(kopiaGoMod.indexOf("\ngo "));
    const dir = mkdtempSync(join(tmpdir(), "kopia-helper-"));
    try {
      writeFileSync(
        join(dir, "go.mod"),
        `module github.com/kopia/kopia/zzcorsohelper\n${body}\nrequire github.com/kopia/kopia ${KOPIA_VERSION}\n`,
      );
      copyFileSync(join(modDir, "go.sum"), join(dir, "go.sum"));
      copyFileSync(SOURCE, join(dir, "main.go"));
      mkdirSync(BIN_DIR, { recursive: true });
      // Per-process temp name: concurrent test processes may build at the same time.
      const tmp = `${bin}.${process.pid}.tmp`;
      const r = Bun.spawnSync(["go", "build", "-o", tmp, "."], { cwd: dir, env: GO_ENV });
      if (r.exitCode !== 0) throw new Error(`building kopia-helper failed: ${r.stderr}`);
      renameSync(tmp, bin);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  cachedPath = bin;
  return bin;
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");

/** Runs one batch through kopia's code; responses are in request order. */
export async function kopia(reqs: HelperRequest[]): Promise<HelperResponse[]> {
  const wire = reqs.map((r) => {
    const o: Record<string, unknown> = { ...r };
    for (const k of ["secret", "key", "iv", "salt", "info", "data"] as const) if (r[k]) o[k] = b64(r[k]!);
    return o;
  });
  const p = Bun.spawn([ensureKopiaHelper()], { stdin: new Blob([JSON.stringify(wire)]), stdout: "pipe", stderr: "pipe" });
  const [out, errText, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`kopia-helper exited ${code}: ${errText}`);
  const parsed = JSON.parse(out) as { out?: string; sizes?: number[]; err?: string }[];
  return parsed.map((r) => ({
    out: new Uint8Array(Buffer.from(r.out ?? "", "base64")),
    sizes: r.sizes ?? [],
    err: r.err,
  }));
}

/** Single request; throws if kopia reported an error. */
export async function kopia1(req: HelperRequest): Promise<HelperResponse> {
  const [r] = await kopia([req]);
  if (r.err) throw new Error(`kopia ${req.op} ${req.algo ?? ""}: ${r.err}`);
  return r;
}
