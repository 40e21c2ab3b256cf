// `corso repo init|connect s3` against a real MinIO, through the compiled binary: Corso's
// commands and messages, the config file, bad inputs (one line, exit 1, bucket untouched) and
// object-lock retention flags.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, runCorso } from "../helpers/binary.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";
import { baseEnv, expectOneLineError, removeDir, stderrLines, tempDir } from "./helpers.ts";

setDefaultTimeout(180_000);
const root = tempDir("s3");
const home = join(root, "home");
const PASS = "s3-passphrase";
let minio: MinioServer;
let env: (extra?: Record<string, string>) => Record<string, string>;

beforeAll(async () => {
  await ensureBinary();
  minio = await startMinio();
  await minio.createBucket("corso-repo");
  await minio.createBucket("locked", { objectLock: true });
  env = (extra = {}) => baseEnv(home, { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, ...extra });
}, 300_000);

afterAll(async () => {
  await minio?.stop();
  removeDir(root);
});

/** Object keys and sizes in a bucket (all prefixes). */
async function bucketListing(bucket: string): Promise<Record<string, number>> {
  const { openStorage } = await import("../../lib/storage/open.ts");
  const st = await openStorage({ provider: "s3", ...minio.options(bucket) }, { create: false });
  const out: Record<string, number> = {};
  for await (const m of st.listBlobs("")) out[m.id] = m.length;
  await st.close();
  return out;
}

const s3Args = (bucket: string, ...more: string[]) => ["--bucket", bucket, "--endpoint", minio.endpoint, "--disable-tls", ...more];

describe("repo init s3", () => {
  test("initializes, prints Corso's message and writes the config file", async () => {
    const r = await runCorso(["repo", "init", "s3", ...s3Args("corso-repo")], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual(["Initializing repository", "Initialized a S3 repository within bucket corso-repo."]);
    const text = readFileSync(join(home, ".corso.toml"), "utf8");
    const id = /^repo_id = '([0-9a-f-]{36})'$/m.exec(text)![1];
    expect(text).toBe(
      [
        "account_provider = 'M365'",
        "azure_tenantid = ''",
        "bucket = 'corso-repo'",
        "disable_tls = true",
        "disable_tls_verification = false",
        `endpoint = '${minio.endpoint}'`,
        "prefix = ''",
        "provider = 'S3'",
        `repo_id = '${id}'`,
        "",
      ].join("\n"),
    );
    expect(text).not.toContain(minio.secretKey);
    expect(Object.keys(await bucketListing("corso-repo"))).toContain("kopia.repository");
  });

  test("connect reads everything from the config file", async () => {
    const r = await runCorso(["repo", "connect", "s3"], env({ CORSO_PASSPHRASE: PASS }));
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual(["Connecting to repository", "Connected to S3 bucket corso-repo."]);
  });

  test("s3:// bucket and a prefix are normalised", async () => {
    const cfg = join(root, "prefix.toml");
    const r = await runCorso(
      ["repo", "init", "s3", "--config-file", cfg, ...s3Args("s3://corso-repo", "--prefix", "team-a")],
      env({ CORSO_PASSPHRASE: PASS }),
    );
    expect(r.code).toBe(0);
    const text = readFileSync(cfg, "utf8");
    expect(text).toContain("bucket = 'corso-repo'");
    expect(text).toContain("prefix = 'team-a/'");
    expect(Object.keys(await bucketListing("corso-repo"))).toContain("team-a/kopia.repository");
  });

  test("bad inputs: one line, exit 1, bucket untouched", async () => {
    const before = await bucketListing("corso-repo");
    const cfg = join(root, "bad.toml");
    const cases: [string[], Record<string, string>, string][] = [
      [["repo", "init", "s3", "--config-file", cfg, ...s3Args("no-such-bucket")], { CORSO_PASSPHRASE: PASS }, "initializing repository"],
      [
        ["repo", "init", "s3", "--config-file", cfg, "--bucket", "corso-repo", "--endpoint", `http://${minio.endpoint}`],
        { CORSO_PASSPHRASE: PASS },
        "endpoint doesn't support specifying protocol. pass --disable-tls flag to use http:// instead of default https://",
      ],
      [["repo", "init", "s3", "--config-file", cfg, "--endpoint", minio.endpoint], { CORSO_PASSPHRASE: PASS }, "missing required storage configuration: bucket"],
      [["repo", "init", "s3", "--config-file", cfg, ...s3Args("corso-repo")], {}, "CORSO_PASSPHRASE"],
      [["repo", "init", "s3", "--config-file", cfg, ...s3Args("corso-repo")], { CORSO_PASSPHRASE: "wrong" }, "a repository was already initialized with that configuration"],
      [["repo", "connect", "s3", "--config-file", cfg, ...s3Args("corso-repo")], { CORSO_PASSPHRASE: "wrong" }, "invalid repository password"],
      [["repo", "connect", "s3", "--config-file", cfg, ...s3Args("corso-repo", "--prefix", "nothing-here")], { CORSO_PASSPHRASE: PASS }, "repository not initialized"],
      [["repo", "connect", "s3", "--bucket", "other-bucket"], { CORSO_PASSPHRASE: PASS }, "value of bucket (other-bucket) does not match corso configuration value (corso-repo)"],
      [["repo", "init", "s3", "--config-file", cfg, ...s3Args("corso-repo", "--retention-mode", "forever")], { CORSO_PASSPHRASE: PASS }, "invalid retention mode forever"],
      [["repo", "init", "s3", "--config-file", cfg, ...s3Args("corso-repo", "--retention-duration", "soon")], { CORSO_PASSPHRASE: PASS }, 'time: invalid duration "soon"'],
      [["repo", "connect", "s3", "--config-file", cfg, "--bucket"], { CORSO_PASSPHRASE: PASS }, "flag needs an argument: --bucket"],
    ];
    for (const [args, e, text] of cases) {
      const r = await runCorso(args, env(e));
      expectOneLineError(r, text);
    }
    expect(await bucketListing("corso-repo")).toEqual(before);
    expect(Object.keys(await bucketListing("locked"))).toEqual([]);
  }, 120_000);

  test("maintenance, verify and update-passphrase on S3", async () => {
    const cfg = join(root, "ops.toml");
    const init = await runCorso(["repo", "init", "s3", "--config-file", cfg, ...s3Args("corso-repo", "--prefix", "ops")], env({ CORSO_PASSPHRASE: PASS }));
    expect(init.code).toBe(0);
    const m = await runCorso(["repo", "maintenance", "--mode", "complete", "--json", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout).mode).toBe("full");
    const meta = await runCorso(["repo", "maintenance", "--mode", "metadata", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(meta.code).toBe(0);
    const v = await runCorso(["repo", "verify", "--read-data-percent", "100", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(v.code).toBe(0);
    const u = await runCorso(["repo", "update-passphrase", "--new-passphrase", "s3-new", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS }));
    expect(u.code).toBe(0);
    expect(stderrLines(u)).toContain("Updated repo password.");
    expectOneLineError(await runCorso(["repo", "connect", "s3", "--config-file", cfg], env({ CORSO_PASSPHRASE: PASS })), "invalid repository password");
    expect((await runCorso(["repo", "connect", "s3", "--config-file", cfg], env({ CORSO_PASSPHRASE: "s3-new" }))).code).toBe(0);
    // without credentials from env, the config file keys are used (read-only keys)
    const credCfg = join(root, "creds.toml");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(credCfg, readFileSync(cfg, "utf8") + `aws_access_key_id = '${minio.accessKey}'\naws_secret_access_key = '${minio.secretKey}'\n`);
    const c2 = await runCorso(["repo", "connect", "s3", "--config-file", credCfg], baseEnv(home, { CORSO_PASSPHRASE: "s3-new" }));
    expect(c2.code).toBe(0);
  });

  test("object lock: retention flags reach kopia.blobcfg and the maintenance parameters", async () => {
    const cfg = join(root, "locked.toml");
    const r = await runCorso(
      ["repo", "init", "s3", "--config-file", cfg, ...s3Args("locked", "--retention-mode", "governance", "--retention-duration", "72h", "--extend-retention")],
      env({ CORSO_PASSPHRASE: PASS }),
    );
    expect(r.code).toBe(0);
    const keys = Object.keys(await bucketListing("locked"));
    expect(keys).toContain("kopia.blobcfg");
    const { openStorage } = await import("../../lib/storage/open.ts");
    const { openRepository } = await import("../../lib/repo/repository.ts");
    const { getMaintenanceParams } = await import("../../lib/repo/maintenance/params.ts");
    const st = await openStorage({ provider: "s3", ...minio.options("locked") }, { create: false });
    const repo: any = await openRepository(st, PASS, { hostname: "t", username: "t", readOnly: true });
    const params = await getMaintenanceParams(repo.manifests);
    expect(params.extendObjectLocks).toBe(true);
    expect(params.full.enabled).toBe(false);
    await repo.close();
    await st.close();
    // too short for the 24 h full-maintenance interval
    const bad = await runCorso(
      ["repo", "init", "s3", "--config-file", join(root, "l2.toml"), ...s3Args("locked", "--prefix", "x", "--retention-mode", "governance", "--retention-duration", "30h", "--extend-retention")],
      env({ CORSO_PASSPHRASE: PASS }),
    );
    expectOneLineError(bad, "invalid retention config");
  });
});
