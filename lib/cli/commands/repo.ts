// `corso repo init|connect s3|filesystem` and `corso repo update-passphrase` (spec §3.1–§3.4),
// with Corso's messages: progress "Initializing repository" / "Connecting to repository",
// success lines on stderr, then `.corso.toml` written (init and connect).
import { UsageError } from "../../errors.ts";
import type { BlobStorage } from "../../storage/types.ts";
import { writeConfigFile } from "../config-file.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { parseGoDuration } from "../duration.ts";
import { CommandError, wrapError } from "../errors.ts";
import { pii } from "../log.ts";
import { info } from "../print.ts";
import {
  checkEndpoint,
  configKeysToWrite,
  describeLocation,
  resolveRepoDetails,
  type Provider,
  type RepoDetails,
  type RepoFlags,
} from "../repo-config.ts";
import { clientIdentity, closeConnected, connectConfigured, loadConfigFile, openStorageFor } from "../session.ts";

function repoFlags(f: FlagValues): RepoFlags {
  const str = (k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);
  const bool = (k: string) => (typeof f[k] === "boolean" ? (f[k] as boolean) : undefined);
  return {
    passphrase: str("passphrase"),
    awsAccessKey: str("awsAccessKey"),
    awsSecretAccessKey: str("awsSecretAccessKey"),
    awsSessionToken: str("awsSessionToken"),
    bucket: str("bucket"),
    prefix: str("prefix"),
    endpoint: str("endpoint"),
    // Only flags actually given override the file (cobra's Changed()).
    disableTls: f.disableTls === true ? true : bool("disableTls") === false ? false : undefined,
    disableTlsVerification: f.disableTlsVerification === true ? true : bool("disableTlsVerification") === false ? false : undefined,
    path: str("path"),
    azureTenantId: str("azureTenantId"),
    azureClientId: str("azureClientId"),
    azureClientSecret: str("azureClientSecret"),
    user: str("user"),
    host: str("host"),
  };
}

function retentionFrom(f: FlagValues): { mode?: "none" | "governance" | "compliance"; durationMs?: number; extend?: boolean } {
  const out: { mode?: "none" | "governance" | "compliance"; durationMs?: number; extend?: boolean } = {};
  if (typeof f.retentionMode === "string") {
    const m = f.retentionMode.toLowerCase();
    if (m !== "none" && m !== "governance" && m !== "compliance") throw new UsageError(`invalid retention mode ${f.retentionMode}`);
    out.mode = m;
  }
  if (typeof f.retentionDuration === "string") {
    out.durationMs = parseGoDuration(f.retentionDuration, "retention-duration");
    if (out.durationMs < 0) throw new UsageError("negative retention duration");
  }
  if (typeof f.extendRetention === "boolean") out.extend = f.extendRetention;
  return out;
}

async function init(ctx: CommandContext, f: FlagValues, provider: Provider): Promise<void> {
  const retention = provider === "S3" ? retentionFrom(f) : {};
  const file = await loadConfigFile(ctx);
  const details = resolveRepoDetails(repoFlags(f), file, { provider, readFile: true, mustMatch: false, requirePassphrase: true }, ctx.env);
  checkEndpoint(details);
  const { validateRetention, initCorsoRepository, RepositoryAlreadyInitializedError } = await import("../../corso/repo-init.ts");
  validateRetention(retention);
  const where = describeLocation(details);
  ctx.log.info("initializing repository", { provider, location: pii(where) });
  const { repoId, repo, storage } = await ctx.progress.step("Initializing repository", async () => {
    let st: BlobStorage;
    try {
      st = await openStorageFor(details, true);
    } catch (e) {
      throw wrapError("initializing repository: initializing storage", e, where);
    }
    try {
      const client = await clientIdentity(details);
      const r = await initCorsoRepository(st, details.passphrase, retention, client);
      ctx.log.info("repository ready", { repoId: r.repoId, existed: r.existed });
      return { repoId: r.repoId, repo: r.repo, storage: st };
    } catch (e) {
      await st.close().catch(() => {});
      if (e instanceof RepositoryAlreadyInitializedError) throw new CommandError(e.code, `initializing repository: ${e.message}`, { cause: e });
      if (e instanceof UsageError) throw e;
      throw wrapError("initializing repository", e, where);
    }
  });
  await closeConnected(ctx, { repo, storage });
  if (details.storage.provider === "S3") info(`Initialized a S3 repository within bucket ${details.storage.bucket}.`);
  else info(`Initialized a repository at path ${details.storage.path}`);
  writeConfigFile(file, configKeysToWrite(details, repoId));
}

async function connect(ctx: CommandContext, f: FlagValues, provider: Provider): Promise<void> {
  const file = await loadConfigFile(ctx);
  const details = resolveRepoDetails(repoFlags(f), file, { provider, readFile: true, mustMatch: true, requirePassphrase: true }, ctx.env);
  checkEndpoint(details);
  const where = describeLocation(details);
  ctx.log.info("connecting to repository", { provider, location: pii(where) });
  const { repoId } = await ctx.progress.step("Connecting to repository", async () => {
    let storage: BlobStorage;
    try {
      storage = await openStorageFor(details, false);
    } catch (e) {
      throw wrapError("connecting repository: connecting kopia client: initializing storage", e, where);
    }
    try {
      const client = await clientIdentity(details);
      const { connectCorsoRepository } = await import("../../corso/repo-init.ts");
      const r = await connectCorsoRepository(storage, details.passphrase, { ...client, readOnly: true });
      await closeConnected(ctx, { repo: r.repo, storage });
      return { repoId: details.repoId || r.repoId };
    } catch (e) {
      await storage.close().catch(() => {});
      throw wrapError("connecting repository: connecting kopia client: connecting to kopia repo", e, where);
    }
  });
  if (details.storage.provider === "S3") info(`Connected to S3 bucket ${details.storage.bucket}.`);
  else info(`Connected to repository at path ${details.storage.path}`);
  writeConfigFile(file, configKeysToWrite(details, repoId));
}

export const initS3 = (ctx: CommandContext, f: FlagValues) => init(ctx, f, "S3");
export const initFilesystem = (ctx: CommandContext, f: FlagValues) => init(ctx, f, "Filesystem");
export const connectS3 = (ctx: CommandContext, f: FlagValues) => connect(ctx, f, "S3");
export const connectFilesystem = (ctx: CommandContext, f: FlagValues) => connect(ctx, f, "Filesystem");

export async function updatePassphrase(ctx: CommandContext, f: FlagValues): Promise<void> {
  const next = typeof f.newPassphrase === "string" ? f.newPassphrase : "";
  if (next === "") throw new UsageError("Failed to update s3: updating on kopia: empty password provided");
  const c = await connectConfigured(ctx, {});
  try {
    try {
      await c.repo.changePassword(next);
    } catch (e) {
      throw wrapError("Failed to update s3: updating on kopia: unable to update password", e);
    }
  } finally {
    await closeConnected(ctx, c);
  }
  ctx.log.info("repository password updated");
  info("Updated repo password.");
}

export type { RepoDetails };
