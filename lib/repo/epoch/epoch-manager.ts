// The epoch manager (internal/epoch/epoch_manager.go, spec §8): which index blobs make up the
// committed state, where new index blobs go, when epochs advance, compaction and cleanup.
import { CorsoError } from "../../errors.ts";
import type { BlobMetadata, BlobStorage } from "../../storage/types.ts";
import type { EpochParameters } from "../format/epoch-parameters.ts";
import { NS_PER_MS } from "../format/go-json.ts";
import {
  DELETION_WATERMARK_PREFIX, EPOCH_MARKER_PREFIX, RANGE_CHECKPOINT_PREFIX, SINGLE_EPOCH_COMPACTION_PREFIX, UNCOMPACTED_PREFIX,
  type RangeMetadata, compactedEpochPrefix, deletionWatermarkFromBlobId, epochNumberFromBlobId, epochRangeFromBlobId,
  findFirstCompleteSet, findLongestRangeCheckpoint, groupByEpochNumber, rangeCheckpointPrefix, shouldAdvance, uncompactedEpochPrefix,
} from "./epoch-utils.ts";

const NUM_UNSETTLED_EPOCHS = 2;

/** Compacts the given index blobs into new blobs named `outputPrefix + …`. */
export type CompactionFunc = (blobIds: string[], outputPrefix: string) => Promise<void>;

export class VerySlowIndexWriteError extends CorsoError {
  constructor() {
    super("slow-index-write", "extremely slow index write - index write took more than two epochs");
  }
}

export interface EpochSnapshot {
  writeEpoch: number;
  /** Uncompacted blobs for epochs W-1..W+1 (as listed). */
  uncompactedEpochSets: Map<number, BlobMetadata[]>;
  longestRangeCheckpointSets: RangeMetadata[];
  singleEpochCompactionSets: Map<number, BlobMetadata[]>;
  epochStartTime: Map<number, Date>;
  /** Unix seconds, 0 when none. */
  deletionWatermark: number;
  /** ms since epoch. */
  validUntil: number;
  epochMarkerBlobs: BlobMetadata[];
  deletionWatermarkBlobs: BlobMetadata[];
}

export interface EpochManagerOptions {
  readOnly?: boolean;
  now?: () => Date;
  /** Write xe<W+1> after an index write when shouldAdvance says so (kopia does; default true). */
  autoAdvance?: boolean;
}

async function listAll(st: BlobStorage, prefix: string): Promise<BlobMetadata[]> {
  const out: BlobMetadata[] = [];
  for await (const m of st.listBlobs(prefix)) out.push(m);
  return out;
}

const maxTimestamp = (bms: BlobMetadata[]) => bms.reduce((m, b) => Math.max(m, b.timestamp.getTime()), 0);

export class EpochManager {
  private state: EpochSnapshot | undefined;
  private readonly now: () => Date;

  constructor(
    readonly st: BlobStorage,
    private readonly params: () => EpochParameters,
    private readonly compact: CompactionFunc,
    private readonly opts: EpochManagerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  invalidate(): void {
    this.state = undefined;
  }

  /** Committed state, refreshed when it is (or within ensureMinMs will be) stale. */
  async current(ensureMinMs = 0): Promise<EpochSnapshot> {
    if (!this.state || this.now().getTime() + ensureMinMs > this.state.validUntil) await this.refresh();
    return this.state!;
  }

  /** Re-reads the committed state from storage (refreshAttemptLocked). */
  async refresh(): Promise<EpochSnapshot> {
    const p = this.params();
    if (!p.Enabled) throw new CorsoError("epochs-disabled", "epoch manager not enabled for this repository");
    const cs: EpochSnapshot = {
      writeEpoch: 0,
      uncompactedEpochSets: new Map(),
      longestRangeCheckpointSets: [],
      singleEpochCompactionSets: new Map(),
      epochStartTime: new Map(),
      deletionWatermark: 0,
      validUntil: this.now().getTime() + p.EpochRefreshFrequency / NS_PER_MS,
      epochMarkerBlobs: [],
      deletionWatermarkBlobs: [],
    };
    const [markers, watermarks, singles, ranges] = await Promise.all([
      listAll(this.st, EPOCH_MARKER_PREFIX),
      listAll(this.st, DELETION_WATERMARK_PREFIX),
      listAll(this.st, SINGLE_EPOCH_COMPACTION_PREFIX),
      listAll(this.st, RANGE_CHECKPOINT_PREFIX),
    ]);
    for (const [e, bms] of groupByEpochNumber(markers)) {
      cs.epochStartTime.set(e, bms[0].timestamp);
      if (e > cs.writeEpoch) cs.writeEpoch = e;
    }
    cs.epochMarkerBlobs = markers;
    for (const b of watermarks) {
      const t = deletionWatermarkFromBlobId(b.id);
      if (t !== undefined && t > cs.deletionWatermark) cs.deletionWatermark = t;
    }
    cs.deletionWatermarkBlobs = watermarks;
    for (const [e, bms] of groupByEpochNumber(singles)) {
      const set = findFirstCompleteSet(bms);
      if (set) cs.singleEpochCompactionSets.set(e, set);
    }
    const byRange = new Map<string, { min: number; max: number; bms: BlobMetadata[] }>();
    for (const b of ranges) {
      const r = epochRangeFromBlobId(b.id);
      if (!r) continue;
      const k = `${r[0]}_${r[1]}`;
      let g = byRange.get(k);
      if (!g) byRange.set(k, (g = { min: r[0], max: r[1], bms: [] }));
      g.bms.push(b);
    }
    const rangeSets: RangeMetadata[] = [];
    for (const g of byRange.values()) {
      const set = findFirstCompleteSet(g.bms);
      if (set) rangeSets.push({ min: g.min, max: g.max, blobs: set });
    }
    cs.longestRangeCheckpointSets = findLongestRangeCheckpoint(rangeSets);
    const W = cs.writeEpoch;
    const lists = await Promise.all([W - 1, W, W + 1].map((e) => (e < 0 ? Promise.resolve(undefined) : listAll(this.st, uncompactedEpochPrefix(e)))));
    [W - 1, W, W + 1].forEach((e, i) => {
      if (lists[i]) cs.uncompactedEpochSets.set(e, lists[i]!);
    });
    this.state = cs;
    return cs;
  }

  private shouldAdvanceState(cs: EpochSnapshot): boolean {
    const p = this.params();
    return shouldAdvance(cs.uncompactedEpochSets.get(cs.writeEpoch) ?? [], p.MinEpochDuration / NS_PER_MS, p.EpochAdvanceOnCountThreshold, p.EpochAdvanceOnTotalSizeBytesThreshold);
  }

  private async writeEpochMarker(epoch: number): Promise<void> {
    await this.st.putBlob(`${EPOCH_MARKER_PREFIX}${epoch}`, new TextEncoder().encode("epoch-marker"));
  }

  /** Writes xe<W+1> when the current epoch is old and big enough; returns whether it did. */
  async advanceIfNeeded(): Promise<boolean> {
    const cs = await this.refreshNoAdvance();
    if (!this.shouldAdvanceState(cs)) return false;
    await this.writeEpochMarker(cs.writeEpoch + 1);
    this.invalidate();
    return true;
  }

  async forceAdvance(): Promise<void> {
    const cs = await this.current();
    await this.writeEpochMarker(cs.writeEpoch + 1);
    this.invalidate();
  }

  private async refreshNoAdvance(): Promise<EpochSnapshot> {
    const saved = this.opts.autoAdvance;
    this.opts.autoAdvance = false;
    try {
      return await this.refresh();
    } finally {
      this.opts.autoAdvance = saved;
    }
  }

  isSettled(cs: EpochSnapshot, epoch: number): boolean {
    return epoch <= cs.writeEpoch - NUM_UNSETTLED_EPOCHS;
  }

  private async indexesForEpoch(cs: EpochSnapshot, epoch: number): Promise<BlobMetadata[]> {
    const single = cs.singleEpochCompactionSets.get(epoch);
    if (this.isSettled(cs, epoch) && single) return single;
    return cs.uncompactedEpochSets.get(epoch) ?? (await listAll(this.st, uncompactedEpochPrefix(epoch)));
  }

  /** getCompleteIndexSetForCommittedState for [minEpoch..maxEpoch]. */
  async completeIndexSetFor(cs: EpochSnapshot, minEpoch: number, maxEpoch: number): Promise<BlobMetadata[]> {
    const result: BlobMetadata[] = [];
    let start = minEpoch;
    for (const c of cs.longestRangeCheckpointSets) {
      if (c.max > start) {
        result.push(...c.blobs);
        start = c.max + 1;
      }
    }
    const parts = await Promise.all(Array.from({ length: Math.max(0, maxEpoch - start + 1) }, (_, i) => this.indexesForEpoch(cs, start + i)));
    for (const p of parts) result.push(...p);
    return result;
  }

  /** Active index blobs of the committed state plus the deletion watermark (unix seconds). */
  async getCompleteIndexSet(): Promise<{ blobs: BlobMetadata[]; deletionWatermark: number }> {
    for (;;) {
      const cs = await this.current();
      const blobs = await this.completeIndexSetFor(cs, 0, cs.writeEpoch + 1);
      if (this.now().getTime() < cs.validUntil) return { blobs, deletionWatermark: cs.deletionWatermark };
      this.invalidate();
    }
  }

  async listActiveIndexBlobs(): Promise<BlobMetadata[]> {
    return (await this.getCompleteIndexSet()).blobs;
  }

  /** Writes index shards (keyed by unprefixed blob ID) to xn<W>_…; kopia's WriteIndex loop. */
  async writeIndex(shards: Map<string, Uint8Array>): Promise<BlobMetadata[]> {
    let written = new Map<string, BlobMetadata>();
    let writtenForEpoch = -1;
    for (;;) {
      const p = this.params();
      const cs = await this.current((3 * p.EpochRefreshFrequency) / 4 / NS_PER_MS);
      if (cs.writeEpoch !== writtenForEpoch) {
        await this.deleteAll([...written.keys()]);
        writtenForEpoch = cs.writeEpoch;
        written = new Map();
      }
      let tooSlow = false;
      for (const [unprefixed, data] of shards) {
        const id = uncompactedEpochPrefix(cs.writeEpoch) + unprefixed;
        if (written.has(id)) continue;
        if (this.now().getTime() >= cs.validUntil) {
          tooSlow = true;
          break;
        }
        await this.st.putBlob(id, data);
        written.set(id, { id, length: data.length, timestamp: this.now() });
      }
      if (tooSlow) {
        this.invalidate();
        continue;
      }
      this.invalidate();
      break;
    }
    const cs = await this.current();
    if (cs.writeEpoch >= writtenForEpoch + 2) {
      await this.deleteAll([...written.keys()]).catch(() => {});
      throw new VerySlowIndexWriteError();
    }
    // kopia advances the epoch during the refresh that follows an index write (never on a
    // plain read/open here, so a failed or read-only open writes nothing).
    if (!this.opts.readOnly && this.opts.autoAdvance !== false && this.shouldAdvanceState(cs)) {
      await this.writeEpochMarker(cs.writeEpoch + 1);
      this.invalidate();
    }
    return [...written.values()];
  }

  private async deleteAll(ids: string[]): Promise<void> {
    const par = Math.max(1, this.params().DeleteParallelism || 4);
    for (let i = 0; i < ids.length; i += par) await Promise.all(ids.slice(i, i + par).map((id) => this.st.deleteBlob(id)));
  }

  /** Writes xw<unix> unless it would move the watermark backwards. */
  async writeDeletionWatermark(time: Date): Promise<boolean> {
    const cs = await this.current();
    const secs = Math.floor(time.getTime() / 1000);
    if (secs < cs.deletionWatermark) return false;
    await this.st.putBlob(`${DELETION_WATERMARK_PREFIX}${secs}`, new TextEncoder().encode("deletion-watermark"));
    this.invalidate();
    return true;
  }

  /**
   * Single-epoch compaction of every settled epoch (not covered by range checkpoints) that has
   * no complete xs set yet; then a range checkpoint when enough settled epochs accumulated.
   * Returns the epochs compacted.
   */
  async compactSettledEpochs(): Promise<number[]> {
    if (this.opts.readOnly) return [];
    const cs = await this.refreshNoAdvance();
    let start = 0;
    for (const c of cs.longestRangeCheckpointSets) if (c.max > start) start = c.max + 1;
    const done: number[] = [];
    for (let e = start; this.isSettled(cs, e); e++) {
      if (cs.singleEpochCompactionSets.has(e)) continue;
      const blobs = await listAll(this.st, uncompactedEpochPrefix(e));
      if (blobs.length === 0) continue;
      await this.compact(blobs.map((b) => b.id), compactedEpochPrefix(e));
      done.push(e);
    }
    if (done.length) this.invalidate();
    await this.generateRangeCheckpointIfNeeded();
    return done;
  }

  /** maybeGenerateNextRangeCheckpoint: compacts [first..latestSettled] into xr<first>_<latest>_…. */
  async generateRangeCheckpointIfNeeded(): Promise<boolean> {
    if (this.opts.readOnly) return false;
    const cs = await this.current();
    const latestSettled = cs.writeEpoch - NUM_UNSETTLED_EPOCHS;
    if (latestSettled < 0) return false;
    const l = cs.longestRangeCheckpointSets;
    const first = l.length ? l[l.length - 1].max + 1 : 0;
    if (latestSettled - first < this.params().FullCheckpointFrequency) return false;
    const set = await this.completeIndexSetFor(cs, first, latestSettled);
    await this.compact(set.map((b) => b.id), rangeCheckpointPrefix(first, latestSettled));
    this.invalidate();
    return true;
  }

  /**
   * Deletes xn blobs of epochs whose xs set was written before maxTimestamp − safetyMargin.
   * Defaults: the newest uncompacted blob of the committed state, CleanupSafetyMargin.
   */
  async cleanupSupersededIndexes(maxTimestamp?: Date, safetyMarginMs?: number): Promise<string[]> {
    const cs = await this.current();
    let maxTime = maxTimestamp?.getTime() ?? 0;
    if (maxTimestamp === undefined) for (const v of cs.uncompactedEpochSets.values()) maxTime = Math.max(maxTime, maxTimestamp_(v));
    if (!maxTime) return [];
    const limit = maxTime - (safetyMarginMs ?? this.params().CleanupSafetyMargin / NS_PER_MS);
    const toDelete: string[] = [];
    for (const bm of await listAll(this.st, UNCOMPACTED_PREFIX)) {
      const e = epochNumberFromBlobId(bm.id);
      if (e === undefined) continue;
      const set = cs.singleEpochCompactionSets.get(e);
      const m = set ? maxTimestamp_(set) : 0;
      if (m && m < limit) toDelete.push(bm.id);
    }
    await this.deleteAll(toDelete);
    if (toDelete.length) this.invalidate();
    return toDelete;
  }

  /** Deletes epoch markers older than W−1 and superseded watermarks older than the margin. */
  async cleanupEpochMarkers(): Promise<string[]> {
    const cs = await this.current();
    const toDelete: string[] = [];
    for (const bm of cs.epochMarkerBlobs) {
      const n = epochNumberFromBlobId(bm.id);
      if (n !== undefined && n < cs.writeEpoch - 1) toDelete.push(bm.id);
    }
    let maxTime = 0;
    for (const v of cs.uncompactedEpochSets.values()) maxTime = Math.max(maxTime, maxTimestamp_(v));
    if (maxTime) {
      const limit = maxTime - this.params().CleanupSafetyMargin / NS_PER_MS;
      for (const bm of cs.deletionWatermarkBlobs) {
        const t = deletionWatermarkFromBlobId(bm.id);
        if (t === undefined || t === cs.deletionWatermark) continue;
        if (bm.timestamp.getTime() < limit) toDelete.push(bm.id);
      }
    }
    await this.deleteAll(toDelete);
    if (toDelete.length) this.invalidate();
    return toDelete;
  }
}

const maxTimestamp_ = maxTimestamp;
