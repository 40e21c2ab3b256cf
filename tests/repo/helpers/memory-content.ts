// In-memory ContentManager for unit tests of the object/manifest/snapshot layers: sha256
// content IDs (truncated to 16 bytes), no packs, no encryption. Mirrors the real contract:
// deleted contents stay readable via getContentInfo (deleted=true) and are hidden from
// iteration unless asked.
import { createHash } from "node:crypto";
import { BlobNotFoundError } from "../../../lib/errors.ts";
import type { ContentInfo, ContentManager, WriteContentOptions } from "../../../lib/repo/types.ts";

export class MemoryContentManager implements ContentManager {
  readonly hashSize = 16;
  readonly data = new Map<string, Uint8Array>();
  readonly info = new Map<string, ContentInfo>();
  writes = 0;
  flushes = 0;
  private ts = 1_700_000_000;

  async writeContent(data: Uint8Array, opts: WriteContentOptions): Promise<string> {
    this.writes++;
    const id = (opts.prefix ?? "") + createHash("sha256").update(data).digest("hex").slice(0, 32);
    const prev = this.info.get(id);
    if (prev && !prev.deleted) return id;
    this.data.set(id, data.slice());
    this.info.set(id, {
      contentId: id,
      packBlobId: (opts.prefix ? "q" : "p") + "mem",
      packOffset: 0,
      packedLength: data.length,
      originalLength: data.length,
      timestampSeconds: this.ts++,
      deleted: false,
      compressionHeaderId: 0,
      formatVersion: 2,
      encryptionKeyId: 0,
    });
    return id;
  }

  async getContent(contentId: string): Promise<Uint8Array> {
    const d = this.data.get(contentId);
    if (!d) throw new BlobNotFoundError(contentId);
    return d;
  }

  async getContentInfo(contentId: string): Promise<ContentInfo | undefined> {
    return this.info.get(contentId);
  }

  async deleteContent(contentId: string): Promise<void> {
    const i = this.info.get(contentId);
    if (i) this.info.set(contentId, { ...i, deleted: true, timestampSeconds: this.ts++ });
  }

  async undeleteContent(contentId: string): Promise<void> {
    const i = this.info.get(contentId);
    if (i) this.info.set(contentId, { ...i, deleted: false, timestampSeconds: this.ts++ });
  }

  async *iterateContents(opts: { prefix?: string; includeDeleted?: boolean } = {}): AsyncIterable<ContentInfo> {
    for (const i of [...this.info.values()]) {
      if (opts.prefix && !i.contentId.startsWith(opts.prefix)) continue;
      if (i.deleted && !opts.includeDeleted) continue;
      yield i;
    }
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  async refresh(): Promise<void> {}

  /** Live contents with a given prefix. */
  count(prefix: string): number {
    let n = 0;
    for (const i of this.info.values()) if (!i.deleted && i.contentId.startsWith(prefix)) n++;
    return n;
  }
}
