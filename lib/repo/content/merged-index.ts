// The committed index: many immutable index readers merged on read (repo/content/index/merged.go,
// committed_content_index.go). For one content ID the greatest entry wins; deleted entries at or
// below the deletion watermark are treated as nonexistent.
import type { ContentInfo } from "../types.ts";
import { compareKeys, contentIdToKey } from "./content-id.ts";
import { findExact, infoGreaterThan, lowerBound, type IndexReader } from "./index-reader.ts";

export interface NamedIndex {
  blobId: string;
  reader: IndexReader;
}

function prefixStartKey(prefix: string): Uint8Array {
  if (prefix === "") return new Uint8Array([0]);
  let p = 0;
  let hex = prefix;
  if (prefix[0] >= "g" && prefix[0] <= "z") {
    p = prefix.charCodeAt(0);
    hex = prefix.slice(1);
  }
  if (hex.length % 2 === 1) hex += "0";
  const out = new Uint8Array(1 + hex.length / 2);
  out[0] = p;
  if (/^[0-9a-f]*$/.test(hex)) out.set(Buffer.from(hex, "hex"), 1);
  return out;
}

export class MergedIndex {
  constructor(
    readonly indexes: NamedIndex[],
    /** Unix seconds; 0 = none. */
    readonly deletionWatermark = 0,
  ) {}

  private ignored(i: ContentInfo): boolean {
    return i.deleted && this.deletionWatermark > 0 && i.timestampSeconds <= this.deletionWatermark;
  }

  /** Greatest entry across all indexes, before watermark filtering. */
  lookupRaw(contentId: string): ContentInfo | undefined {
    const key = contentIdToKey(contentId);
    if (!key) return undefined;
    let best: ContentInfo | undefined;
    for (const { reader } of this.indexes) {
      const p = findExact(reader, key);
      if (p < 0) continue;
      const e = reader.entryAt(p);
      if (!best || infoGreaterThan(e, best)) best = e;
    }
    return best;
  }

  lookup(contentId: string): ContentInfo | undefined {
    const e = this.lookupRaw(contentId);
    return e && !this.ignored(e) ? e : undefined;
  }

  /** Merged entries in key order. Deleted entries only when includeDeleted. */
  *iterate(opts: { prefix?: string; includeDeleted?: boolean } = {}): Generator<ContentInfo> {
    const prefix = opts.prefix ?? "";
    const start = prefixStartKey(prefix);
    const all = prefix === "";
    type Cur = { r: IndexReader; pos: number };
    const heap: Cur[] = [];
    const less = (a: Cur, b: Cur) => {
      const n = Math.min(a.r.keySize, b.r.keySize);
      const c = compareKeys(a.r.data, a.r.keyOffset(a.pos), b.r.data, b.r.keyOffset(b.pos), n) || a.r.keySize - b.r.keySize;
      return c < 0;
    };
    const push = (c: Cur) => {
      heap.push(c);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!less(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    const pop = (): Cur => {
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && less(heap[l], heap[m])) m = l;
          if (r < heap.length && less(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    };
    for (const { reader } of this.indexes) {
      const pos = all ? 0 : lowerBound(reader, start);
      if (pos < reader.entryCount) push({ r: reader, pos });
    }
    while (heap.length > 0) {
      const c = pop();
      let best = c.r.entryAt(c.pos);
      const advance = (x: Cur) => {
        x.pos++;
        if (x.pos < x.r.entryCount) push(x);
      };
      // collect all cursors at the same key
      const same: Cur[] = [c];
      while (heap.length > 0 && !less(c, heap[0]) && !less(heap[0], c)) same.push(pop());
      for (let k = 1; k < same.length; k++) {
        const e = same[k].r.entryAt(same[k].pos);
        if (infoGreaterThan(e, best)) best = e;
      }
      if (!all && !best.contentId.startsWith(prefix)) return;
      for (const s of same) advance(s);
      if (this.ignored(best)) continue;
      if (best.deleted && !opts.includeDeleted) continue;
      yield best;
    }
  }
}
