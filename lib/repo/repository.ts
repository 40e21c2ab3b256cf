// The repository facade used by the CLI and the Corso layer: the content repository plus the
// object, manifest and (through lib/repo/snapshot) snapshot layers on top of it.
import { hostname as osHostname, userInfo } from "node:os";
import type { BlobStorage } from "../storage/types.ts";
import type { HashFunc } from "../crypto/types.ts";
import { decompress } from "./compression/index.ts";
import {
  createContentRepository,
  openContentRepository,
  type ContentRepository,
  type CreateOptions,
  type OpenOptions,
  type SetParametersOptions,
} from "./content-repository.ts";
import type { RepositoryConfig } from "./format/repository-config.ts";
import { ManifestManager, type ManifestManagerOptions } from "./manifest/manifest-manager.ts";
import { ObjectManager } from "./object/object-manager.ts";
import type { ContentManager } from "./types.ts";

export type { CreateOptions, OpenOptions, SetParametersOptions };

export interface RepositoryOpenOptions extends OpenOptions {
  manifests?: ManifestManagerOptions;
}

export interface Repository {
  readonly storage: BlobStorage;
  readonly config: RepositoryConfig;
  readonly contents: ContentManager;
  readonly objects: ObjectManager;
  readonly manifests: ManifestManager;
  readonly hash: HashFunc;
  readonly hostname: string;
  readonly username: string;
  readonly readOnly: boolean;
  /** The underlying content-level repository (format, crypto, maintenance hooks). */
  readonly content: ContentRepository;
  changePassword(newPassword: string): Promise<void>;
  setParameters(p: SetParametersOptions): Promise<void>;
  deriveKey(purpose: string, length: number): Uint8Array;
  /** Writes pending manifests, then makes all contents durable (packs, then index). */
  flush(): Promise<void>;
  /** Picks up other writers' index and manifest changes. */
  refresh(): Promise<void>;
  /** Flushes (unless read-only) and releases resources. */
  close(): Promise<void>;
}

/** Creates a new repository with kopia defaults (or the given options). Fails if one exists. */
export async function initializeRepository(storage: BlobStorage, password: string, opts: CreateOptions = {}): Promise<void> {
  await createContentRepository(storage, password, opts);
}

export async function openRepository(
  storage: BlobStorage,
  password: string,
  opts: RepositoryOpenOptions = {},
): Promise<Repository> {
  const cr = await openContentRepository(storage, password, opts);
  // The scrypt key derivation leaves ~64 MB of garbage; collect it now rather than let it
  // stack up under the first snapshot's peak (none when an earlier open's key was reused).
  if (typeof Bun !== "undefined" && !opts.formatKey) Bun.gc(true);
  const objects = new ObjectManager(cr.contents, cr.config.splitter || "FIXED", {
    decompress: (payload) => decompress(payload),
  });
  const manifests = new ManifestManager(cr.contents, { readOnly: cr.readOnly, ...opts.manifests });
  const hostname = opts.hostname ?? osHostname();
  const username = opts.username ?? userInfo().username;
  let closed = false;
  const repo: Repository = {
    get storage() {
      return cr.storage;
    },
    get config() {
      return cr.config;
    },
    contents: cr.contents,
    objects,
    manifests,
    hash: cr.hash,
    hostname,
    username,
    readOnly: cr.readOnly,
    content: cr,
    changePassword: (p) => cr.changePassword(p),
    setParameters: (p) => cr.setParameters(p),
    deriveKey: (purpose, length) => cr.deriveKey(purpose, length),
    async flush() {
      await manifests.flush();
      await cr.contents.flush();
    },
    async refresh() {
      await cr.contents.refresh();
      manifests.invalidate();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!cr.readOnly) await manifests.flush();
      await cr.close();
    },
  };
  return repo;
}
