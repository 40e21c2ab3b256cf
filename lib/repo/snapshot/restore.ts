// Restores a snapshot tree to the local filesystem: file bodies streamed chunk by chunk,
// symlinks, permissions, mtimes (ns where the platform allows) and, when running as root,
// owners. Directory metadata is applied after its children so their creation does not disturb
// the directory mtime.
import { closeSync, fchmodSync, fchownSync, futimesSync, openSync, rmSync, writeSync } from "node:fs";
import { chmod, lchown, lutimes, mkdir, open, symlink, utimes, rm } from "node:fs/promises";
import { join } from "node:path";
import { CorruptDataError, CorsoError, UsageError, errorMessage } from "../../errors.ts";
import type { ObjectManager } from "../object/object-manager.ts";
import { unixModeFromPermissions, type DirEntry } from "./dir-entry.ts";
import { readDirectory } from "./directory.ts";
import type { SnapshotManifest } from "./manifest.ts";
import { collectGarbageEvery } from "./upload-fs.ts";

export interface RestoreOptions {
  /** Skip chown even when running as root. */
  skipOwners?: boolean;
  /** Replace existing files (default true). */
  overwrite?: boolean;
  /** Files restored concurrently within a directory (default 4). */
  parallelFiles?: number;
  onFile?: (relPath: string, size: number) => void;
}

export interface RestoreStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

const SMALL_FILE = 1 << 20;
/** Decrypted chunks are off-heap garbage: a full collection every 48 MB restored kept peak RSS
 * at ~170 MB on the 1 GB bench set (every 128 MB: ~200–240 MB) for a few more page faults. */
const RESTORE_GC_BYTES = 48 << 20;

function nsToSeconds(ns: bigint): number {
  // seconds as a double: ~240 ns resolution today, the best utimes() offers
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

function validName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\0");
}

class Restorer {
  readonly stats: RestoreStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  private readonly chownOk: boolean;
  private readonly myUid = typeof process.getuid === "function" ? process.getuid() : -1;
  private readonly myGid = typeof process.getgid === "function" ? process.getgid() : -1;

  constructor(
    private readonly objects: ObjectManager,
    private readonly opts: RestoreOptions,
  ) {
    this.chownOk = !opts.skipOwners && typeof process.getuid === "function" && process.getuid() === 0;
    this.smallSlots = new Slots(opts.parallelFiles ?? 4);
  }

  /** Creates the file exclusively (never writes through an existing symlink); an existing entry
   * is removed first when overwriting. */
  private async create(path: string) {
    try {
      return await open(path, "wx", 0o600);
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST" || this.opts.overwrite === false) throw e;
      await rm(path, { force: true, recursive: true });
      return await open(path, "wx", 0o600);
    }
  }

  private async owner(path: string, e: DirEntry): Promise<void> {
    if (!this.chownOk) return;
    if (e.uid === this.myUid && e.gid === this.myGid) return; // already ours: skip the syscall
    try {
      await lchown(path, e.uid, e.gid);
    } catch {
      // like kopia, owner errors are not fatal
    }
  }

  /** Small single-chunk files: synchronous syscalls (page-cache fast) avoid ~6 thread-pool
   * round trips per file, which dominated restores of many small items. */
  private smallFile(path: string, e: DirEntry, data: Uint8Array): void {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || this.opts.overwrite === false) throw err;
      rmSync(path, { force: true, recursive: true });
      fd = openSync(path, "wx", 0o600);
    }
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      if (this.chownOk && !(e.uid === this.myUid && e.gid === this.myGid)) {
        try {
          fchownSync(fd, e.uid, e.gid);
        } catch {
          // owner errors are not fatal
        }
      }
      if (e.mode) fchmodSync(fd, unixModeFromPermissions(e.mode));
      const t = nsToSeconds(e.mtimeNs);
      futimesSync(fd, t, t);
    } finally {
      closeSync(fd);
    }
  }

  async file(path: string, rel: string, e: DirEntry): Promise<void> {
    const reader = await this.objects.open(e.obj);
    if (reader.chunkCount === 1 && reader.length <= SMALL_FILE) {
      const data = await reader.readAll();
      this.smallFile(path, e, data);
      // small files' decrypted/decompressed buffers are garbage too (they restore beside large ones)
      collectGarbageEvery(data.length, RESTORE_GC_BYTES);
      this.stats.files++;
      this.stats.bytes += data.length;
      this.opts.onFile?.(rel, data.length);
      return;
    }
    const fh = await this.create(path);
    let written = 0;
    try {
      for await (const chunk of reader.stream({ prefetch: 2 })) {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        written += chunk.length;
        collectGarbageEvery(chunk.length, RESTORE_GC_BYTES);
      }
    } finally {
      await fh.close();
    }
    if (written !== reader.length) throw new CorruptDataError(`restored ${written} bytes of ${rel}, expected ${reader.length}`);
    await this.owner(path, e);
    if (e.mode) await chmod(path, unixModeFromPermissions(e.mode));
    const t = nsToSeconds(e.mtimeNs);
    await utimes(path, t, t);
    this.stats.files++;
    this.stats.bytes += written;
    this.opts.onFile?.(rel, written);
  }

  async symlink(path: string, e: DirEntry): Promise<void> {
    const target = Buffer.from(await this.objects.readObject(e.obj));
    if (this.opts.overwrite !== false) await rm(path, { force: true });
    await symlink(target, path);
    await this.owner(path, e);
    const t = nsToSeconds(e.mtimeNs);
    try {
      await lutimes(path, t, t);
    } catch {
      // some platforms cannot set symlink times
    }
    this.stats.symlinks++;
  }

  /**
   * The tree is walked once, depth first, while its files are restored on shared slots: small
   * files (all in-thread work: read, decrypt, decompress, synchronous syscalls) a few at a time,
   * large ones (streamed, decompressed and written on the thread pool) two at a time from a queue
   * the walk does not wait on. So the large files of one directory overlap the small files of the
   * next ones (both cores busy) and no directory boundary drains the pipeline. A directory's
   * owner, mode and mtime are applied once everything below it is done.
   */
  async tree(path: string, e: DirEntry): Promise<void> {
    const root = new Pending();
    try {
      await this.walk(path, ".", e, root);
    } catch (err) {
      this.fail(err);
    }
    root.release();
    // whatever was started finishes (or fails) before we return or throw
    await root.done;
    await this.idle();
    if (this.failure !== undefined) throw this.failure.error;
  }

  private failure: { error: unknown } | undefined;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly smallSlots: Slots;
  private readonly largeSlots = new Slots(2);

  private fail(err: unknown): void {
    this.failure ??= { error: err };
  }

  private idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Runs `fn` in the background as one tracked task; `parent` hears when it is done. */
  private spawn(fn: () => Promise<void>, parent: Pending): void {
    this.running++;
    parent.hold();
    fn()
      .catch((err) => this.fail(err))
      .finally(() => {
        parent.release();
        if (--this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private async walk(path: string, rel: string, e: DirEntry, parent: Pending): Promise<void> {
    if (this.failure) return;
    await mkdir(path, { recursive: true });
    const entries = await readDirectory(this.objects, e.obj);
    for (const c of entries) {
      if (!validName(c.name)) throw new CorruptDataError(`unsafe entry name "${c.name}" in ${rel}`);
      if (c.type !== "d" && c.type !== "s" && c.type !== "f") throw new CorruptDataError(`unknown entry type "${c.type}" of ${rel === "." ? c.name : `${rel}/${c.name}`}`);
    }
    const mine = new Pending();
    try {
      for (const c of entries) {
        if (this.failure) break;
        const cp = join(path, c.name);
        const crel = rel === "." ? c.name : `${rel}/${c.name}`;
        if (c.type === "d") await this.walk(cp, crel, c, mine);
        else if (c.type === "s") await this.symlink(cp, c);
        else {
          // restores the file on a slot already taken, then gives the slot back
          const onSlot = (slots: Slots) => async () => {
            try {
              if (!this.failure) await this.file(cp, crel, c);
            } finally {
              slots.release();
            }
          };
          if (c.size >= LARGE_FILE) {
            // queued, not awaited: the walk goes on to the small files behind it (bounded queue)
            while (this.largeSlots.waiting >= MAX_QUEUED_LARGE) await this.largeSlots.nextRelease();
            const run = onSlot(this.largeSlots);
            this.spawn(async () => {
              await this.largeSlots.acquire();
              await run();
            }, mine);
          } else {
            await this.smallSlots.acquire();
            this.spawn(onSlot(this.smallSlots), mine);
          }
        }
      }
    } finally {
      mine.release();
      // the directory's own metadata, after everything below it
      this.spawn(async () => {
        await mine.done;
        if (!this.failure) await this.dirMeta(path, e);
      }, parent);
    }
  }

  private async dirMeta(path: string, e: DirEntry): Promise<void> {
    await this.owner(path, e);
    if (e.mode) await chmod(path, unixModeFromPermissions(e.mode));
    if (e.mtimeNs !== 0n) {
      const t = nsToSeconds(e.mtimeNs);
      try {
        await utimes(path, t, t);
      } catch (err) {
        // Go's zero time (virtual directories) may be out of range for some filesystems
        if (e.mtimeNs > 0n) throw err;
      }
    }
    this.stats.dirs++;
  }
}

/** Files at least this large are streamed on the large-file slots. */
const LARGE_FILE = 8 << 20;
/** Large files queued ahead of the walk at most (their entries wait in memory). */
const MAX_QUEUED_LARGE = 64;

/** Outstanding work under one directory: held once by its walk, once per started task. */
class Pending {
  private count = 1;
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));
  hold(): void {
    this.count++;
  }
  release(): void {
    if (--this.count === 0) this.resolve();
  }
}

/** FIFO counting slots. */
class Slots {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private releaseWaiters: (() => void)[] = [];
  constructor(private readonly n: number) {}
  get waiting(): number {
    return this.waiters.length;
  }
  acquire(): Promise<void> {
    if (this.active < Math.max(1, this.n)) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiters.push(r));
  }
  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.active--;
    for (const r of this.releaseWaiters.splice(0)) r();
  }
  nextRelease(): Promise<void> {
    return new Promise((r) => this.releaseWaiters.push(r));
  }
}

/** Restores a snapshot (or any directory/file entry) to `dest`. */
export async function restoreSnapshot(
  repo: { objects: ObjectManager },
  target: SnapshotManifest | DirEntry,
  dest: string,
  opts: RestoreOptions = {},
): Promise<RestoreStats> {
  const root = "rootEntry" in target ? target.rootEntry : target;
  if (!root) throw new UsageError("snapshot has no root entry");
  const r = new Restorer(repo.objects, opts);
  try {
    if (root.type === "d") await r.tree(dest, root);
    else if (root.type === "f") await r.file(dest, root.name, root);
    else if (root.type === "s") await r.symlink(dest, root);
    else throw new CorruptDataError(`unknown root entry type "${root.type}"`);
  } catch (e) {
    if (e instanceof CorsoError) throw e;
    throw new UsageError(`restore to ${dest} failed: ${errorMessage(e)}`, { cause: e });
  }
  return r.stats;
}
