// Repositories made by `corso repo init` open in the real kopia 0.15: kopia connects, verifies
// every content with downloads, and lists Corso's manifests (global policy with
// zstd-better-compression, maintenance parameters owned by user@host with cycles off, and the
// RepositorySchema identity whose stableID is the repo_id in .corso.toml).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureKopia } from "../../scripts/setup-tools.ts";
import { ensureBinary, runCorso } from "../helpers/binary.ts";
import { baseEnv, removeDir, tempDir } from "./helpers.ts";

setDefaultTimeout(180_000);
const root = tempDir("kopia");
const home = join(root, "home");
const repoPath = join(root, "repo");
const PASS = "interop-passphrase";
let kopia = "";

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  kopia = ensureKopia();
  await ensureBinary();
}, 600_000);
afterAll(() => removeDir(root));

function runKopia(args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([kopia, ...args, `--config-file=${join(root, "kopia.config")}`], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      KOPIA_PASSWORD: PASS,
      KOPIA_CHECK_FOR_UPDATES: "false",
      KOPIA_CACHE_DIRECTORY: join(root, "kopia-cache"),
      KOPIA_LOG_DIR: join(root, "kopia-logs"),
    },
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("kopia 0.15 reads repositories created by corso", () => {
  test("connect, content verify --full, manifest list, policy and maintenance info", async () => {
    const init = await runCorso(["repo", "init", "filesystem", "--path", repoPath], baseEnv(home, { CORSO_PASSPHRASE: PASS }));
    expect(init.code).toBe(0);
    const repoId = /^repo_id = '([^']+)'$/m.exec(readFileSync(join(home, ".corso.toml"), "utf8"))![1];

    const c = runKopia(["repository", "connect", "filesystem", `--path=${repoPath}`, "--override-hostname=kopiahost", "--override-username=kopiauser"]);
    expect(c.code, c.err).toBe(0);

    const v = runKopia(["content", "verify", "--full"]);
    expect(v.code, v.err).toBe(0);
    expect(v.err + v.out).toMatch(/Finished verifying \d+ contents, found 0 errors\./);

    const m = runKopia(["manifest", "list"]);
    expect(m.code, m.err).toBe(0);
    const lines = m.out.split("\n").filter((l) => l.trim() !== "");
    const policy = lines.filter((l) => l.includes("type:policy") && l.includes("policyType:global"));
    const maint = lines.filter((l) => l.includes("type:maintenance"));
    const ident = lines.filter((l) => l.includes("type:RepositorySchema"));
    expect(policy.length).toBe(1);
    expect(maint.length).toBe(1);
    expect(ident.length).toBe(1);
    expect(ident[0]).toContain(`stableID:${repoId}`);
    expect(ident[0]).toContain("storeVersion:1");

    const identId = ident[0].trim().split(/\s+/)[0];
    const shown = runKopia(["manifest", "show", identId]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain(`"ID": "${repoId}"`);

    const pol = runKopia(["policy", "show", "--global", "--json"]);
    expect(pol.code, pol.err).toBe(0);
    const pj = JSON.parse(pol.out);
    expect(pj.compression.compressorName).toBe("zstd-better-compression");
    expect(pj.retention.keepLatest).toBe(0);

    const mi = runKopia(["maintenance", "info", "--json"]);
    expect(mi.code, mi.err).toBe(0);
    const info = JSON.parse(mi.out);
    expect(info.owner).toMatch(/^.+@.+$/);
    expect(info.quick.enabled).toBe(false);
    expect(info.full.enabled).toBe(false);

    const st = runKopia(["repository", "status", "--json"]);
    expect(st.code, st.err).toBe(0);
    const sj = JSON.parse(st.out);
    expect(sj.contentFormat.Hash ?? sj.contentFormat.hash).toBe("BLAKE2B-256-128");
    const epoch = sj.contentFormat.EpochParameters ?? sj.contentFormat.epochParameters ?? {};
    // 8 h in nanoseconds (Corso's MinEpochDuration)
    expect(epoch.MinEpochDuration ?? epoch.minEpochDuration).toBe(8 * 3600 * 1e9);
  }, 300_000);
});
