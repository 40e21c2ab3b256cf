// Unit tests of the config layer: `.corso.toml` location/reading/writing, precedence
// (flag > env > file) and Corso's mustMatch checks. Pure functions; no binary needed.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import {
  defaultConfigPath,
  readConfigFile,
  renderToml,
  resolveConfigPath,
  writeConfigFile,
} from "../../lib/cli/config-file.ts";
import { configKeysToWrite, resolveRepoDetails, toStorageConfig } from "../../lib/cli/repo-config.ts";
import { parseGoDuration } from "../../lib/cli/duration.ts";
import { renderTable } from "../../lib/cli/print.ts";

const dir = mkdtempSync(join(tmpdir(), "corso-cli-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const s3Opts = { provider: "S3" as const, readFile: true, mustMatch: true, requirePassphrase: true };

describe("config file location", () => {
  test("CORSO_CONFIG_DIR when it exists, else HOME", () => {
    expect(defaultConfigPath({ HOME: "/home/x" })).toBe("/home/x/.corso.toml");
    expect(defaultConfigPath({ HOME: "/home/x", CORSO_CONFIG_DIR: dir })).toBe(join(dir, ".corso.toml"));
    expect(defaultConfigPath({ HOME: "/home/x", CORSO_CONFIG_DIR: join(dir, "missing") })).toBe("/home/x/.corso.toml");
  });
  test("--config-file needs an extension; the literal default means the default", () => {
    expect(() => resolveConfigPath("/tmp/corso", {})).toThrow("config file requires an extension e.g. `toml`");
    expect(resolveConfigPath("$HOME/.corso.toml", { HOME: "/h" })).toBe("/h/.corso.toml");
    expect(resolveConfigPath(join(dir, "c.toml"), {})).toBe(join(dir, "c.toml"));
  });
});

describe("reading and writing", () => {
  test("missing file is not an error", async () => {
    const f = await readConfigFile(join(dir, "none.toml"));
    expect(f.exists).toBe(false);
    expect(f.values).toEqual({});
  });
  test("malformed TOML names the file in one line", async () => {
    const p = join(dir, "bad.toml");
    writeFileSync(p, "provider = 'S3\nbucket = = x\n");
    const err = await readConfigFile(p).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(p);
    expect(err.message).toStartWith("reading corso config file: ");
    expect(err.message.includes("\n")).toBe(false);
  });
  test("a directory where the file should be is reported (works as root)", async () => {
    const p = join(dir, "isdir.toml");
    mkdirSync(p);
    const err = await readConfigFile(p).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`reading corso config file: ${p}: is a directory`);
  });
  test("write keeps existing keys, adds new ones, sorted, 0600, literal strings", async () => {
    const p = join(dir, "w.toml");
    writeFileSync(p, "passphrase = 'from-file'\nbucket = 'old'\n", { mode: 0o644 });
    const f = await readConfigFile(p);
    writeConfigFile(f, { bucket: "new", disable_tls: true, provider: "S3" });
    const text = readFileSync(p, "utf8");
    expect(text).toBe("bucket = 'new'\ndisable_tls = true\npassphrase = 'from-file'\nprovider = 'S3'\n");
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const again = await readConfigFile(p);
    expect(again.values).toEqual({ bucket: "new", disable_tls: true, passphrase: "from-file", provider: "S3" });
  });
  test("strings that cannot be literal are quoted", () => {
    expect(renderToml({ a: "it's" })).toBe('a = "it\'s"\n');
  });
});

describe("precedence flag > env > file", () => {
  const file = {
    path: "/x.toml",
    exists: true,
    values: {
      provider: "S3",
      bucket: "b1",
      endpoint: "minio:9000",
      prefix: "p/",
      disable_tls: true,
      passphrase: "file-pass",
      aws_access_key_id: "file-ak",
      aws_secret_access_key: "file-sk",
      azure_tenantid: "file-tenant",
      repo_id: "rid",
      corso_user: "u1",
      corso_host: "h1",
    },
  };
  test("file values used when nothing else given", () => {
    const d = resolveRepoDetails({}, file, s3Opts, {});
    expect(d.passphrase).toBe("file-pass");
    expect(d.storage).toMatchObject({ bucket: "b1", endpoint: "minio:9000", prefix: "p/", disableTLS: true, accessKeyId: "file-ak" });
    expect(d.tenantId).toBe("file-tenant");
    expect(d.repoId).toBe("rid");
    expect([d.user, d.host]).toEqual(["u1", "h1"]);
  });
  test("env beats file, flag beats env", () => {
    const env = { CORSO_PASSPHRASE: "env-pass", AWS_ACCESS_KEY_ID: "env-ak", AZURE_TENANT_ID: "env-tenant" };
    const d1 = resolveRepoDetails({}, file, s3Opts, env);
    expect([d1.passphrase, (d1.storage as any).accessKeyId, d1.tenantId]).toEqual(["env-pass", "env-ak", "env-tenant"]);
    const d2 = resolveRepoDetails({ passphrase: "flag-pass", awsAccessKey: "flag-ak", azureTenantId: "flag-t", user: "mu" }, file, s3Opts, env);
    expect([d2.passphrase, (d2.storage as any).accessKeyId, d2.tenantId, d2.user]).toEqual(["flag-pass", "flag-ak", "flag-t", "mu"]);
  });
  test("TLS flag given as false overrides the file", () => {
    const d = resolveRepoDetails({ disableTls: false }, file, s3Opts, {});
    expect((d.storage as any).disableTLS).toBe(false);
  });
  test("mustMatch: a different bucket/prefix/endpoint is refused with Corso's text", () => {
    expect(() => resolveRepoDetails({ bucket: "b2" }, file, s3Opts, {})).toThrow(
      "retrieving storage provider details: verifying configs in corso config file: value of bucket (b2) does not match corso configuration value (b1)",
    );
    expect(() => resolveRepoDetails({ prefix: "q" }, file, s3Opts, {})).toThrow("value of prefix (q/) does not match corso configuration value (p/)");
    // same bucket written with s3:// and prefix without slash are equal after normalisation
    expect(resolveRepoDetails({ bucket: "s3://b1", prefix: "p" }, file, s3Opts, {}).storage).toMatchObject({ bucket: "b1", prefix: "p/" });
    // init does not check
    expect(resolveRepoDetails({ bucket: "b2" }, file, { ...s3Opts, mustMatch: false }, {}).storage).toMatchObject({ bucket: "b2" });
  });
  test("mustMatch: provider of the file must be the command's", () => {
    expect(() => resolveRepoDetails({ path: "/r" }, file, { ...s3Opts, provider: "Filesystem" }, {})).toThrow(
      "unsupported storage provider in config file: [S3]",
    );
    const fsFile = { path: "/x.toml", exists: true, values: { provider: "Filesystem", path: "/repo/a", passphrase: "p" } };
    expect(() => resolveRepoDetails({ bucket: "b" }, fsFile, s3Opts, {})).toThrow("unsupported storage provider: [Filesystem]");
    expect(() => resolveRepoDetails({ path: "/repo/b" }, fsFile, { ...s3Opts, provider: "Filesystem" }, {})).toThrow(
      "value of path (/repo/b) does not match corso configuration value (/repo/a)",
    );
    expect(resolveRepoDetails({ path: "/repo/a/" }, fsFile, { ...s3Opts, provider: "Filesystem" }, {}).storage).toEqual({
      provider: "Filesystem",
      path: "/repo/a",
    });
  });
  test("missing bucket and passphrase", () => {
    const empty = { path: "/x.toml", exists: false, values: {} };
    expect(() => resolveRepoDetails({ passphrase: "x" }, empty, s3Opts, {})).toThrow(
      "retrieving storage provider details: missing required storage configuration: bucket",
    );
    expect(() => resolveRepoDetails({ bucket: "b" }, empty, s3Opts, {})).toThrow(
      "retrieving storage provider details: validating corso credentials: missing required storage configuration: CORSO_PASSPHRASE",
    );
  });
  test("keys written never include secrets", () => {
    const d = resolveRepoDetails({ passphrase: "p", awsAccessKey: "a", awsSecretAccessKey: "s", bucket: "b" }, { path: "", exists: false, values: {} }, s3Opts, {});
    const keys = configKeysToWrite(d, "id1");
    expect(keys).toEqual({
      provider: "S3",
      bucket: "b",
      endpoint: "s3.amazonaws.com",
      prefix: "",
      disable_tls: false,
      disable_tls_verification: false,
      repo_id: "id1",
      account_provider: "M365",
      azure_tenantid: "",
    });
    expect(toStorageConfig(d)).toMatchObject({ provider: "s3", bucket: "b", accessKeyId: "a", secretAccessKey: "s" });
  });
});

describe("helpers", () => {
  test("Go durations", () => {
    expect(parseGoDuration("720h", "x")).toBe(720 * 3_600_000);
    expect(parseGoDuration("1h30m", "x")).toBe(90 * 60_000);
    expect(parseGoDuration("0s", "x")).toBe(0);
    expect(() => parseGoDuration("3 days", "retention-duration")).toThrow(
      'invalid argument "3 days" for "--retention-duration" flag: time: invalid duration "3 days"',
    );
  });
  test("tables like tomlazar/table", () => {
    expect(renderTable(["ID", "Name"], [["1", "alpha"], ["22", "b"]])).toBe("  ID  Name \n  1   alpha\n  22  b    \n");
  });
});
