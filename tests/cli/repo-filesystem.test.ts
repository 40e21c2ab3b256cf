// `corso repo …` on a filesystem repository, through the compiled binary: init/connect,
// config file contents and modes, idempotent init, every bad input of issue #3 (one line, exit 1,
// storage untouched), update-passphrase, maintenance (owner check, data removal) and verify.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, runCorso } from "../helpers/binary.ts";
import { baseEnv, expectOneLineError, removeDir, snapshotDir, stderrLines, tempDir } from "./helpers.ts";

setDefaultTimeout(180_000);
const root = tempDir("fs");
const home = join(root, "home");
const repoPath = join(root, "repo");
const PASS = "correct horse battery staple";
const env = (extra: Record<string, string> = {}) => baseEnv(home, extra);
const cfgPath = join(home, ".corso.toml");

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  await ensureBinary();
}, 300_000);
afterAll(() => removeDir(root));

function modesUnder(dir: string): { files: Set<number>; dirs: Set<number> } {
  const files = new Set<number>();
  const dirs = new Set<number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        dirs.add(statSync(p).mode & 0o777);
        walk(p);
      } else files.add(statSync(p).mode & 0o777);
    }
  };
  walk(dir);
  return { files, dirs };
}

describe("repo init filesystem", () => {
  test("creates the repository and writes .corso.toml like Corso", async () => {
    const r = await runCorso(["repo", "init", "filesystem", "--path", repoPath], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(stderrLines(r)).toEqual(["Initializing repository", `Initialized a repository at path ${repoPath}`]);
    expect(statSync(join(repoPath, "kopia.repository.f")).isFile()).toBe(true);
    const text = readFileSync(cfgPath, "utf8");
    const m = /^repo_id = '([0-9a-f-]{36})'$/m.exec(text);
    expect(m).not.toBeNull();
    expect(text).toBe(
      `account_provider = 'M365'\nazure_tenantid = ''\npath = '${repoPath}'\nprovider = 'Filesystem'\nrepo_id = '${m![1]}'\n`,
    );
    expect(text).not.toContain(PASS);
    expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
    const modes = modesUnder(repoPath);
    expect([...modes.files]).toEqual([0o600]);
    expect([...modes.dirs]).toEqual([0o700]);
    expect(statSync(repoPath).mode & 0o777).toBe(0o700);
  });

  test("init again with the same passphrase succeeds and keeps the repository ID", async () => {
    const before = readFileSync(cfgPath, "utf8");
    const snap = snapshotDir(repoPath);
    const r = await runCorso(["repo", "init", "filesystem", "--path", repoPath, "--passphrase", PASS], env());
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toContain(`Initialized a repository at path ${repoPath}`);
    expect(readFileSync(cfgPath, "utf8")).toBe(before);
    expect(snapshotDir(repoPath)).toEqual(snap);
  });

  test("init with another passphrase fails with Corso's message and changes nothing", async () => {
    const snap = snapshotDir(repoPath);
    const r = await runCorso(["repo", "init", "filesystem", "--path", repoPath, "--passphrase", "other"], env());
    expectOneLineError(r, "initializing repository: a repository was already initialized with that configuration");
    expect(snapshotDir(repoPath)).toEqual(snap);
  });

  test("missing passphrase", async () => {
    const p = join(root, "nopass");
    const r = await runCorso(["repo", "init", "filesystem", "--path", p, "--config-file", join(root, "nopass.toml")], env());
    expectOneLineError(r, "missing required storage configuration: CORSO_PASSPHRASE");
    expect(snapshotDir(p)).toEqual({});
  });

  test("a path below a regular file cannot be created (fails even as root)", async () => {
    const f = join(root, "plainfile");
    writeFileSync(f, "x");
    const cfg = join(root, "pf.toml");
    const r = await runCorso(["repo", "init", "filesystem", "--path", join(f, "repo"), "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, "initializing repository");
    expect(readFileSync(f, "utf8")).toBe("x");
    expect(() => statSync(cfg)).toThrow();
  });

  test("--path is required", async () => {
    const r = await runCorso(["repo", "init", "filesystem"], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, 'required flag(s) "path" not set');
  });

  test("retention flags are S3-only", async () => {
    const r = await runCorso(["repo", "init", "filesystem", "--path", join(root, "x"), "--retention-mode", "governance"], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, "unknown flag: --retention-mode");
  });
});

describe("repo connect filesystem", () => {
  test("connects with flag, env or config passphrase", async () => {
    const r = await runCorso(["repo", "connect", "filesystem", "--path", repoPath], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual(["Connecting to repository", `Connected to repository at path ${repoPath}`]);
    // passphrase from a flag
    const r2 = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--passphrase", PASS], env());
    expect(r2.code).toBe(0);
    // passphrase from the config file (read-only key)
    const cfg = join(root, "withpass.toml");
    writeFileSync(cfg, `provider = 'Filesystem'\npath = '${repoPath}'\npassphrase = '${PASS}'\n`);
    const r3 = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--config-file", cfg], env());
    expect(r3.code).toBe(0);
    expect(readFileSync(cfg, "utf8")).toContain(`passphrase = '${PASS}'`);
  });

  test("wrong passphrase", async () => {
    const snap = snapshotDir(repoPath);
    const r = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--passphrase", "nope"], env());
    expectOneLineError(r, "connecting repository: connecting kopia client: connecting to kopia repo: invalid repository password");
    expect(snapshotDir(repoPath)).toEqual(snap);
  });

  test("a directory that is not a repository, and one that does not exist", async () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    const cfg = join(root, "empty.toml");
    const r = await runCorso(["repo", "connect", "filesystem", "--path", empty, "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, "connecting repository: connecting kopia client");
    expect(snapshotDir(empty)).toEqual({});
    const missing = join(root, "missing");
    const r2 = await runCorso(["repo", "connect", "filesystem", "--path", missing, "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r2, "connecting repository: connecting kopia client");
    expect(snapshotDir(missing)).toEqual({});
    expect(() => statSync(cfg)).toThrow();
  });

  test("flags that do not match the config file", async () => {
    const before = readFileSync(cfgPath, "utf8");
    const r = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "elsewhere")], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(
      r,
      `verifying configs in corso config file: value of path (${join(root, "elsewhere")}) does not match corso configuration value (${repoPath})`,
    );
    expect(readFileSync(cfgPath, "utf8")).toBe(before);
    const r2 = await runCorso(["repo", "connect", "s3", "--bucket", "b"], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r2, "unsupported storage provider: [Filesystem]");
  });

  test("malformed and unreadable config files are named", async () => {
    const bad = join(root, "bad.toml");
    writeFileSync(bad, "provider = 'Filesystem\npath = \n");
    const snap = snapshotDir(repoPath);
    const r = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--config-file", bad], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, `reading corso config file: ${bad}: malformed`);
    const dirCfg = join(root, "dir.toml");
    mkdirSync(dirCfg);
    const r2 = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--config-file", dirCfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r2, `reading corso config file: ${dirCfg}: is a directory`);
    const noext = await runCorso(["repo", "connect", "filesystem", "--path", repoPath, "--config-file", join(root, "cfg")], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(noext, "config file requires an extension e.g. `toml`");
    expect(snapshotDir(repoPath)).toEqual(snap);
  });

  test("CORSO_CONFIG_DIR picks the config file", async () => {
    const cdir = join(root, "cfgdir");
    mkdirSync(cdir);
    const r = await runCorso(["repo", "connect", "filesystem", "--path", repoPath], env({ CORSO_PASSPHRASE: PASS, CORSO_CONFIG_DIR: cdir }));
    expect(r.code).toBe(0);
    expect(readFileSync(join(cdir, ".corso.toml"), "utf8")).toContain(`path = '${repoPath}'`);
  });
});

describe("repo update-passphrase", () => {
  const p2 = join(root, "pw-repo");
  const cfg = join(root, "pw.toml");
  test("old passphrase fails afterwards, new one works", async () => {
    const i = await runCorso(["repo", "init", "filesystem", "--path", p2, "--config-file", cfg], env({ CORSO_PASSPHRASE: "old-pass" }));
    expect(i.code).toBe(0);
    const missing = await runCorso(["repo", "update-passphrase", "--config-file", cfg], env({ CORSO_PASSPHRASE: "old-pass" }));
    expectOneLineError(missing, 'required flag(s) "new-passphrase" not set');
    const wrong = await runCorso(["repo", "update-passphrase", "--new-passphrase", "x", "--config-file", cfg], env({ CORSO_PASSPHRASE: "bad" }));
    expectOneLineError(wrong, "invalid repository password");
    const u = await runCorso(["repo", "update-passphrase", "--new-passphrase", "new-pass", "--config-file", cfg], env({ CORSO_PASSPHRASE: "old-pass" }));
    expect(u.code).toBe(0);
    expect(stderrLines(u)).toContain("Updated repo password.");
    const old = await runCorso(["repo", "connect", "filesystem", "--path", p2, "--config-file", cfg], env({ CORSO_PASSPHRASE: "old-pass" }));
    expectOneLineError(old, "invalid repository password");
    const ok = await runCorso(["repo", "connect", "filesystem", "--path", p2, "--config-file", cfg], env({ CORSO_PASSPHRASE: "new-pass" }));
    expect(ok.code).toBe(0);
  });
  test("without a config file", async () => {
    const r = await runCorso(["repo", "update-passphrase", "--new-passphrase", "n", "--config-file", join(root, "none.toml")], env({ CORSO_PASSPHRASE: "p" }));
    expectOneLineError(r, "reading config file");
  });
});

async function writeUnreferencedData(path: string, pass: string, bytes: number): Promise<void> {
  const { openStorage } = await import("../../lib/storage/open.ts");
  const { openRepository } = await import("../../lib/repo/repository.ts");
  const st = await openStorage({ provider: "filesystem", path }, { create: false });
  const repo: any = await openRepository(st, pass, { hostname: "test", username: "test" });
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data.subarray(0, Math.min(bytes, 65536)));
  for (let i = 65536; i < bytes; i += 65536) data.set(data.subarray(0, Math.min(65536, bytes - i)), i);
  await repo.contents.writeContent(data, { prefix: "" });
  await repo.flush();
  await repo.close();
  await st.close();
}

function packBlobs(path: string): string[] {
  return Object.keys(snapshotDir(path)).filter((k) => k.startsWith("p/") && k.endsWith(".f"));
}

describe("repo maintenance", () => {
  const mp = join(root, "maint-repo");
  const cfg = join(root, "maint.toml");
  beforeAll(async () => {
    const r = await runCorso(["repo", "init", "filesystem", "--path", mp, "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
  });

  test("unknown --mode", async () => {
    const snap = snapshotDir(mp);
    const r = await runCorso(["repo", "maintenance", "--mode", "deep", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, "deep is an unrecognized maintenance mode; must be one of complete or metadata");
    expect(snapshotDir(mp)).toEqual(snap);
  });

  test("metadata mode runs (no-op on epoch repositories)", async () => {
    const r = await runCorso(["repo", "maintenance", "--mode", "metadata", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  test("another user@host is refused unless --force, which takes ownership and is persisted", async () => {
    const snap = snapshotDir(mp);
    const r = await runCorso(
      ["repo", "maintenance", "--mode", "metadata", "--user", "intruder", "--host", "elsewhere", "--config-file", cfg],
      env({ CORSO_PASSPHRASE: PASS }),
    );
    expect(r.code).toBe(1);
    expect(stderrLines(r).at(-1)).toContain("maintenance must be run by designated user");
    expect(stderrLines(r).filter((l) => l.startsWith("Error:")).length).toBe(1);
    expect(Object.keys(snapshotDir(mp))).toEqual(Object.keys(snap));
    const forced = await runCorso(
      ["repo", "maintenance", "--mode", "metadata", "--user", "intruder", "--host", "elsewhere", "--force", "--config-file", cfg],
      env({ CORSO_PASSPHRASE: PASS }),
    );
    expect(forced.code).toBe(0);
    const text = readFileSync(cfg, "utf8");
    expect(text).toContain("corso_user = 'intruder'");
    expect(text).toContain("corso_host = 'elsewhere'");
    // Now the config's user@host owns it: a plain run works.
    const again = await runCorso(["repo", "maintenance", "--mode", "metadata", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(again.code).toBe(0);
  });

  test("complete mode removes the data of a deleted snapshot once its margins pass", async () => {
    const src = join(root, "snap-src");
    mkdirSync(src);
    const data = new Uint8Array(400_000);
    crypto.getRandomValues(data.subarray(0, 65536));
    for (let i = 65536; i < data.length; i += 65536) data.set(data.subarray(0, Math.min(65536, data.length - i)), i);
    writeFileSync(join(src, "mail.eml"), data);
    const { openStorage } = await import("../../lib/storage/open.ts");
    const { openRepository } = await import("../../lib/repo/repository.ts");
    const { snapshotDirectory, deleteSnapshot } = await import("../../lib/repo/snapshot/index.ts");
    const withRepo = async (fn: (repo: any) => Promise<void>) => {
      const st = await openStorage({ provider: "filesystem", path: mp }, { create: false });
      const repo: any = await openRepository(st, PASS, { hostname: "test", username: "test" });
      await fn(repo);
      await repo.close();
      await st.close();
    };
    let snapId = "";
    await withRepo(async (repo) => {
      snapId = (await snapshotDirectory(repo, src)).id;
      await repo.flush();
    });
    expect(snapId).not.toBe("");
    const packsWithData = packBlobs(mp);
    expect(packsWithData.length).toBeGreaterThan(0);
    const maint = (safety?: string) =>
      runCorso(
        ["repo", "maintenance", "--mode", "complete", "--config-file", cfg, "--json"],
        env({ CORSO_PASSPHRASE: PASS, ...(safety ? { CORSO_MAINTENANCE_SAFETY: safety } : {}) }),
      );
    // Referenced data survives maintenance, even without safety margins.
    const keep = await maint("none");
    expect(keep.code).toBe(0);
    expect(JSON.parse(keep.stdout).mode).toBe("full");
    for (const p of packsWithData) expect(packBlobs(mp)).toContain(p);

    await withRepo(async (repo) => {
      await deleteSnapshot(repo.manifests, snapId);
      await repo.flush();
    });
    // With full safety margins nothing young is removed.
    const full = await maint();
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout).blobsDeleted).toBe(0);
    for (const p of packsWithData) expect(packBlobs(mp)).toContain(p);
    // Once the margins pass (safety none), the snapshot's data packs go.
    let deleted = 0;
    for (let i = 0; i < 3 && packsWithData.some((p) => packBlobs(mp).includes(p)); i++) {
      const r = await maint("none");
      expect(r.code).toBe(0);
      deleted += JSON.parse(r.stdout).blobsDeleted;
    }
    expect(packsWithData.filter((p) => packBlobs(mp).includes(p))).toEqual([]);
    expect(deleted).toBeGreaterThan(0);
    const v = await runCorso(["repo", "verify", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(v.code).toBe(0);
  });
});

describe("repo verify", () => {
  const vp = join(root, "verify-repo");
  const cfg = join(root, "verify.toml");
  test("clean repository passes; a flipped byte in a pack is reported", async () => {
    const i = await runCorso(["repo", "init", "filesystem", "--path", vp, "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(i.code).toBe(0);
    await writeUnreferencedData(vp, PASS, 100_000);
    const ok = await runCorso(["repo", "verify", "--read-data-percent", "100", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("");
    expect(stderrLines(ok).at(-1)).toMatch(/: 0 problems found\.$/);
    const packs = packBlobs(vp);
    expect(packs.length).toBeGreaterThan(0);
    const f = join(vp, packs[0]);
    const buf = readFileSync(f);
    buf[Math.floor(buf.length / 3)] ^= 0x01;
    chmodSync(f, 0o600);
    writeFileSync(f, buf);
    const bad = await runCorso(["repo", "verify", "--read-data-percent", "100", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(bad.code).toBe(1);
    expect(bad.stdout.trim().length).toBeGreaterThan(0);
    expect(stderrLines(bad).at(-1)).toMatch(/^Error: repository verification found \d+ problem\(s\)$/);
    const json = await runCorso(["repo", "verify", "--read-data-percent", "100", "--json", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems.length).toBeGreaterThan(0);
  });
  test("bad --read-data-percent", async () => {
    const r = await runCorso(["repo", "verify", "--read-data-percent", "150", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expectOneLineError(r, 'invalid argument "150" for "--read-data-percent" flag');
  });
});
