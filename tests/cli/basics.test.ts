// Root behaviour through the compiled binary: --version, --help, env, group help, unknown
// commands and flags (one line, exit 1), log files; and that help/version load no heavy module.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, runCorso } from "../helpers/binary.ts";
import { baseEnv, expectOneLineError, removeDir, tempDir } from "./helpers.ts";

setDefaultTimeout(180_000);
const root = tempDir("basics");
const home = join(root, "home");
const env = (extra: Record<string, string> = {}) => baseEnv(home, extra);

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  await ensureBinary();
}, 300_000);
afterAll(() => removeDir(root));

describe("root", () => {
  test("--version and -v print like Corso", async () => {
    for (const flag of ["--version", "-v"]) {
      const r = await runCorso([flag], env());
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Corso version: v\d+\.\d+\.\d+\S*\n$/);
      expect(r.stderr).toBe("");
    }
  });

  test("no arguments and --help print the command list", async () => {
    const a = await runCorso([], env());
    const b = await runCorso(["--help"], env());
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain("Free, Secure, and Open-Source Backup for Microsoft 365.");
    expect(a.stdout).toMatch(/^  repo\s+Manage your repositories$/m);
    expect(a.stdout).toMatch(/^  env\s+env var guide$/m);
    expect(a.stdout).toContain("--config-file string");
    expect(a.stdout).not.toContain("--run-mode"); // hidden
  });

  test("group commands print their help; help <cmd> works", async () => {
    const r = await runCorso(["repo"], env());
    expect(r.code).toBe(0);
    for (const c of ["connect", "init", "maintenance", "update-passphrase", "verify"]) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\s`, "m"));
    const h = await runCorso(["help", "repo", "init", "s3"], env());
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("corso repo init s3 [flags]");
    expect(h.stdout).toContain("--bucket string");
    expect(h.stdout).not.toContain("--retention-mode"); // hidden like Corso
    const h2 = await runCorso(["repo", "maintenance", "-h"], env());
    expect(h2.stdout).toContain(`--mode string`);
    expect(h2.stdout).toContain(`(default "complete")`);
  });

  test("env prints the environment variable guide", async () => {
    const r = await runCorso(["env"], env());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--- Environment Variable Guide ---");
    const lines = r.stdout.split("\n");
    expect(lines[0].trimEnd()).toMatch(/^  Corso\s*$/);
    for (const v of ["CORSO_PASSPHRASE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${v}\\s+\\S`, "m"));
    }
    expect(r.stdout).toContain("  AWS Credentials");
  });

  test("unknown commands and flags: one line, exit 1", async () => {
    expectOneLineError(await runCorso(["bogus"], env()), 'unknown command "bogus" for "corso"');
    expectOneLineError(await runCorso(["repo", "init", "azure"], env()), 'unknown command "azure" for "corso repo init"');
    expectOneLineError(await runCorso(["repo", "init", "s3", "extra"], env()), 'unknown command "extra" for "corso repo init s3"');
    expectOneLineError(await runCorso(["repo", "connect", "s3", "--bukket", "x"], env()), "unknown flag: --bukket");
    expectOneLineError(await runCorso(["repo", "connect", "s3", "-x"], env()), "unknown shorthand flag: 'x' in -x");
    expectOneLineError(await runCorso(["repo", "connect", "s3", "--disable-tls=maybe"], env()), 'invalid argument "maybe" for "--disable-tls" flag');
    expectOneLineError(await runCorso(["repo", "connect", "s3", "--log-level", "loud", "--bucket", "b"], env()), 'invalid log level "loud"');
  });

  test("numeric-looking and dash-leading values are kept verbatim", async () => {
    const cfg = join(root, "num.toml");
    const r = await runCorso(["repo", "init", "filesystem", "--path", join(root, "num-repo"), "--passphrase", "007", "--config-file", cfg], env());
    expect(r.code).toBe(0);
    const bad = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "num-repo"), "--passphrase", "7", "--config-file", cfg], env());
    expectOneLineError(bad, "invalid repository password");
    const ok = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "num-repo"), "--passphrase", "007", "--config-file", cfg], env());
    expect(ok.code).toBe(0);
    const dash = await runCorso(["repo", "init", "filesystem", "--path", join(root, "dash-repo"), "--passphrase", "-x-", "--config-file", cfg], env());
    expect(dash.code).toBe(0);
    const dashOk = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "dash-repo"), "--passphrase=-x-", "--config-file", cfg], env());
    expect(dashOk.code).toBe(0);
  });
});

describe("logging", () => {
  test("a new log file per run in the cache dir; --log-file, json format, stack only in the log", async () => {
    const logs = join(home, ".cache", "corso", "logs");
    const r = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "nothing"), "--config-file", join(root, "l.toml")], env({ CORSO_PASSPHRASE: "p" }));
    expect(r.code).toBe(1);
    expect(existsSync(logs)).toBe(true);
    const files = readdirSync(logs);
    expect(files.some((f) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.log$/.test(f))).toBe(true);
    const text = readFileSync(join(logs, files.sort().at(-1)!), "utf8");
    expect(text).toContain("cli command");
    expect(text).toContain("ERROR");

    const lf = join(root, "custom.log");
    const r2 = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "nothing"), "--config-file", join(root, "l.toml"), "--log-file", lf, "--log-format", "json", "--log-level", "debug"], env({ CORSO_PASSPHRASE: "p" }));
    expect(r2.code).toBe(1);
    const recs = readFileSync(lf, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(recs.some((x) => x.level === "debug")).toBe(true);
    expect(recs.at(-1).level).toBe("error");

    const r3 = await runCorso(["repo", "connect", "filesystem", "--path", join(root, "nothing"), "--config-file", join(root, "l.toml"), "--log-file", "stderr", "--mask-sensitive-data"], env({ CORSO_PASSPHRASE: "p" }));
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain("cli command");
    expect(r3.stderr).not.toContain(`location=${join(root, "nothing")}`);
  });
});

describe("startup stays light", () => {
  test("--help, --version and group help load no engine, AWS SDK or Graph module", () => {
    const script = `
      const { runCli } = await import(${JSON.stringify(join(import.meta.dir, "../../lib/cli/main.ts"))});
      const w = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true;
      await runCli(["--help"]); await runCli(["--version"]); await runCli(["repo"]); await runCli(["repo", "init", "s3", "--help"]);
      process.stdout.write = w;
      console.log(JSON.stringify(Object.keys(require.cache)));`;
    const r = Bun.spawnSync([process.execPath, "-e", script], { env: { PATH: process.env.PATH ?? "", HOME: home } });
    expect(r.exitCode).toBe(0);
    const loaded: string[] = JSON.parse(r.stdout.toString().trim().split("\n").at(-1)!);
    expect(loaded.some((p) => p.endsWith("lib/cli/main.ts"))).toBe(true);
    const heavy = loaded.filter((p) => /lib\/(repo|storage|m365|corso)\/|@aws-sdk|@smithy/.test(p));
    expect(heavy).toEqual([]);
  });
});

describe("global flags and progress", () => {
  test("global flags anywhere, --no-stats, --hide-progress, empty new passphrase", async () => {
    const cfg = join(root, "g.toml");
    const p = join(root, "g-repo");
    const r = await runCorso(["--hide-progress", "--no-stats", "repo", "init", "filesystem", "--path", p, "--config-file", cfg, "--passphrase", "x"], env());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Initialized a repository at path ${p}\n`);
    const r2 = await runCorso(["repo", "connect", "filesystem", "--no-stats=true", "--json=false", "--path", p, "--config-file", cfg, "--passphrase", "x"], env());
    expect(r2.code).toBe(0);
    const e = await runCorso(["repo", "update-passphrase", "--new-passphrase", "", "--config-file", cfg], env({ CORSO_PASSPHRASE: "x" }));
    expectOneLineError(e, "empty password provided");
    const noPass = await runCorso(["repo", "update-passphrase", "--new-passphrase", "y", "--passphrase", "x", "--config-file", cfg], env());
    expectOneLineError(noPass, "unknown flag: --passphrase"); // as in Corso: env or config only
  });
});
