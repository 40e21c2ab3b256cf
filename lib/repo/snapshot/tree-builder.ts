// Streaming builder of virtual snapshot trees (what Corso's backup produces, spec §12.3): items
// arrive in any order as (path elements, body stream, mtime); bodies are streamed straight into
// objects, and only per-entry metadata is kept until finish() writes the directories bottom-up.
// Entries from a previous snapshot can be carried over without reading their data.
import { UsageError } from "../../errors.ts";
import { GO_ZERO_TIME_UNIX_NANO, dateToNs } from "../manifest/go-json.ts";
import type { ObjectManager } from "../object/object-manager.ts";
import type { DirEntry } from "./dir-entry.ts";
import { DEFAULT_SPILL_AT, writeSpilledDirectory } from "./directory-builder.ts";
import { readDirectory, writeDirectory } from "./directory.ts";
import { DirSpill, SpillFile } from "./entry-spill.ts";
import { emptyStats, type SnapshotStats } from "./manifest.ts";

export interface TreeBuilderOptions {
  /** Name of the root directory entry (Corso: base64url(tenant)). */
  rootName?: string;
  /** Compressor for file bodies (Corso: "zstd-better-compression"). */
  compression?: string;
  /** Permissions of virtual directories (default 0777, like kopia's virtualfs). */
  dirMode?: number;
  /** Default permissions of files (default 0777). */
  fileMode?: number;
  /** mtime of virtual directories; default Go's zero time as kopia stores it. */
  dirModTimeNs?: bigint;
  /**
   * File entries a directory keeps in memory before they are spilled to a temp file in sorted
   * runs (default 16,384): memory stays flat however large a folder gets.
   */
  spillAt?: number;
}

export interface FileMeta {
  mtime: Date | bigint;
  mode?: number;
}

interface DirNode {
  name: string;
  dirs: Map<string, DirNode>;
  files: Map<string, DirEntry>;
  /** Unmodified directory carried over from a previous snapshot. */
  existing?: DirEntry;
  expanding?: Promise<void>;
  /** File entries moved to disk (huge directories). */
  spill?: DirSpill;
}

function newNode(name: string, existing?: DirEntry): DirNode {
  return { name, dirs: new Map(), files: new Map(), existing };
}

function checkName(n: string, path: readonly string[]): void {
  if (typeof n !== "string" || n === "" || n === "." || n === ".." || n.includes("/") || n.includes("\0")) {
    throw new UsageError(`invalid path element "${n}" in ${path.join("/")}`);
  }
}

async function* asChunks(body: AsyncIterable<Uint8Array> | Uint8Array): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

export class SnapshotTreeBuilder {
  private readonly root: DirNode;
  private readonly stats: SnapshotStats = emptyStats();
  private finished = false;
  private inFlightBodies = 0;
  private bufferedNow = 0;
  private bufferedMax = 0;
  private spillFile?: SpillFile;

  constructor(
    private readonly repo: { objects: ObjectManager },
    private readonly opts: TreeBuilderOptions = {},
  ) {
    this.root = newNode(opts.rootName ?? "");
  }

  /** Streams a file body into the repository and records its entry. Replaces an entry of the same path. */
  async addFile(
    pathElements: readonly string[],
    body: AsyncIterable<Uint8Array> | Uint8Array,
    meta: FileMeta,
  ): Promise<{ objectId: string; size: number }> {
    const { dir, name } = await this.locate(pathElements);
    const w = this.repo.objects.newWriter({
      compression: this.opts.compression,
      description: `FILE:${pathElements.join("/")}`,
    });
    this.inFlightBodies++;
    let size = 0;
    let lastBuffered = 0;
    try {
      for await (const chunk of asChunks(body)) {
        await w.write(chunk);
        size += chunk.length;
        this.bufferedNow += w.bufferedBytes - lastBuffered;
        lastBuffered = w.bufferedBytes;
        if (this.bufferedNow > this.bufferedMax) this.bufferedMax = this.bufferedNow;
      }
      const objectId = await w.result();
      this.put(dir, name, {
        name,
        type: "f",
        mode: meta.mode ?? this.opts.fileMode ?? 0o777,
        size,
        mtimeNs: typeof meta.mtime === "bigint" ? meta.mtime : dateToNs(meta.mtime),
        uid: 0,
        gid: 0,
        obj: objectId,
      }, false);
      return { objectId, size };
    } finally {
      this.bufferedNow -= lastBuffered;
      this.inFlightBodies--;
    }
  }

  /** Carries over a file (or symlink) entry of a previous snapshot without reading its data. */
  async addExistingFile(pathElements: readonly string[], entry: DirEntry): Promise<void> {
    if (entry.type === "d") throw new UsageError(`addExistingFile got a directory entry for ${pathElements.join("/")}`);
    const { dir, name } = await this.locate(pathElements);
    this.put(dir, name, { ...entry, name, summ: undefined }, true);
  }

  /** Carries over a whole directory of a previous snapshot; files added under it later are merged in. */
  async addExistingDirectory(pathElements: readonly string[], entry: DirEntry): Promise<void> {
    if (entry.type !== "d") throw new UsageError(`addExistingDirectory needs a directory entry for ${pathElements.join("/")}`);
    const { dir, name } = await this.locate(pathElements);
    if (this.hasFile(dir, name)) throw new UsageError(`${pathElements.join("/")} is already a file`);
    dir.dirs.set(name, newNode(name, { ...entry, name }));
  }

  private async locate(path: readonly string[]): Promise<{ dir: DirNode; name: string }> {
    if (this.finished) throw new UsageError("snapshot tree already finished");
    if (path.length === 0) throw new UsageError("empty item path");
    for (const p of path) checkName(p, path);
    let node = this.root;
    await this.expand(node);
    for (let i = 0; i < path.length - 1; i++) {
      const n = path[i];
      if (this.hasFile(node, n)) throw new UsageError(`${path.slice(0, i + 1).join("/")} is a file, not a directory`);
      let child = node.dirs.get(n);
      if (!child) {
        child = newNode(n);
        node.dirs.set(n, child);
      }
      node = child;
      await this.expand(node);
    }
    const name = path[path.length - 1];
    if (node.dirs.has(name)) throw new UsageError(`${path.join("/")} is a directory, not a file`);
    return { dir: node, name };
  }

  /** Turns a carried-over directory into editable nodes (children stay carried over). */
  private async expand(node: DirNode): Promise<void> {
    if (!node.existing) return;
    node.expanding ??= (async () => {
      const entries = await readDirectory(this.repo.objects, node.existing!.obj);
      for (const e of entries) {
        if (e.type === "d") {
          if (!node.dirs.has(e.name)) node.dirs.set(e.name, newNode(e.name, e));
        } else if (!node.files.has(e.name)) {
          node.files.set(e.name, e);
          this.stats.cachedFiles++;
          this.stats.fileCount++;
          this.stats.totalSize += e.size;
        }
      }
      node.existing = undefined;
      this.maybeSpill(node);
    })();
    await node.expanding;
  }

  private put(dir: DirNode, name: string, e: DirEntry, cached: boolean): void {
    const prev = dir.files.get(name);
    if (prev) {
      this.stats.fileCount--;
      this.stats.totalSize -= prev.size;
    }
    dir.files.set(name, e);
    this.stats.fileCount++;
    this.stats.totalSize += e.size;
    if (cached) this.stats.cachedFiles++;
    else this.stats.nonCachedFiles++;
    this.maybeSpill(dir);
  }

  private hasFile(node: DirNode, name: string): boolean {
    return node.files.has(name) || (node.spill?.has(name) ?? false);
  }

  private maybeSpill(node: DirNode): void {
    if (node.files.size < (this.opts.spillAt ?? DEFAULT_SPILL_AT)) return;
    this.spillFile ??= new SpillFile();
    node.spill ??= new DirSpill(this.spillFile);
    node.spill.spill([...node.files.values()]);
    node.files.clear();
  }

  /** Sizes of the builder's internal state (memory accounting for tests and progress). */
  internalStats(): { dirNodes: number; fileEntries: number; bodiesInFlight: number; maxBufferedBodyBytes: number } {
    let dirNodes = 0;
    let fileEntries = 0;
    const walk = (n: DirNode) => {
      dirNodes++;
      fileEntries += n.files.size + (n.spill?.count ?? 0);
      for (const c of n.dirs.values()) walk(c);
    };
    walk(this.root);
    return { dirNodes, fileEntries, bodiesInFlight: this.inFlightBodies, maxBufferedBodyBytes: this.bufferedMax };
  }

  /** Writes all directories and returns the root entry plus upload stats. */
  async finish(): Promise<{ root: DirEntry; stats: SnapshotStats }> {
    if (this.inFlightBodies > 0) throw new UsageError("finish() called while files are still being added");
    this.finished = true;
    let root: DirEntry;
    try {
      root = await this.writeNode(this.root, "");
    } finally {
      this.spillFile?.close();
    }
    this.stats.dirCount = root.summ?.dirs ?? 0;
    // carried-over subtrees count toward totals like kopia's cached entries
    return { root, stats: { ...this.stats } };
  }

  private async writeNode(node: DirNode, relPath: string): Promise<DirEntry> {
    if (node.existing) {
      const s = node.existing.summ;
      if (s) {
        this.stats.fileCount += s.files;
        this.stats.totalSize += s.size;
        this.stats.cachedFiles += s.files;
      }
      return { ...node.existing, name: node.name };
    }
    const entries: DirEntry[] = [];
    for (const child of node.dirs.values()) {
      entries.push(await this.writeNode(child, relPath ? `${relPath}/${child.name}` : child.name));
    }
    if (node.spill) return this.writeSpilledNode(node, relPath, entries);
    for (const f of node.files.values()) entries.push(f);
    // release the metadata of written subtrees as we go
    node.dirs.clear();
    node.files.clear();
    const mtime = this.opts.dirModTimeNs ?? GO_ZERO_TIME_UNIX_NANO;
    const { objectId, summary } = await writeDirectory(this.repo.objects, entries, mtime, { description: relPath || "." });
    return {
      name: node.name,
      type: "d",
      mode: this.opts.dirMode ?? 0o777,
      size: 0,
      mtimeNs: mtime,
      uid: 0,
      gid: 0,
      obj: objectId,
      summ: summary,
    };
  }

  /** A spilled directory's object, written as it is generated (writeDirectory's bytes). */
  private async writeSpilledNode(node: DirNode, relPath: string, dirs: DirEntry[]): Promise<DirEntry> {
    const spill = node.spill!;
    const rest = [...node.files.values()];
    node.dirs.clear();
    node.files.clear();
    node.spill = undefined;
    const mtime = this.opts.dirModTimeNs ?? GO_ZERO_TIME_UNIX_NANO;
    const { objectId, summary } = await writeSpilledDirectory(this.repo.objects, dirs, spill, rest, mtime, relPath || ".", (e) => {
      this.stats.fileCount--;
      this.stats.totalSize -= e.size;
    });
    return { name: node.name, type: "d", mode: this.opts.dirMode ?? 0o777, size: 0, mtimeNs: mtime, uid: 0, gid: 0, obj: objectId, summ: summary };
  }
}
