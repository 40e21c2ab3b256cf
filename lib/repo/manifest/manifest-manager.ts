// Manifest manager (spec §10.1, kopia repo/manifest/manifest_manager.go and
// committed_manifest_manager.go): labelled JSON documents stored as gzip'd m-prefixed
// contents. put/delete are pending until flush(); reads merge pending over committed state.
import { randomBytes } from "node:crypto";
import { CorsoError, UsageError } from "../../errors.ts";
import type { ContentManager, ManifestEntryMetadata } from "../types.ts";
import { nowNs, nsToDate } from "./go-json.ts";
import { decodeManifestContent, encodeManifestContent, type ManifestEntry } from "./serialized.ts";

export const MANIFEST_CONTENT_PREFIX = "m";
export const TYPE_LABEL = "type";
const DEFAULT_AUTOCOMPACT = 16;

/** A manifest ID that does not exist (or was deleted). */
export class ManifestNotFoundError extends CorsoError {
  constructor(readonly manifestId: string) {
    super("manifest-not-found", `manifest ${manifestId} not found`);
  }
}

/** Payload given as JSON text, stored verbatim (must already be Go-compatible and compact). */
export class RawJson {
  constructor(readonly json: string) {}
}

export interface ManifestMetadata extends ManifestEntryMetadata {
  /** modTime with nanosecond precision. */
  modTimeNs: bigint;
}

export interface ManifestManagerOptions {
  /** Compact when at least this many manifest contents exist (default: env
   * KOPIA_MANIFEST_AUTOCOMPACT_COUNT, else 16). 0 or negative disables auto-compaction. */
  autoCompactionThreshold?: number;
  /** Time source in ns (tests). */
  now?: () => bigint;
  /** Never write (auto-compaction skipped). */
  readOnly?: boolean;
}

/** Go json.Marshal-compatible encoding of plain JSON values (HTML-safe escaping). */
export function goMarshal(v: unknown): string {
  if (v instanceof RawJson) return v.json;
  const s = JSON.stringify(v);
  if (s === undefined) throw new UsageError("manifest payload is not JSON-serialisable");
  return s.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function matches(labels: Record<string, string>, filter: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(filter)) if (labels[k] !== v) return false;
  return true;
}

function meta(e: ManifestEntry): ManifestMetadata {
  return {
    id: e.id,
    labels: { ...e.labels },
    modTime: nsToDate(e.modifiedNs),
    modTimeNs: e.modifiedNs,
    length: Buffer.byteLength(e.data),
  };
}

/** Later modified wins; on a tie a deletion wins, so a same-instant delete is never undone. */
function isNewer(a: ManifestEntry, b: ManifestEntry | undefined): boolean {
  if (!b) return true;
  if (a.modifiedNs !== b.modifiedNs) return a.modifiedNs > b.modifiedNs;
  return a.deleted && !b.deleted;
}

export class ManifestManager {
  private pending = new Map<string, ManifestEntry>();
  private committed = new Map<string, ManifestEntry>();
  private committedContents = new Set<string>();
  private loaded: Promise<void> | undefined;
  private readonly threshold: number;
  private readonly now: () => bigint;

  constructor(
    private readonly contents: ContentManager,
    private readonly opts: ManifestManagerOptions = {},
  ) {
    const env = Number.parseInt(process.env.KOPIA_MANIFEST_AUTOCOMPACT_COUNT ?? "", 10);
    this.threshold = opts.autoCompactionThreshold ?? (Number.isFinite(env) && env > 0 ? env : DEFAULT_AUTOCOMPACT);
    this.now = opts.now ?? nowNs;
  }

  /** Stores a manifest (pending until flush) and returns its new random ID. */
  async put(labels: Record<string, string>, payload: unknown): Promise<string> {
    if (!labels[TYPE_LABEL]) throw new UsageError("manifest 'type' label is required");
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== "string") throw new UsageError(`manifest label ${k} must be a string`);
    }
    const id = randomBytes(16).toString("hex");
    const data = goMarshal(payload);
    this.pending.set(id, { id, labels: { ...labels }, modifiedNs: this.now(), deleted: false, data });
    return id;
  }

  private async entry(id: string): Promise<ManifestEntry> {
    await this.ensureLoaded();
    const e = this.pending.get(id) ?? this.committed.get(id);
    if (!e || e.deleted) throw new ManifestNotFoundError(id);
    return e;
  }

  async getMetadata(id: string): Promise<ManifestMetadata> {
    return meta(await this.entry(id));
  }

  /** Returns metadata and the parsed payload. */
  async get(id: string): Promise<{ metadata: ManifestMetadata; payload: any }> {
    const e = await this.entry(id);
    return { metadata: meta(e), payload: JSON.parse(e.data) };
  }

  /** Returns metadata and the payload's raw JSON text. */
  async getRaw(id: string): Promise<{ metadata: ManifestMetadata; json: string }> {
    const e = await this.entry(id);
    return { metadata: meta(e), json: e.data };
  }

  /** All live manifests whose labels include every filter label, oldest first. */
  async find(labelFilter: Record<string, string> = {}): Promise<ManifestMetadata[]> {
    await this.ensureLoaded();
    const out: ManifestMetadata[] = [];
    for (const e of this.pending.values()) {
      if (!e.deleted && matches(e.labels, labelFilter)) out.push(meta(e));
    }
    for (const e of this.committed.values()) {
      if (this.pending.has(e.id) || e.deleted) continue;
      if (matches(e.labels, labelFilter)) out.push(meta(e));
    }
    out.sort((a, b) => (a.modTimeNs < b.modTimeNs ? -1 : a.modTimeNs > b.modTimeNs ? 1 : 0));
    return out;
  }

  /** Marks a manifest deleted (pending until flush). Deleting an unknown ID is a no-op. */
  async delete(id: string): Promise<void> {
    await this.ensureLoaded();
    if (!this.pending.has(id) && !this.committed.has(id)) return;
    this.pending.set(id, { id, labels: {}, modifiedNs: this.now(), deleted: true, data: "null" });
  }

  /** Writes pending puts/deletes as one manifest content. Call contents.flush() to make it durable. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    await this.ensureLoaded();
    const entries = [...this.pending.values()];
    const cid = await this.contents.writeContent(encodeManifestContent(entries), {
      prefix: MANIFEST_CONTENT_PREFIX,
    });
    for (const e of entries) {
      if (e.deleted) this.committed.delete(e.id);
      else this.committed.set(e.id, e);
      this.pending.delete(e.id);
    }
    this.committedContents.add(cid);
  }

  /** Forgets the committed state; the next read reloads all manifest contents. */
  invalidate(): void {
    this.loaded = undefined;
  }

  /** Number of manifest contents backing the committed state (after the last load/flush). */
  get contentCount(): number {
    return this.committedContents.size;
  }

  private ensureLoaded(): Promise<void> {
    this.loaded ??= this.load().catch((e) => {
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private async load(): Promise<void> {
    const byContent = new Map<string, ManifestEntry[]>();
    const ids: string[] = [];
    for await (const ci of this.contents.iterateContents({ prefix: MANIFEST_CONTENT_PREFIX })) {
      if (!ci.deleted && ci.contentId.startsWith(MANIFEST_CONTENT_PREFIX)) ids.push(ci.contentId);
    }
    // bounded parallel loading (kopia uses 8)
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const cid = ids[next++];
        byContent.set(cid, decodeManifestContent(await this.contents.getContent(cid), cid));
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));

    const merged = new Map<string, ManifestEntry>();
    for (const entries of byContent.values()) {
      for (const e of entries) if (isNewer(e, merged.get(e.id))) merged.set(e.id, e);
    }
    for (const [k, e] of merged) if (e.deleted) merged.delete(k);
    this.committed = merged;
    this.committedContents = new Set(byContent.keys());
    if (!this.opts.readOnly && this.threshold > 0 && this.committedContents.size >= this.threshold) {
      await this.compactLoaded();
      await this.contents.flush();
    }
  }

  /** Rewrites all live manifests into one content, then deletes the old contents. */
  async compact(): Promise<void> {
    await this.ensureLoaded();
    await this.compactLoaded();
  }

  private async compactLoaded(): Promise<void> {
    if (this.committedContents.size <= 1) return;
    const live = [...this.committed.values()].filter((e) => !e.deleted);
    // new content first, deletions second: a crash in between leaves duplicates, never a loss
    const written = await this.contents.writeContent(encodeManifestContent(live), {
      prefix: MANIFEST_CONTENT_PREFIX,
    });
    for (const cid of [...this.committedContents]) {
      if (cid === written) continue;
      await this.contents.deleteContent(cid);
      this.committedContents.delete(cid);
    }
    this.committedContents.add(written);
  }
}

