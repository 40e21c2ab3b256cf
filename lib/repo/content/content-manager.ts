// The content manager (repo/content/content_manager*.go): content-addressed writes into packs,
// index blobs on flush, merged committed index for reads. Lock-free across processes: every pack,
// index and session blob has a unique name, nobody rewrites anyone else's blobs, and refresh()
// merges all writers' index blobs.
import { BlobNotFoundError, CorruptDataError, CorsoError, UsageError } from "../../errors.ts";
import { randomBytes } from "../../crypto/random.ts";
import type { BlobMetadata, BlobStorage } from "../../storage/types.ts";
import { compressTransient, compressorHeaderId, compressorName, decompress, decompressAsync } from "../compression/index.ts";
import { toHex, type Crypter } from "../blobcrypto.ts";
import type { RepositoryConfig } from "../format/repository-config.ts";
import type { EpochManager } from "../epoch/epoch-manager.ts";
import type { LegacyIndexManager } from "../epoch/legacy-index-manager.ts";
import type { ContentInfo, ContentManager, WriteContentOptions } from "../types.ts";
import { contentIdPrefix, contentIdToKey, validatePrefix } from "./content-id.ts";
import { IndexBuilder } from "./index-builder.ts";
import type { IndexReader } from "./index-reader.ts";
import { compactIndexBlobs, loadIndexBlob } from "./index-blobs.ts";
import { MergedIndex, type NamedIndex } from "./merged-index.ts";
import { buildIndexV2, openIndexV2 } from "./index-v2.ts";
import { PackBuilder } from "./pack.ts";
import { BufferPool } from "./buffer-pool.ts";
import { BIG_JOB_BYTES, chunkPool, type PreparedContent } from "./chunk-pool.ts";
import { generateSessionId, writeSessionMarker } from "./session.ts";

export const PACK_PREFIX_REGULAR = "p";
export const PACK_PREFIX_SPECIAL = "q";
const FLUSH_PACK_INDEX_TIMEOUT_MS = 10 * 60 * 1000;
const AUTO_REFRESH_INTERVAL_MS = 15 * 60 * 1000;
const INDEX_LOAD_PARALLELISM = 8;
const METADATA_CACHE_BYTES = 64 << 20;
/** Index v2 stores lengths in 28 bits (packed length includes the 28-byte AEAD overhead). */
const MAX_CONTENT_LENGTH = 2 ** 28 - 64;
/** Smaller contents are prepared in-thread: a worker round trip costs more than it saves. */
const WORKER_MIN_BYTES = 16 << 10;
const ASYNC_DECOMPRESS_BYTES = 256 << 10;
/** Pack ranges at least this big are read into recycled buffers (when the storage can). */
const POOLED_READ_BYTES = 64 << 10;
const IN_THREAD_GC_BYTES = 16 << 20;

/** A content ID that no index knows about. */
export class ContentNotFoundError extends BlobNotFoundError {
  constructor(readonly contentId: string) {
    super(contentId);
    this.message = `content ${contentId} not found`;
  }
}

export interface ContentManagerOptions {
  readOnly?: boolean;
  username?: string;
  hostname?: string;
  now?: () => Date;
  /** Sealed packs being uploaded concurrently (bounds memory: ~(2 + this) packs). Default 2. */
  maxUploadsInFlight?: number;
}

export type IndexBlobSource = { kind: "epoch"; manager: EpochManager } | { kind: "legacy"; manager: LegacyIndexManager };

interface Uploading {
  pack: PackBuilder;
  sealed: Uint8Array | undefined;
  done: Promise<void>;
  /** False while waiting for an upload slot (not sealed yet). */
  started: boolean;
  error?: unknown;
}

export class ContentManagerImpl implements ContentManager {
  readonly hashSize: number;
  private committed = new MergedIndex([]);
  private readonly loaded = new Map<string, IndexReader>();
  private readonly pending = new Map<string, PackBuilder>();
  private readonly uploading = new Set<Uploading>();
  private failed: Uploading[] = [];
  private packIndexBuilder = new IndexBuilder();
  private sessionId = "";
  private sessionStart: Promise<string> | undefined;
  private sessionMarkers: string[] = [];
  private flushing: Promise<void> | undefined;
  private flushAfter: number;
  private lastRefresh = 0;
  private readonly metadataPackCache = new Map<string, Uint8Array>();
  private metadataCacheBytes = 0;
  private readonly now: () => Date;
  private readonly maxUploads: number;
  /** Key-set handle in the chunk pool; null when the pool must not be used for this manager. */
  private poolKeys: number | null | undefined;
  private poolVerified = false;
  private workersOff = false;
  /** Recycled buffers for pack ranges being decrypted (a few chunks read ahead at once). */
  private readonly readBuffers = new BufferPool(6);
  private inThreadBytes = 0;

  constructor(
    readonly st: BlobStorage,
    readonly config: RepositoryConfig,
    readonly crypter: Crypter,
    readonly indexSource: IndexBlobSource,
    private readonly opts: ContentManagerOptions = {},
  ) {
    this.hashSize = crypter.hash.size;
    this.now = opts.now ?? (() => new Date());
    this.maxUploads = Math.max(1, opts.maxUploadsInFlight ?? 2);
    this.flushAfter = this.now().getTime() + FLUSH_PACK_INDEX_TIMEOUT_MS;
  }

  get epochManager(): EpochManager | undefined {
    return this.indexSource.kind === "epoch" ? this.indexSource.manager : undefined;
  }

  get readOnly(): boolean {
    return !!this.opts.readOnly;
  }

  // ---------------------------------------------------------------- committed index

  /** Index blobs making up the committed state (with their sizes and timestamps). */
  async listIndexBlobs(): Promise<BlobMetadata[]> {
    if (this.indexSource.kind === "epoch") return this.indexSource.manager.listActiveIndexBlobs();
    return this.indexSource.manager.listActiveIndexBlobs();
  }

  private async loadReader(id: string): Promise<IndexReader> {
    let r = this.loaded.get(id);
    if (!r) {
      r = await loadIndexBlob(this.st, this.crypter, id);
      this.loaded.set(id, r);
    }
    return r;
  }

  async refresh(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.refreshOnce();
      } catch (e) {
        // An index blob listed a moment ago may have been superseded by a compaction and deleted.
        if (!(e instanceof BlobNotFoundError) || attempt >= 5) throw e;
      }
    }
  }

  private async refreshOnce(): Promise<void> {
    let blobs: BlobMetadata[];
    let watermark = 0;
    if (this.indexSource.kind === "epoch") {
      this.indexSource.manager.invalidate();
      const s = await this.indexSource.manager.getCompleteIndexSet();
      blobs = s.blobs;
      watermark = s.deletionWatermark;
    } else {
      blobs = await this.indexSource.manager.listActiveIndexBlobs();
    }
    const ids = [...new Set(blobs.map((b) => b.id))];
    const missing = ids.filter((id) => !this.loaded.has(id));
    for (let i = 0; i < missing.length; i += INDEX_LOAD_PARALLELISM) {
      await Promise.all(missing.slice(i, i + INDEX_LOAD_PARALLELISM).map((id) => this.loadReader(id)));
    }
    const keep = new Set(ids);
    for (const id of this.loaded.keys()) if (!keep.has(id)) this.loaded.delete(id);
    const named: NamedIndex[] = ids.map((id) => ({ blobId: id, reader: this.loaded.get(id)! }));
    this.committed = new MergedIndex(named, watermark);
    this.lastRefresh = this.now().getTime();
  }

  private async maybeAutoRefresh(): Promise<void> {
    if (this.now().getTime() - this.lastRefresh > AUTO_REFRESH_INTERVAL_MS) await this.refresh();
  }

  // ---------------------------------------------------------------- lookups

  private overlayInfo(id: string): { info: ContentInfo; pack?: PackBuilder; sealed?: Uint8Array } | undefined {
    for (const pp of this.pending.values()) {
      const i = pp.items.get(id);
      if (i) return { info: i, pack: pp };
    }
    for (const u of [...this.uploading, ...this.failed]) {
      const i = u.pack.items.get(id);
      if (i) return { info: i, pack: u.pack, sealed: u.sealed };
    }
    const i = this.packIndexBuilder.entries.get(id);
    return i ? { info: i } : undefined;
  }

  private lookup(id: string): { info: ContentInfo; pack?: PackBuilder; sealed?: Uint8Array } | undefined {
    const o = this.overlayInfo(id);
    if (o) return o;
    const c = this.committed.lookup(id);
    return c ? { info: c } : undefined;
  }

  async getContentInfo(contentId: string): Promise<ContentInfo | undefined> {
    await this.maybeAutoRefresh();
    return this.lookup(contentId)?.info;
  }

  async getContent(contentId: string): Promise<Uint8Array> {
    await this.maybeAutoRefresh();
    const l = this.lookup(contentId);
    if (!l) throw new ContentNotFoundError(contentId);
    return this.readContentData(l.info, l.pack, l.sealed);
  }

  private async readContentData(info: ContentInfo, pack?: PackBuilder, sealed?: Uint8Array): Promise<Uint8Array> {
    const where = `content ${info.contentId} (pack ${info.packBlobId}, offset ${info.packOffset}, length ${info.packedLength})`;
    if (info.encryptionKeyId !== 0) throw new CorruptDataError(`${where}: unsupported encryption key ID ${info.encryptionKeyId}`);
    let payload: Uint8Array;
    // large data-pack ranges are read into a recycled buffer (it is dead once decrypted), so a
    // restore does not fault in a fresh multi-MB buffer per chunk
    let recycled: ArrayBuffer | undefined;
    if (pack && pack.packBlobId === info.packBlobId) {
      payload = sealed ? sealed.subarray(info.packOffset, info.packOffset + info.packedLength) : pack.readRange(info.packOffset, info.packedLength);
    } else {
      try {
        if (this.st.getBlobInto && info.packedLength >= POOLED_READ_BYTES && !info.packBlobId.startsWith(PACK_PREFIX_SPECIAL)) {
          recycled = this.readBuffers.takeOrAllocate(info.packedLength);
          payload = new Uint8Array(recycled, 0, info.packedLength);
          await this.st.getBlobInto(info.packBlobId, info.packOffset, payload);
        } else payload = await this.readPackRange(info.packBlobId, info.packOffset, info.packedLength);
      } catch (e) {
        this.readBuffers.give(recycled);
        if (e instanceof BlobNotFoundError) throw new CorruptDataError(`${where}: pack blob ${info.packBlobId} not found`, { cause: e });
        throw e;
      }
    }
    if (payload.length !== info.packedLength) throw new CorruptDataError(`${where}: pack blob is truncated (got ${payload.length} bytes)`);
    const hash = contentIdToKey(info.contentId);
    if (!hash) throw new CorruptDataError(`invalid content ID ${info.contentId}`);
    const iv = hash.subarray(hash.length - 16);
    let plain: Uint8Array | undefined;
    try {
      plain = this.crypter.encryptor.decrypt(payload, iv);
    } catch (e) {
      throw new CorruptDataError(`${where}: decryption failed (data corrupt)`, { cause: e });
    } finally {
      // never recycle a buffer the plaintext could be a view of
      if (recycled && plain?.buffer !== recycled) this.readBuffers.give(recycled);
    }
    if (info.compressionHeaderId === 0) return plain;
    try {
      const hdr = plain.length >= 4 ? ((plain[0] << 24) | (plain[1] << 16) | (plain[2] << 8) | plain[3]) >>> 0 : -1;
      if (hdr !== info.compressionHeaderId) throw new CorruptDataError(`compression header ${hdr} does not match index (${info.compressionHeaderId})`);
      // large payloads decompress on libuv's thread pool, so a restore's prefetched chunks
      // decompress in parallel with the JS thread writing files
      return plain.length >= ASYNC_DECOMPRESS_BYTES ? await decompressAsync(plain) : decompress(plain);
    } catch (e) {
      throw new CorruptDataError(`${where}: decompression failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Ranged read of a pack. Metadata (`q`) packs are small and read piecewise while walking
   * directories and manifests, so like kopia's metadata cache we fetch them whole once and keep
   * a small LRU of them; data (`p`) packs are always read by range.
   */
  private async readPackRange(packBlobId: string, offset: number, length: number): Promise<Uint8Array> {
    if (!packBlobId.startsWith(PACK_PREFIX_SPECIAL)) return this.st.getBlob(packBlobId, offset, length);
    let whole = this.metadataPackCache.get(packBlobId);
    if (whole) {
      this.metadataPackCache.delete(packBlobId); // LRU: move to the end
      this.metadataPackCache.set(packBlobId, whole);
    } else {
      whole = await this.st.getBlob(packBlobId);
      if (whole.length <= METADATA_CACHE_BYTES / 4) {
        this.metadataPackCache.set(packBlobId, whole);
        this.metadataCacheBytes += whole.length;
        for (const [k, v] of this.metadataPackCache) {
          if (this.metadataCacheBytes <= METADATA_CACHE_BYTES) break;
          this.metadataPackCache.delete(k);
          this.metadataCacheBytes -= v.length;
        }
      }
    }
    return whole.subarray(offset, Math.min(whole.length, offset + length));
  }

  async *iterateContents(opts: { prefix?: string; includeDeleted?: boolean } = {}): AsyncIterable<ContentInfo> {
    await this.maybeAutoRefresh();
    const overlay = new IndexBuilder();
    for (const e of this.packIndexBuilder.entries.values()) overlay.add(e);
    for (const u of [...this.uploading, ...this.failed]) for (const e of u.pack.items.values()) overlay.add(e);
    for (const pp of this.pending.values()) for (const e of pp.items.values()) overlay.add(e);
    const indexes = [...this.committed.indexes];
    if (overlay.size > 0) indexes.push({ blobId: "(pending)", reader: openIndexV2(buildIndexV2(overlay.entries.values())) });
    const merged = new MergedIndex(indexes, this.committed.deletionWatermark);
    for (const i of merged.iterate(opts)) yield i;
  }

  // ---------------------------------------------------------------- writes

  private checkWritable(): void {
    if (this.opts.readOnly) throw new UsageError("repository is opened read-only");
    if (this.config.indexVersion < 2 || !this.config.epochParameters.Enabled) {
      throw new UsageError("writing to format version 1 (legacy index) repositories is not supported; this repository is read-only");
    }
  }

  private contentWriteTime(prev: number): number {
    const t = Math.floor(this.now().getTime() / 1000);
    return t > prev ? t : prev + 1;
  }

  private async ensureSession(): Promise<string> {
    if (this.sessionId) return this.sessionId;
    if (!this.sessionStart) {
      this.sessionStart = (async () => {
        const id = generateSessionId(this.now());
        const t = this.now();
        const marker = await writeSessionMarker(this.st, this.crypter, {
          id,
          startTime: t,
          checkpointTime: t,
          username: this.opts.username ?? "",
          hostname: this.opts.hostname ?? "",
        });
        this.sessionMarkers.push(marker);
        this.sessionId = id;
        return id;
      })().finally(() => {
        this.sessionStart = undefined;
      });
    }
    return this.sessionStart;
  }

  private async pendingPack(prefix: string): Promise<PackBuilder> {
    let pp = this.pending.get(prefix);
    if (pp) return pp;
    const sid = await this.ensureSession();
    pp = this.pending.get(prefix); // another writer may have created it while we waited
    if (pp) return pp;
    // data packs fill to at most maxPackSize (see appendPacked), then padding, local index
    // (~40 bytes per content) and postamble
    const max = this.config.maxPackSize;
    const hint = prefix === PACK_PREFIX_REGULAR ? max + (max >> 4) + (64 << 10) : undefined;
    pp = new PackBuilder(`${prefix}${toHex(randomBytes(16))}-${sid}`, undefined, hint);
    this.pending.set(prefix, pp);
    return pp;
  }

  private async waitForFlush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
  }

  async writeContent(data: Uint8Array, opts: WriteContentOptions): Promise<string> {
    this.checkWritable();
    validatePrefix(opts.prefix);
    if (data.length >= MAX_CONTENT_LENGTH) {
      throw new UsageError(`content too large: ${data.length} bytes (index v2 limit is ${MAX_CONTENT_LENGTH - 1 - this.crypter.encryptor.overhead})`);
    }
    await this.throwIfUploadFailed();
    const prepared = data.length >= WORKER_MIN_BYTES ? await this.prepareInWorker(data, opts) : undefined;
    const contentId = opts.prefix + toHex(prepared ? prepared.hash : this.crypter.hash(data));
    const existing = this.lookup(contentId);
    if (existing && !existing.info.deleted) {
      prepared?.release(); // a duplicate's packed bytes are simply dropped
      return contentId;
    }
    let prev: ReturnType<ContentManagerImpl["lookup"]>;
    try {
      await this.maybeAutoRefresh();
      if (this.now().getTime() > this.flushAfter) await this.flush();
      prev = this.lookup(contentId);
    } catch (e) {
      prepared?.release();
      throw e;
    }
    if (prev && !prev.info.deleted) {
      prepared?.release();
      return contentId;
    }
    const prevTime = prev ? prev.info.timestampSeconds : -1;
    if (!prepared) {
      await this.addToPack(contentId, data, false, opts.compression, prevTime);
      return contentId;
    }
    try {
      await this.appendPacked(contentId, prepared.packed, prepared.compressionHeaderId, data.length, false, prevTime);
    } finally {
      prepared.release(); // appendPacked copied the bytes into the pack
    }
    return contentId;
  }

  /**
   * Hash + compress + encrypt in the chunk worker pool (the second core). Undefined when the
   * pool is unavailable or the job failed: the caller then does the work in-thread, which also
   * raises the same typed errors as before (e.g. an unknown compressor).
   */
  setUseWorkers(on: boolean): void {
    this.workersOff = !on;
  }

  private async prepareInWorker(data: Uint8Array, opts: WriteContentOptions): Promise<PreparedContent | undefined> {
    if (this.poolKeys === null || this.workersOff) return undefined;
    const pool = chunkPool();
    if (!pool.available || !pool.warm(data.length)) return undefined;
    // every slot taken: rather than wait for one, the JS thread does a small content itself (it
    // is otherwise idle while the worker catches up). Chunk-sized ones wait: doing them here
    // would add ~16 MB of buffers on this thread (measured: no faster, higher peak RSS).
    if (data.length < BIG_JOB_BYTES && pool.saturatedFor(data.length)) return undefined;
    if (this.poolKeys === undefined) {
      const c = this.config;
      // the worker rebuilds the crypter from the config: only when they are the same algorithms
      if (this.crypter.hash.name !== c.hash || this.crypter.encryptor.name !== c.encryption || !c.masterKey?.length) {
        this.poolKeys = null;
        return undefined;
      }
      this.poolKeys = pool.register({ hashName: c.hash, secret: c.secret ?? new Uint8Array(0), encName: c.encryption, masterKey: c.masterKey });
    }
    let r: PreparedContent;
    try {
      r = await pool.prepare(this.poolKeys, data, this.effectiveCompression(opts.prefix, opts.compression));
    } catch {
      return undefined;
    }
    if (!this.poolVerified) {
      // once per manager: the worker's keyed hash must be ours (same key material)
      if (toHex(r.hash) !== toHex(this.crypter.hash(data))) {
        r.release();
        this.poolKeys = null;
        return undefined;
      }
      this.poolVerified = true;
    }
    return r;
  }

  private effectiveCompression(prefix: string, compression: string | undefined): string {
    let comp = compression ?? "";
    if (!comp && prefix && this.config.indexVersion >= 2) comp = "zstd-fastest";
    return comp;
  }

  private async addToPack(contentId: string, data: Uint8Array, deleted: boolean, compression: string | undefined, previousWriteTime: number): Promise<void> {
    await this.waitForFlush();
    const comp = this.effectiveCompression(contentIdPrefix(contentId), compression);
    let headerId = 0;
    let payload = data;
    if (comp && comp !== "none") {
      const c = compressTransient(comp, data); // encrypted below, before any await
      if (c.length < data.length) {
        payload = c;
        headerId = compressorHeaderId(comp);
      }
    }
    const hash = contentIdToKey(contentId)!;
    const encrypted = this.crypter.encryptor.encrypt(payload, hash.subarray(hash.length - 16));
    this.inThreadBytes += data.length;
    await this.appendPacked(contentId, encrypted, headerId, data.length, deleted, previousWriteTime);
  }

  /** Appends already compressed + encrypted bytes to the pending pack of the content's prefix. */
  private async appendPacked(
    contentId: string,
    encrypted: Uint8Array,
    headerId: number,
    originalLength: number,
    deleted: boolean,
    previousWriteTime: number,
  ): Promise<void> {
    await this.waitForFlush();
    const prefix = contentIdPrefix(contentId) ? PACK_PREFIX_SPECIAL : PACK_PREFIX_REGULAR;
    let pp: PackBuilder;
    for (;;) {
      pp = await this.pendingPack(prefix);
      // A flush may have taken this pack between the await and now: never append to a sealed pack.
      if (this.flushing || this.pending.get(prefix) !== pp) {
        await this.waitForFlush();
        continue;
      }
      // A data pack is sealed before a content would take it past maxPackSize (kopia seals just
      // after), so pack buffers need maxPackSize plus index room, not plus a whole 8 MiB chunk:
      // ~7 MB less per buffer, of which up to three are alive during ingest.
      if (prefix === PACK_PREFIX_REGULAR && pp.ownContents > 0 && pp.length + encrypted.length > this.config.maxPackSize) {
        this.pending.delete(prefix);
        await this.startUpload(pp);
        continue;
      }
      break;
    }
    if (previousWriteTime < 0) {
      const again = this.lookup(contentId);
      if (again && !again.info.deleted) return; // a concurrent call stored it meanwhile
    }
    const offset = pp.appendContent(encrypted);
    pp.items.set(contentId, {
      contentId,
      packBlobId: pp.packBlobId,
      packOffset: offset,
      packedLength: encrypted.length,
      originalLength,
      timestampSeconds: this.contentWriteTime(previousWriteTime),
      deleted,
      compressionHeaderId: headerId,
      formatVersion: this.config.version,
      encryptionKeyId: 0,
    });
    if (pp.length >= this.config.maxPackSize && this.pending.get(prefix) === pp) {
      this.pending.delete(prefix);
      await this.startUpload(pp);
    }
  }

  /** Seals and uploads a pack, keeping at most maxUploads in flight (back-pressure). */
  private async startUpload(pp: PackBuilder): Promise<void> {
    // Registered synchronously so lookups and flush see the pack while it waits for a slot.
    const u: Uploading = { pack: pp, sealed: undefined, done: Promise.resolve(), started: false };
    this.uploading.add(u);
    let slot: Uploading[];
    while ((slot = [...this.uploading].filter((x) => x.started)).length >= this.maxUploads) await Promise.race(slot.map((x) => x.done));
    u.sealed = pp.seal(this.crypter, this.config.indexVersion);
    u.started = true;
    u.done = this.upload(u);
  }

  private async drainUploads(): Promise<void> {
    while (this.uploading.size > 0) {
      const started = [...this.uploading].filter((x) => x.started);
      if (started.length) await Promise.race(started.map((x) => x.done));
      else await new Promise((r) => setTimeout(r, 0));
    }
  }

  private async upload(u: Uploading): Promise<void> {
    try {
      if (u.sealed) await this.st.putBlob(u.pack.packBlobId, u.sealed);
      for (const i of u.pack.items.values()) this.packIndexBuilder.add(i);
      u.sealed = undefined;
      // lookups now go to storage (the entries are in packIndexBuilder): recycle the buffer
      u.pack.release();
      // The in-thread path (no workers) leaves compressor/cipher outputs as off-heap garbage that
      // Bun's collector is slow to notice; collect once per pack's worth of it to keep RSS flat.
      if (this.inThreadBytes >= IN_THREAD_GC_BYTES) {
        this.inThreadBytes = 0;
        (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc(true);
      }
      this.failed = this.failed.filter((f) => f !== u);
      u.error = undefined;
    } catch (e) {
      u.error = e;
      if (!this.failed.includes(u)) this.failed.push(u);
    } finally {
      this.uploading.delete(u);
    }
  }

  private async throwIfUploadFailed(): Promise<void> {
    if (this.failed.length === 0) return;
    for (const u of [...this.failed]) {
      this.failed = this.failed.filter((f) => f !== u);
      this.uploading.add(u);
      u.started = true;
      u.done = this.upload(u);
      await u.done;
      if (u.error) throw u.error instanceof CorsoError ? u.error : new CorsoError("storage", `error writing pack ${u.pack.packBlobId}: ${(u.error as Error).message}`, { cause: u.error });
    }
  }

  async deleteContent(contentId: string): Promise<void> {
    this.checkWritable();
    await this.waitForFlush();
    for (const pp of this.pending.values()) {
      const i = pp.items.get(contentId);
      if (i && !i.deleted && i.packBlobId === pp.packBlobId) {
        pp.items.delete(contentId);
        return;
      }
    }
    const l = this.lookup(contentId);
    if (!l) throw new ContentNotFoundError(contentId);
    await this.deletePreexisting(l.info);
  }

  private async deletePreexisting(ci: ContentInfo): Promise<void> {
    if (ci.deleted) return;
    const prefix = contentIdPrefix(ci.contentId) ? PACK_PREFIX_SPECIAL : PACK_PREFIX_REGULAR;
    let pp: PackBuilder;
    for (;;) {
      pp = await this.pendingPack(prefix);
      if (!this.flushing && this.pending.get(prefix) === pp) break;
      await this.waitForFlush();
    }
    pp.items.set(ci.contentId, { ...ci, deleted: true, timestampSeconds: this.contentWriteTime(ci.timestampSeconds) });
  }

  async undeleteContent(contentId: string): Promise<void> {
    await this.rewrite(contentId, true);
  }

  /** Copies a content into a new pack under the same ID (maintenance rewrite); keeps its deleted flag. */
  async rewriteContent(contentId: string): Promise<void> {
    await this.rewrite(contentId, false);
  }

  private async rewrite(contentId: string, onlyDeleted: boolean): Promise<void> {
    this.checkWritable();
    const l = this.lookup(contentId);
    if (!l) throw new ContentNotFoundError(contentId);
    if (onlyDeleted && !l.info.deleted) return;
    const data = await this.readContentData(l.info, l.pack, l.sealed);
    const comp = l.info.compressionHeaderId ? compressorName(l.info.compressionHeaderId) : "none";
    await this.addToPack(contentId, data, onlyDeleted ? false : l.info.deleted, comp, l.info.timestampSeconds);
  }

  /** Writes every pending pack, then the index blob(s), then removes the session markers. */
  async flush(): Promise<void> {
    if (this.opts.readOnly) return;
    while (this.flushing) await this.flushing.catch(() => {});
    const p = this.doFlush(); // check-and-set in one synchronous step
    this.flushing = p;
    try {
      await p;
    } finally {
      this.flushing = undefined;
    }
  }

  private async doFlush(): Promise<void> {
    await this.drainUploads();
    await this.throwIfUploadFailed();
    for (const [prefix, pp] of [...this.pending]) {
      this.pending.delete(prefix);
      await this.startUpload(pp);
    }
    await this.drainUploads();
    await this.throwIfUploadFailed();
    if (this.packIndexBuilder.size > 0) {
      const sid = this.sessionId || generateSessionId(this.now());
      const shards = this.packIndexBuilder.buildShards(this.config.indexVersion, true);
      const written = await this.writeIndexShards(shards, sid);
      // Index blobs are durable: the session is committed.
      for (const m of this.sessionMarkers) await this.st.deleteBlob(m);
      this.sessionMarkers = [];
      this.sessionId = "";
      for (let i = 0; i < written.length; i++) {
        this.loaded.set(written[i], openIndexV2(shards[i], `index blob ${written[i]}`));
      }
      this.committed = new MergedIndex(
        [...this.committed.indexes, ...written.map((id) => ({ blobId: id, reader: this.loaded.get(id)! }))],
        this.committed.deletionWatermark,
      );
      this.packIndexBuilder = new IndexBuilder();
      await this.maybeCompactEpochs();
    }
    this.flushAfter = this.now().getTime() + FLUSH_PACK_INDEX_TIMEOUT_MS;
  }

  private async writeIndexShards(shards: Uint8Array[], sessionId: string): Promise<string[]> {
    if (this.indexSource.kind === "legacy") {
      return (await this.indexSource.manager.writeIndexBlobs(shards.map((s) => s), sessionId)).map((m) => m.id);
    }
    const suffix = `${sessionId}-c${shards.length}`;
    const byId = new Map<string, Uint8Array>();
    const plainById = new Map<string, Uint8Array>();
    for (const s of shards) {
      const hash = toHex(this.crypter.hash(s));
      const unprefixed = `${hash}-${suffix}`;
      const iv = new Uint8Array(Buffer.from(hash.slice(hash.length - 32), "hex"));
      byId.set(unprefixed, this.crypter.encryptor.encrypt(s, iv));
      plainById.set(unprefixed, s);
    }
    const metas = await this.indexSource.manager.writeIndex(byId);
    // keep shard order aligned with `shards`
    return shards.map((s) => {
      const hash = toHex(this.crypter.hash(s));
      return metas.find((m) => m.id.endsWith(`_${hash}-${suffix}`))!.id;
    });
  }

  /** Background-style compaction of settled epochs (kopia's fork does this on index load). */
  private async maybeCompactEpochs(): Promise<void> {
    const em = this.epochManager;
    if (!em) return;
    try {
      const cs = await em.current();
      let start = 0;
      for (const c of cs.longestRangeCheckpointSets) if (c.max > start) start = c.max + 1;
      let needed = false;
      for (let e = start; e <= cs.writeEpoch - 2; e++) if (!cs.singleEpochCompactionSets.has(e)) needed = true;
      if (needed || cs.writeEpoch - 2 - start >= this.config.epochParameters.FullCheckpointFrequency) await em.compactSettledEpochs();
    } catch {
      // Compaction is an optimisation; the committed data is already durable.
    }
  }

  /** The compaction function handed to the epoch manager. */
  compactionFunc = async (blobIds: string[], outputPrefix: string): Promise<void> => {
    await compactIndexBlobs(this.st, this.crypter, blobIds, outputPrefix, this.config.indexVersion, (id) => this.loadReader(id));
  };

  /** Writes a deletion watermark (epoch repositories only). */
  async writeDeletionWatermark(time: Date): Promise<boolean> {
    const em = this.epochManager;
    if (!em) throw new UsageError("deletion watermarks need an epoch-enabled repository");
    return em.writeDeletionWatermark(time);
  }

  /** Number of packs/entries buffered (for tests and diagnostics). */
  stats(): { pendingPacks: number; uploading: number; pendingIndexEntries: number; loadedIndexBlobs: number } {
    return { pendingPacks: this.pending.size, uploading: this.uploading.size, pendingIndexEntries: this.packIndexBuilder.size, loadedIndexBlobs: this.loaded.size };
  }

  /** Flushes and drops state; the manager must not be used afterwards. */
  async close(): Promise<void> {
    await this.flush();
  }
}

