// Test helpers for maintenance: a virtual clock shared by the repository writer, the storage
// timestamps and maintenance (so "25 hours later" needs no waiting), and a real kopia 0.15 CLI
// runner bound to a temp config.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlobMetadata, BlobStorage, PutOptions, RetentionMode } from "../../../lib/storage/types.ts";
import { ensureKopia } from "../../../scripts/setup-tools.ts";

export const HOUR = 3_600_000;

export class VirtualClock {
  constructor(public ms: number = Date.now()) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Real storage whose blob timestamps are the virtual time at which we wrote them (blobs
 * written by others keep their real mtime). Everything else passes straight through.
 */
export class ClockedStorage implements BlobStorage {
  readonly written = new Map<string, Date>();
  constructor(readonly inner: BlobStorage, readonly clock: VirtualClock) {}
  get displayName() {
    return this.inner.displayName;
  }
  private fix(m: BlobMetadata): BlobMetadata {
    const t = this.written.get(m.id);
    return t ? { ...m, timestamp: t } : m;
  }
  getBlob(id: string, offset?: number, length?: number) {
    return this.inner.getBlob(id, offset, length);
  }
  async getMetadata(id: string) {
    return this.fix(await this.inner.getMetadata(id));
  }
  async putBlob(id: string, data: Uint8Array, opts?: PutOptions) {
    await this.inner.putBlob(id, data, opts);
    this.written.set(id, this.clock.now());
  }
  async deleteBlob(id: string) {
    await this.inner.deleteBlob(id);
    this.written.delete(id);
  }
  async *listBlobs(prefix: string) {
    for await (const m of this.inner.listBlobs(prefix)) yield this.fix(m);
  }
  get extendRetention(): ((id: string, mode: RetentionMode, periodMs: number) => Promise<void>) | undefined {
    const e = this.inner.extendRetention;
    return e ? (id, mode, p) => e.call(this.inner, id, mode, p) : undefined;
  }
  close() {
    return this.inner.close();
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface KopiaCli {
  run(args: string[], opts?: { allowFail?: boolean }): { code: number; stdout: string; stderr: string };
  configDir: string;
}

/** kopia 0.15 CLI with its own config/log/cache dirs under `dir`. */
export function kopiaCli(dir: string, password: string): KopiaCli {
  const bin = ensureKopia();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KOPIA_PASSWORD: password,
    KOPIA_CHECK_FOR_UPDATES: "false",
    KOPIA_LOG_DIR: join(dir, "logs"),
    KOPIA_CACHE_DIRECTORY: join(dir, "cache"),
  };
  return {
    configDir: dir,
    run(args, opts = {}) {
      const r = Bun.spawnSync([bin, `--config-file=${join(dir, "repository.config")}`, ...args], { env, stdout: "pipe", stderr: "pipe" });
      const res = { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
      if (res.code !== 0 && !opts.allowFail) {
        throw new Error(`kopia ${args.join(" ")} failed (${res.code}):\n${res.stderr}\n${res.stdout}`);
      }
      return res;
    },
  };
}

/** The repository surface the snapshot fixture writes through (lib/repo/repository.ts). */
export interface FixtureRepo {
  objects: { writeObject(data: Uint8Array, opts?: { prefix?: string; compression?: string }): Promise<string> };
  manifests: { put(labels: Record<string, string>, payload: unknown): Promise<string>; flush(): Promise<void> };
  flush(): Promise<void>;
}

export type Tree = { [name: string]: Uint8Array | Tree };

/**
 * Writes a kopia snapshot of an in-memory tree the way kopia lays it out (file objects,
 * `k` directory objects, a type=snapshot manifest) and returns the manifest ID.
 */
export async function writeSnapshot(
  repo: FixtureRepo,
  tree: Tree,
  src: { host: string; user: string; path: string },
  when: Date,
  extraLabels: Record<string, string> = {},
): Promise<{ manifestId: string; rootObjectId: string }> {
  const mtime = when.toISOString();
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  const writeDir = async (t: Tree): Promise<{ obj: string; size: number; files: number; dirs: number }> => {
    const names = Object.keys(t).sort();
    const dirEntries: any[] = [];
    const fileEntries: any[] = [];
    let size = 0;
    let nFiles = 0;
    let nDirs = 0;
    for (const name of names) {
      const v = t[name];
      if (v instanceof Uint8Array) {
        const obj = await repo.objects.writeObject(v);
        fileEntries.push({ name, type: "f", mode: "0644", size: v.length, mtime, obj });
        size += v.length;
        nFiles++;
        files++;
        bytes += v.length;
      } else {
        const sub = await writeDir(v);
        dirEntries.push({
          name, type: "d", mode: "0755", mtime, obj: sub.obj,
          summ: { size: sub.size, files: sub.files, symlinks: 0, dirs: sub.dirs, maxTime: mtime, numFailed: 0 },
        });
        size += sub.size;
        nFiles += sub.files;
        nDirs += sub.dirs + 1;
        dirs++;
      }
    }
    const doc = {
      stream: "kopia:directory",
      entries: [...dirEntries, ...fileEntries],
      summary: { size, files: nFiles, symlinks: 0, dirs: nDirs, maxTime: mtime, numFailed: 0 },
    };
    const obj = await repo.objects.writeObject(new TextEncoder().encode(JSON.stringify(doc) + "\n"), { prefix: "k" });
    return { obj, size, files: nFiles, dirs: nDirs };
  };
  const root = await writeDir(tree);
  await repo.flush();
  const payload = {
    id: "",
    source: { host: src.host, userName: src.user, path: src.path },
    description: "",
    startTime: mtime,
    endTime: mtime,
    stats: { totalSize: bytes, excludedTotalSize: 0, fileCount: files, cachedFiles: 0, nonCachedFiles: files, dirCount: dirs + 1, excludedFileCount: 0, excludedDirCount: 0, ignoredErrorCount: 0, errorCount: 0 },
    rootEntry: {
      name: src.path.split("/").pop() || "root", type: "d", mode: "0755", mtime, obj: root.obj,
      summ: { size: root.size, files: root.files, symlinks: 0, dirs: root.dirs, maxTime: mtime, numFailed: 0 },
    },
  };
  const manifestId = await repo.manifests.put({ type: "snapshot", hostname: src.host, username: src.user, path: src.path, ...extraLabels }, payload);
  await repo.manifests.flush();
  await repo.flush();
  return { manifestId, rootObjectId: root.obj };
}

/** Reads a file of a snapshot tree back through the object layer (path like "a/b.txt"). */
export async function readTreeFile(
  repo: { objects: { readObject(id: string): Promise<Uint8Array> } },
  rootObjectId: string,
  path: string,
): Promise<Uint8Array> {
  let obj = rootObjectId;
  for (const part of path.split("/")) {
    const doc = JSON.parse(new TextDecoder().decode(await repo.objects.readObject(obj)));
    const e = doc.entries.find((x: any) => x.name === part);
    if (!e) throw new Error(`no ${part} in ${path}`);
    obj = e.obj;
  }
  return repo.objects.readObject(obj);
}

export function randomData(n: number, seed: number): Uint8Array {
  // xorshift32: deterministic, incompressible enough
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Repository handle for tests.
import { openContentRepository } from "../../../lib/repo/content-repository.ts";
import { ManifestManager } from "../../../lib/repo/manifest/manifest-manager.ts";
import { ObjectManager } from "../../../lib/repo/object/object-manager.ts";

/**
 * Opens the repository the way lib/repo/repository.ts does (content repository + object and
 * manifest managers), with every clock driven by `now`.
 */
export async function openTestRepository(
  st: BlobStorage,
  password: string,
  opts: { hostname: string; username: string; now?: () => Date; readOnly?: boolean },
): Promise<any> {
  let repoMod: any;
  try {
    repoMod = await import("../../../lib/repo/repository.ts");
  } catch {
    repoMod = undefined;
  }
  const now = opts.now;
  const manifestClock = now ? { now: () => BigInt(now().getTime()) * 1_000_000n } : {};
  if (repoMod?.openRepository) return repoMod.openRepository(st, password, { ...opts, manifests: manifestClock });
  const cr = await openContentRepository(st, password, opts);
  const objects = new ObjectManager(cr.contents, cr.config.splitter || "FIXED");
  const manifests = new ManifestManager(cr.contents, manifestClock);
  return {
    storage: cr.storage,
    config: cr.config,
    blobCfg: cr.blobCfg,
    uniqueId: cr.uniqueId,
    crypter: cr.crypter,
    hash: cr.hash,
    contents: cr.contents,
    objects,
    manifests,
    deriveKey: (p: string, n: number) => cr.deriveKey(p, n),
    hostname: opts.hostname,
    username: opts.username,
    async flush() {
      await manifests.flush();
      await cr.contents.flush();
    },
    async close() {
      await manifests.flush();
      await cr.close();
    },
  };
}
