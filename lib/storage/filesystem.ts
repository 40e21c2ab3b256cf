// Filesystem blob storage, byte-compatible with kopia's filesystem provider: sharded
// directories (see sharding.ts), `<stem>.f` files, atomic writes through
// `<final>.tmp.<hex8>` + rename, 0600 files / 0700 directories.
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { BlobNotFoundError, StorageError, errorMessage } from "../errors.ts";
import {
  COMPLETE_BLOB_SUFFIX,
  SHARDS_FILE,
  defaultShardingParameters,
  encodeShardingParameters,
  parseShardingParameters,
  shardPath,
  type ShardingParameters,
} from "./sharding.ts";
import { OpenFileCache } from "./open-file-cache.ts";
import { dropFromPageCache } from "./page-cache.ts";
import { BlobAlreadyExistsError, StorageNotFoundError, type BlobMetadata, type BlobStorage, type PutOptions } from "./types.ts";

export interface FilesystemOptions {
  path: string;
  /** Create the directory (and write `.shards` with the [1,3] layout) if missing. */
  create?: boolean;
  /** Mode of blob files (default 0o600). */
  fileMode?: number;
  /** Mode of directories (default 0o700). */
  dirMode?: number;
}

const DEFAULT_FILE_MODE = 0o600;
const DEFAULT_DIR_MODE = 0o700;
/** How many directory entries are stat()ed concurrently while listing. */
const LIST_STAT_BATCH = 64;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function describe(e: unknown): string {
  switch (code(e)) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "ENOTDIR":
      return "a path component is not a directory";
    case "ENOENT":
      return "no such file or directory";
    default:
      return errorMessage(e);
  }
}

export async function openFilesystemStorage(opts: FilesystemOptions): Promise<BlobStorage> {
  if (!opts.path || opts.path.trim() === "") throw new StorageError("filesystem storage path is empty");
  const root = resolve(opts.path);
  const fileMode = opts.fileMode ?? DEFAULT_FILE_MODE;
  const dirMode = opts.dirMode ?? DEFAULT_DIR_MODE;
  const create = opts.create ?? false;

  if (create) {
    try {
      await mkdirsFrom(dirname(root), root, dirMode, true);
    } catch (e) {
      throw new StorageError(`cannot create repository directory ${root}: ${describe(e)}`, { cause: e });
    }
  }
  let st;
  try {
    st = await fsp.stat(root);
  } catch (e) {
    if (code(e) === "ENOENT") throw new StorageNotFoundError(root);
    throw new StorageError(`cannot access repository directory ${root}: ${describe(e)}`, { cause: e });
  }
  if (!st.isDirectory()) throw new StorageError(`repository path ${root} is not a directory`);
  if (create) {
    try {
      await fsp.access(root, fsc.W_OK | fsc.X_OK);
    } catch (e) {
      throw new StorageError(`repository directory ${root} is not writable: ${describe(e)}`, { cause: e });
    }
  }

  const params = await loadShardingParameters(root, create, fileMode);
  return new FilesystemStorage(root, params, fileMode, dirMode);
}

async function loadShardingParameters(root: string, create: boolean, fileMode: number): Promise<ShardingParameters> {
  const file = join(root, SHARDS_FILE);
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (e) {
    if (code(e) !== "ENOENT") throw new StorageError(`cannot read ${file}: ${describe(e)}`, { cause: e });
  }
  if (text !== undefined) {
    try {
      return parseShardingParameters(text);
    } catch (e) {
      throw new StorageError(`invalid sharding parameters in ${file}: ${errorMessage(e)}`, { cause: e });
    }
  }
  // Like kopia, persist the defaults so later opens agree on the layout; a failure to
  // write (read-only copy of a repository) is not fatal when only reading.
  const params = defaultShardingParameters(create);
  try {
    await writeAtomically(file, new TextEncoder().encode(encodeShardingParameters(params)), fileMode, false);
  } catch (e) {
    if (create) throw new StorageError(`cannot write ${file}: ${describe(e)}`, { cause: e });
  }
  return params;
}

/** Creates `target` and any missing parents below `base`, chmod-ing each created directory (umask-proof). */
async function mkdirsFrom(base: string, target: string, mode: number, allowOutsideBase = false): Promise<void> {
  const first = await fsp.mkdir(target, { recursive: true, mode });
  if (first === undefined) return;
  // Directories from `first` down to `target` were created by us: set their exact mode.
  let d = target;
  const created: string[] = [];
  for (;;) {
    created.push(d);
    if (d === first || d.length <= first.length) break;
    const up = dirname(d);
    if (up === d || (!allowOutsideBase && !up.startsWith(base))) break;
    d = up;
  }
  for (const c of created) await fsp.chmod(c, mode).catch(() => {});
}

function tempName(final: string): string {
  return `${final}.tmp.${randomBytes(8).toString("hex")}`;
}

/**
 * Writes `data` to `<final>.tmp.<hex8>`, fsyncs, then renames (or hard-links when
 * `exclusive`, so an existing blob is never replaced). Parent directories must exist.
 */
async function writeAtomically(
  final: string,
  data: Uint8Array,
  fileMode: number,
  exclusive: boolean,
  dropCache = false,
): Promise<void> {
  const tmp = tempName(final);
  const fh = await fsp.open(tmp, "wx", fileMode);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(fileMode);
      await fh.sync();
      if (dropCache) await dropFromPageCache(fh.fd);
    } finally {
      await fh.close();
    }
    if (exclusive) {
      await fsp.link(tmp, final);
      await fsp.unlink(tmp).catch(() => {});
    } else {
      await fsp.rename(tmp, final);
    }
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  }
}

/** Pack blobs (kopia `p`/`q`) are immutable: their descriptors may be kept open for ranged reads. */
const isPack = (id: string) => id[0] === "p" || id[0] === "q";
/** Data packs (`p`) are not read back by a backup: they leave the page cache once written
 * (page-cache.ts). Metadata packs (`q`: directories, manifests) are read by the next command. */
const isDataPack = (id: string) => id[0] === "p";

class FilesystemStorage implements BlobStorage {
  readonly displayName: string;
  private readonly openPacks = new OpenFileCache(16);

  constructor(
    readonly root: string,
    readonly params: ShardingParameters,
    private readonly fileMode: number,
    private readonly dirMode: number,
  ) {
    this.displayName = root;
  }

  /** Absolute directory and file path of a blob. */
  pathOf(id: string): { dir: string; file: string } {
    if (id === "" || /[/\\\0]/.test(id)) throw new StorageError(`invalid blob ID ${JSON.stringify(id)}`);
    const { dirs, name } = shardPath(this.params, id);
    if (dirs.some((d) => d === "." || d === "..")) throw new StorageError(`invalid blob ID ${JSON.stringify(id)}`);
    const dir = dirs.length ? join(this.root, ...dirs) : this.root;
    return { dir, file: join(dir, name + COMPLETE_BLOB_SUFFIX) };
  }

  async getBlob(id: string, offset = 0, length = -1): Promise<Uint8Array> {
    const { file } = this.pathOf(id);
    if (length >= 0 && isPack(id)) return this.getPackRange(id, file, offset, length);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, "r");
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") throw new BlobNotFoundError(id, { cause: e });
      throw new StorageError(`cannot read blob ${id} (${file}): ${describe(e)}`, { cause: e });
    }
    try {
      const size = (await fh.stat()).size;
      if (offset < 0 || offset > size || (length >= 0 && offset + length > size)) {
        throw new StorageError(
          `invalid range for blob ${id}: offset ${offset} length ${length} exceeds blob size ${size}`,
        );
      }
      const n = length < 0 ? size - offset : length;
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
        if (bytesRead === 0) throw new StorageError(`blob ${id} was truncated while reading (${file})`);
        done += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  async getBlobInto(id: string, offset: number, out: Uint8Array): Promise<void> {
    const { file } = this.pathOf(id);
    if (isPack(id)) return this.readPackInto(id, file, offset, out);
    out.set(await this.getBlob(id, offset, out.length));
  }

  private async getPackRange(id: string, file: string, offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readPackInto(id, file, offset, out);
    return out;
  }

  private async readPackInto(id: string, file: string, offset: number, out: Uint8Array): Promise<void> {
    let r: { n: number; size: number };
    try {
      r = await this.openPacks.readInto(id, file, offset, out);
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") throw new BlobNotFoundError(id, { cause: e });
      throw new StorageError(`cannot read blob ${id} (${file}): ${describe(e)}`, { cause: e });
    }
    if (offset < 0 || offset > r.size || offset + out.length > r.size) {
      throw new StorageError(`invalid range for blob ${id}: offset ${offset} length ${out.length} exceeds blob size ${r.size}`);
    }
    if (r.n !== out.length) throw new StorageError(`blob ${id} was truncated while reading (${file})`);
  }

  async getMetadata(id: string): Promise<BlobMetadata> {
    const { file } = this.pathOf(id);
    try {
      const st = await fsp.stat(file);
      return { id, length: st.size, timestamp: st.mtime };
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") throw new BlobNotFoundError(id, { cause: e });
      throw new StorageError(`cannot stat blob ${id} (${file}): ${describe(e)}`, { cause: e });
    }
  }

  async putBlob(id: string, data: Uint8Array, opts?: PutOptions): Promise<void> {
    if (opts?.retentionMode || opts?.retentionPeriodMs) {
      throw new StorageError(
        `cannot write blob ${id}: blob retention (object lock) is not supported by filesystem storage`,
      );
    }
    const { dir, file } = this.pathOf(id);
    this.openPacks.drop(id); // a rewritten blob must not be read through an old descriptor
    const exclusive = opts?.doNotRecreate ?? false;
    try {
      try {
        await writeAtomically(file, data, this.fileMode, exclusive, isDataPack(id));
      } catch (e) {
        if (code(e) !== "ENOENT") throw e;
        await mkdirsFrom(this.root, dir, this.dirMode);
        await writeAtomically(file, data, this.fileMode, exclusive, isDataPack(id));
      }
    } catch (e) {
      if (exclusive && code(e) === "EEXIST") throw new BlobAlreadyExistsError(id);
      throw new StorageError(`cannot write blob ${id} to ${file}: ${describe(e)}`, { cause: e });
    }
  }

  async deleteBlob(id: string): Promise<void> {
    const { file } = this.pathOf(id);
    this.openPacks.drop(id);
    try {
      await fsp.unlink(file);
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return;
      throw new StorageError(`cannot delete blob ${id} (${file}): ${describe(e)}`, { cause: e });
    }
  }

  listBlobs(prefix: string): AsyncIterable<BlobMetadata> {
    return this.walk(this.root, "", prefix);
  }

  /** Depth-first walk of the shard tree, descending only into directories that can hold `prefix`. */
  private async *walk(dir: string, dirPrefix: string, prefix: string): AsyncGenerator<BlobMetadata> {
    let handle;
    try {
      handle = await fsp.opendir(dir, { bufferSize: LIST_STAT_BATCH });
    } catch (e) {
      // A shard directory removed concurrently simply holds nothing.
      if (dir !== this.root && code(e) === "ENOENT") return;
      throw new StorageError(`cannot list ${dir}: ${describe(e)}`, { cause: e });
    }
    const subdirs: string[] = [];
    let batch: { name: string; id: string }[] = [];
    const flush = async function* (this: FilesystemStorage): AsyncGenerator<BlobMetadata> {
      const stats = await Promise.all(
        batch.map((b) =>
          fsp.stat(join(dir, b.name)).catch((e) => {
            if (code(e) === "ENOENT") return undefined; // deleted since listed
            throw new StorageError(`cannot stat ${join(dir, b.name)}: ${describe(e)}`, { cause: e });
          }),
        ),
      );
      const items = batch;
      batch = [];
      for (let i = 0; i < items.length; i++) {
        const st = stats[i];
        if (st && st.isFile()) yield { id: items[i].id, length: st.size, timestamp: st.mtime };
      }
    };
    try {
      for await (const ent of handle) {
        const full = dirPrefix + ent.name;
        if (ent.isDirectory()) {
          const match = prefix.length > full.length ? prefix.startsWith(full) : full.startsWith(prefix);
          if (match) subdirs.push(ent.name);
          continue;
        }
        if (!ent.name.endsWith(COMPLETE_BLOB_SUFFIX)) continue;
        const id = full.slice(0, -COMPLETE_BLOB_SUFFIX.length);
        if (!id.startsWith(prefix)) continue;
        batch.push({ name: ent.name, id });
        if (batch.length >= LIST_STAT_BATCH) yield* flush.call(this);
      }
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw new StorageError(`cannot list ${dir}: ${describe(e)}`, { cause: e });
    }
    if (batch.length) yield* flush.call(this);
    for (const s of subdirs) yield* this.walk(join(dir, s), dirPrefix + s, prefix);
  }

  async close(): Promise<void> {
    this.openPacks.closeAll();
  }
}
