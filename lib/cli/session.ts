// Opening storage and the repository for CLI commands, with Corso's error wording:
//   init     → "initializing repository: …"
//   connect  → "connecting repository: connecting kopia client: …"
//   others   → "connecting to the <S3|Filesystem> repository: …"
// Engine modules are imported lazily so help/version stay light.
import { UsageError } from "../errors.ts";
import type { BlobStorage } from "../storage/types.ts";
import { readConfigFile, resolveConfigPath, type ConfigFile } from "./config-file.ts";
import type { CommandContext } from "./context.ts";
import { wrapError } from "./errors.ts";
import { pii } from "./log.ts";
import {
  checkEndpoint,
  describeLocation,
  resolveRepoDetails,
  toStorageConfig,
  type Provider,
  type RepoDetails,
  type RepoFlags,
} from "./repo-config.ts";

export async function loadConfigFile(ctx: CommandContext): Promise<ConfigFile> {
  const path = resolveConfigPath(ctx.globals.configFile, ctx.env);
  const file = await readConfigFile(path);
  ctx.log.debug("config file", { path: pii(path), exists: file.exists });
  return file;
}

export async function openStorageFor(d: RepoDetails, create: boolean): Promise<BlobStorage> {
  if (!create && d.storage.provider === "Filesystem") {
    // kopia (and our filesystem backend) write `.shards` on open; a directory without the format
    // blob is not a repository, so refuse before touching it.
    const { existsSync } = await import("node:fs");
    const { join } = await import("node:path");
    if (!existsSync(join(d.storage.path, "kopia.repository.f"))) {
      const { RepositoryNotFoundError } = await import("../errors.ts");
      throw new RepositoryNotFoundError(d.storage.path);
    }
  }
  const { openStorage } = await import("../storage/open.ts");
  return openStorage(toStorageConfig(d), { create });
}

export interface Client {
  username: string;
  hostname: string;
}

export async function clientIdentity(d: RepoDetails): Promise<Client> {
  const { defaultHostName, defaultUserName } = await import("../corso/user-host.ts");
  return { username: d.user || defaultUserName(), hostname: d.host || defaultHostName() };
}

export interface Connected {
  file: ConfigFile;
  details: RepoDetails;
  storage: BlobStorage;
  // The engine's Repository (typed loosely here to keep engine types out of startup paths).
  repo: any;
  repoId: string;
  client: Client;
}

/**
 * For commands that work on the configured repository (maintenance, update-passphrase, verify):
 * the provider comes from the config file; flags must match it.
 */
export async function connectConfigured(
  ctx: CommandContext,
  flags: RepoFlags,
  opts: { readOnly?: boolean } = {},
  /** The config file, when the caller has already loaded it (loadConfigFile). */
  loaded?: ConfigFile,
): Promise<Connected> {
  const file = loaded ?? (await loadConfigFile(ctx));
  if (!file.exists) {
    throw new UsageError(
      `reading config file: ${file.path} not found: run 'corso repo init' or 'corso repo connect' first (or pass --config-file)`,
    );
  }
  const p = String(file.values.provider ?? "");
  if (p !== "S3" && p !== "Filesystem") throw new UsageError(`unknown storage provider: ${p}`);
  const details = resolveRepoDetails(flags, file, { provider: p as Provider, readFile: true, mustMatch: true, requirePassphrase: true }, ctx.env);
  checkEndpoint(details);
  const where = describeLocation(details);
  const prefix = `connecting to the ${p} repository`;
  ctx.log.info("connecting", { provider: p, location: pii(where) });
  return ctx.progress.step("Connecting to repository", async () => {
    let storage: BlobStorage;
    try {
      storage = await openStorageFor(details, false);
    } catch (e) {
      throw wrapError(prefix, e, where);
    }
    const client = await clientIdentity(details);
    try {
      const { connectCorsoRepository } = await import("../corso/repo-init.ts");
      const { repo, repoId } = await connectCorsoRepository(storage, details.passphrase, { ...client, readOnly: opts.readOnly });
      return { file, details, storage, repo, repoId: details.repoId || repoId, client };
    } catch (e) {
      await storage.close().catch(() => {});
      throw wrapError(prefix, e, where);
    }
  });
}

export interface Sibling {
  repo: any;
  storage: BlobStorage;
}

/**
 * One more connection to the repository `c` is connected to, for work running at the same time
 * in this process (one per concurrently backed-up mailbox): its own storage handle, index view
 * and write session, opened with the format key `c` already derived, so the passphrase KDF
 * (scrypt, ~0.2–0.4 s of CPU) does not run again. Errors read as before:
 * "connecting to the <provider> repository: …".
 */
export async function openSibling(c: Connected): Promise<Sibling> {
  const prefix = `connecting to the ${c.details.storage.provider} repository`;
  let storage: BlobStorage;
  try {
    storage = await openStorageFor(c.details, false);
  } catch (e) {
    throw wrapError(prefix, e);
  }
  try {
    const { connectCorsoRepository } = await import("../corso/repo-init.ts");
    const { repo } = await connectCorsoRepository(storage, c.details.passphrase, { ...c.client, formatKey: c.repo?.content?.formatKey });
    return { repo, storage };
  } catch (e) {
    await storage.close().catch(() => {});
    throw wrapError(prefix, e);
  }
}

export async function closeConnected(ctx: CommandContext, c: { repo?: any; storage?: BlobStorage }): Promise<void> {
  try {
    await c.repo?.close();
  } catch (e) {
    // Corso prints this on stdout.
    process.stdout.write(`Error closing repository:${(e as Error).message}\n`);
    ctx.log.warn("closing repository", { error: e as Error });
  }
  await c.storage?.close().catch(() => {});
}
