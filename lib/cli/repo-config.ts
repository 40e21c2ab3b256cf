// Resolves what a repo command needs from flags, environment and `.corso.toml`, value by value
// with Corso's precedence (flag > env > file; bucket/prefix/endpoint/TLS/path: flag > file), and
// Corso's consistency check: `repo connect` and every post-connect command refuse flag values
// that differ from the config file ("mustMatch", corso-cli spec §7.5).
import { resolve as resolvePath } from "node:path";
import { homedir } from "node:os";
import { UsageError } from "../errors.ts";
import { DEFAULT_S3_ENDPOINT, normalizeBucket, normalizeEndpoint, normalizePrefix } from "../storage/s3-options.ts";
import type { StorageConfig } from "../storage/open.ts";
import { getBool, getString, type ConfigFile, type ConfigValues } from "./config-file.ts";

export type Provider = "S3" | "Filesystem";

export interface RepoFlags {
  passphrase?: string;
  awsAccessKey?: string;
  awsSecretAccessKey?: string;
  awsSessionToken?: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  disableTls?: boolean;
  disableTlsVerification?: boolean;
  path?: string;
  azureTenantId?: string;
  azureClientId?: string;
  azureClientSecret?: string;
  user?: string;
  host?: string;
}

export interface S3Details {
  provider: "S3";
  bucket: string;
  prefix: string;
  endpoint: string;
  disableTLS: boolean;
  disableTLSVerification: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface FilesystemDetails {
  provider: "Filesystem";
  path: string;
}

export interface RepoDetails {
  storage: S3Details | FilesystemDetails;
  passphrase: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** repo_id from the config file ("" when absent). */
  repoId: string;
  /** corso_user / corso_host (maintenance --user/--host override them). */
  user: string;
  host: string;
}

const first = (...vs: (string | undefined)[]): string => vs.find((v) => v !== undefined && v !== "") ?? "";

function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return homedir() + p.slice(1);
  return p;
}

/** Corso's filesystem path handling: trimmed, `~` expanded, absolute, no trailing slash. */
export function normalizeFsPath(p: string): string {
  const t = p.trim();
  if (t === "") throw new UsageError("getting absolute repo path: empty path");
  const abs = resolvePath(expandHome(t));
  // resolve() already drops trailing separators except on a root ("/", "C:\\").
  return abs;
}

function pathsEquivalent(a: string, b: string): boolean {
  if (a === "" || b === "") return a === b;
  try {
    return normalizeFsPath(a) === normalizeFsPath(b);
  } catch {
    return a === b;
  }
}

function mismatch(key: string, flag: string, file: string): UsageError {
  return new UsageError(
    `retrieving storage provider details: verifying configs in corso config file: value of ${key} (${flag}) does not match corso configuration value (${file})`,
  );
}

export interface ResolveOptions {
  provider: Provider;
  /** Read the config file's storage values (false: flags and env only). */
  readFile: boolean;
  /** Refuse flag values that differ from the file (connect and post-connect commands). */
  mustMatch: boolean;
  /** A passphrase is needed (all repo commands). */
  requirePassphrase: boolean;
}

export function resolveRepoDetails(
  flags: RepoFlags,
  file: ConfigFile,
  o: ResolveOptions,
  env: NodeJS.ProcessEnv = process.env,
): RepoDetails {
  const fv: ConfigValues = o.readFile && file.exists ? file.values : {};
  const haveFile = o.readFile && file.exists;

  const accountProvider = getString(fv, "account_provider");
  if (haveFile && accountProvider !== "" && accountProvider !== "M365") {
    throw new UsageError(`retrieving account configuration details: unsupported account provider: [${accountProvider}]`);
  }
  const tenantId = first(flags.azureTenantId, env.AZURE_TENANT_ID, getString(fv, "azure_tenantid"));
  const clientId = first(flags.azureClientId, env.AZURE_CLIENT_ID, getString(fv, "azure_client_id"));
  const clientSecret = first(flags.azureClientSecret, env.AZURE_CLIENT_SECRET, getString(fv, "azure_secret"));

  let storage: S3Details | FilesystemDetails;
  if (o.provider === "S3") {
    const flagBucket = flags.bucket !== undefined && flags.bucket !== "" ? normalizeBucket(flags.bucket) : "";
    const flagPrefix = flags.prefix !== undefined && flags.prefix !== "" ? normalizePrefix(flags.prefix) : "";
    const flagEndpoint = flags.endpoint ?? "";
    if (haveFile && o.mustMatch) {
      const p = getString(fv, "provider");
      if (p !== "S3") throw new UsageError(`retrieving storage provider details: unsupported storage provider: [${p}]`);
      const checks: [string, string, string][] = [
        ["bucket", flagBucket, getString(fv, "bucket")],
        ["endpoint", flagEndpoint, getString(fv, "endpoint")],
        ["prefix", flagPrefix, getString(fv, "prefix")],
      ];
      for (const [k, flag, fileV] of checks) if (flag !== "" && flag !== fileV) throw mismatch(k, flag, fileV);
    }
    const endpointRaw = first(flagEndpoint, getString(fv, "endpoint"), DEFAULT_S3_ENDPOINT);
    const bucket = first(flagBucket, normalizeBucket(getString(fv, "bucket")));
    if (bucket === "") throw new UsageError("retrieving storage provider details: missing required storage configuration: bucket");
    storage = {
      provider: "S3",
      bucket,
      prefix: first(flagPrefix, normalizePrefix(getString(fv, "prefix"))),
      endpoint: endpointRaw,
      disableTLS: flags.disableTls ?? getBool(fv, "disable_tls"),
      disableTLSVerification: flags.disableTlsVerification ?? getBool(fv, "disable_tls_verification"),
      accessKeyId: first(flags.awsAccessKey, env.AWS_ACCESS_KEY_ID, getString(fv, "aws_access_key_id")),
      secretAccessKey: first(flags.awsSecretAccessKey, env.AWS_SECRET_ACCESS_KEY, getString(fv, "aws_secret_access_key")),
      sessionToken: first(flags.awsSessionToken, env.AWS_SESSION_TOKEN, getString(fv, "aws_session_token")),
    };
  } else {
    const flagPath = flags.path !== undefined && flags.path.trim() !== "" ? flags.path.trim() : "";
    if (haveFile && o.mustMatch) {
      const p = getString(fv, "provider");
      if (p !== "Filesystem") {
        throw new UsageError(`retrieving storage provider details: unsupported storage provider in config file: [${p}]`);
      }
      const filePath = getString(fv, "path");
      if (flagPath !== "" && !pathsEquivalent(flagPath, filePath)) throw mismatch("path", flagPath, filePath);
    }
    const raw = first(flagPath, getString(fv, "path"));
    if (raw === "") throw new UsageError("retrieving storage provider details: missing required storage configuration: path");
    storage = { provider: "Filesystem", path: normalizeFsPath(raw) };
  }

  const passphrase = first(flags.passphrase, env.CORSO_PASSPHRASE, getString(fv, "passphrase"));
  if (o.requirePassphrase && passphrase === "") {
    throw new UsageError(
      "retrieving storage provider details: validating corso credentials: missing required storage configuration: CORSO_PASSPHRASE",
    );
  }

  return {
    storage,
    passphrase,
    tenantId,
    clientId,
    clientSecret,
    repoId: haveFile ? getString(fv, "repo_id") : "",
    user: first(flags.user, haveFile ? getString(fv, "corso_user") : ""),
    host: first(flags.host, haveFile ? getString(fv, "corso_host") : ""),
  };
}

/** Validates the endpoint the way Corso does before touching storage. */
export function checkEndpoint(d: RepoDetails): void {
  if (d.storage.provider === "S3") normalizeEndpoint(d.storage.endpoint);
}

/** The engine's storage configuration for resolved details. */
export function toStorageConfig(d: RepoDetails): StorageConfig {
  const s = d.storage;
  if (s.provider === "Filesystem") return { provider: "filesystem", path: s.path };
  return {
    provider: "s3",
    bucket: s.bucket,
    prefix: s.prefix || undefined,
    endpoint: s.endpoint,
    doNotUseTLS: s.disableTLS,
    doNotVerifyTLS: s.disableTLSVerification,
    accessKeyId: s.accessKeyId || undefined,
    secretAccessKey: s.secretAccessKey || undefined,
    sessionToken: s.sessionToken || undefined,
  };
}

/** The keys Corso writes to `.corso.toml` after init/connect/maintenance (spec §7.2). */
export function configKeysToWrite(d: RepoDetails, repoId: string): ConfigValues {
  const out: ConfigValues = {};
  const s = d.storage;
  if (s.provider === "S3") {
    out.provider = "S3";
    out.bucket = s.bucket;
    out.endpoint = s.endpoint;
    out.prefix = s.prefix;
    out.disable_tls = s.disableTLS;
    out.disable_tls_verification = s.disableTLSVerification;
  } else {
    out.provider = "Filesystem";
    out.path = s.path;
  }
  out.repo_id = repoId;
  if (d.user) out.corso_user = d.user;
  if (d.host) out.corso_host = d.host;
  out.account_provider = "M365";
  out.azure_tenantid = d.tenantId;
  return out;
}

/** Human name of the location, for messages and logs. */
export function describeLocation(d: RepoDetails): string {
  const s = d.storage;
  return s.provider === "S3" ? `s3://${s.bucket}/${s.prefix}` : s.path;
}
