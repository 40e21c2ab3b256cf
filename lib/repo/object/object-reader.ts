// Object reader (spec §9.3, kopia repo/object/object_reader.go): random access through the
// seek table of indirect objects (nested lists included) and in-order streaming with a small
// prefetch window, so restoring a large file holds only a few chunks in memory.
import { CorruptDataError } from "../../errors.ts";
import type { ContentManager } from "../types.ts";
import { decodeIndirect, type IndirectEntry } from "./indirect.ts";
import { formatObjectId, parseObjectId } from "./object-id.ts";

/** Decompresses a legacy `Z` object's payload (4-byte header + stream). */
export type LegacyDecompressor = (payload: Uint8Array) => Uint8Array;

export interface StreamOptions {
  /** Chunks fetched ahead of the consumer (default 2). */
  prefetch?: number;
}

export class ObjectReader {
  private constructor(
    private readonly contents: ContentManager,
    readonly objectId: string,
    readonly length: number,
    /** For indirect objects: the flattened seek table; for direct ones: undefined. */
    private readonly seekTable: IndirectEntry[] | undefined,
    private direct: Uint8Array | undefined,
    private readonly decompress: LegacyDecompressor | undefined,
  ) {}

  static async open(
    contents: ContentManager,
    objectId: string,
    decompress?: LegacyDecompressor,
    assertLength = -1,
  ): Promise<ObjectReader> {
    const id = parseObjectId(objectId);
    if (id.indirection > 0) {
      const listId = formatObjectId({ ...id, indirection: id.indirection - 1 });
      const list = await ObjectReader.open(contents, listId, decompress);
      const table = decodeIndirect(await list.readAll(), objectId);
      const last = table[table.length - 1];
      const total = last.s + last.l;
      if (assertLength !== -1 && total !== assertLength) {
        throw new CorruptDataError(`object ${objectId} has length ${total}, expected ${assertLength}`);
      }
      return new ObjectReader(contents, objectId, total, table, undefined, decompress);
    }
    const data = await readDirect(contents, objectId, id.contentId, id.compressed, decompress);
    if (assertLength !== -1 && data.length !== assertLength) {
      throw new CorruptDataError(`unexpected chunk length ${data.length} of ${objectId}, expected ${assertLength}`);
    }
    return new ObjectReader(contents, objectId, data.length, undefined, data, decompress);
  }

  /** Number of chunks (1 for a direct object). */
  get chunkCount(): number {
    return this.seekTable?.length ?? 1;
  }

  private async chunk(i: number): Promise<Uint8Array> {
    if (!this.seekTable) return this.direct!;
    const e = this.seekTable[i];
    const sub = parseObjectId(e.o);
    if (sub.indirection > 0) {
      const r = await ObjectReader.open(this.contents, e.o, this.decompress, e.l);
      return r.readAll();
    }
    const d = await readDirect(this.contents, e.o, sub.contentId, sub.compressed, this.decompress);
    if (d.length !== e.l) {
      throw new CorruptDataError(`unexpected chunk length ${d.length} of ${e.o} in ${this.objectId}, expected ${e.l}`);
    }
    return d;
  }

  private findChunk(offset: number): number {
    const t = this.seekTable!;
    let lo = 0;
    let hi = t.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offset < t[mid].s) hi = mid - 1;
      else if (offset >= t[mid].s + t[mid].l) lo = mid + 1;
      else return mid;
    }
    throw new CorruptDataError(`can't find chunk for offset ${offset} in ${this.objectId}`);
  }

  /** Reads `length` bytes at `offset` (clamped to the object end). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0) throw new RangeError("negative offset or length");
    const end = Math.min(this.length, offset + length);
    if (offset >= end) return new Uint8Array(0);
    if (!this.seekTable) return this.direct!.subarray(offset, end);
    const out = new Uint8Array(end - offset);
    let pos = offset;
    let i = this.findChunk(offset);
    while (pos < end) {
      const e = this.seekTable[i];
      const data = await this.chunk(i);
      const from = pos - e.s;
      const to = Math.min(e.l, end - e.s);
      out.set(data.subarray(from, to), pos - offset);
      pos = e.s + to;
      i++;
    }
    return out;
  }

  /** The whole object in memory: only for small objects (directories, lists, manifests). */
  async readAll(): Promise<Uint8Array> {
    if (!this.seekTable) return this.direct!;
    return this.read(0, this.length);
  }

  /** Streams the object chunk by chunk, keeping up to `prefetch` chunk reads in flight. */
  async *stream(opts: StreamOptions = {}): AsyncGenerator<Uint8Array> {
    if (!this.seekTable) {
      if (this.direct!.length > 0) yield this.direct!;
      return;
    }
    const ahead = Math.max(1, opts.prefetch ?? 2);
    const n = this.seekTable.length;
    const pending: Promise<Uint8Array>[] = [];
    let next = 0;
    const fill = () => {
      while (next < n && pending.length < ahead) {
        const p = this.chunk(next++);
        p.catch(() => {}); // surfaced when awaited in order
        pending.push(p);
      }
    };
    fill();
    while (pending.length > 0) {
      const data = await pending.shift()!;
      fill();
      if (data.length > 0) yield data;
    }
  }
}

async function readDirect(
  contents: ContentManager,
  objectId: string,
  contentId: string,
  compressed: boolean,
  decompress: LegacyDecompressor | undefined,
): Promise<Uint8Array> {
  let payload = await contents.getContent(contentId);
  if (compressed) {
    if (!decompress) throw new CorruptDataError(`object ${objectId} uses legacy compression, no decompressor available`);
    payload = decompress(payload);
  }
  return payload;
}
