// ObjectManager (kopia repo/object/object_manager.go): creates writers with the repository
// splitter, opens readers, and lists the contents backing an object.
import { CorruptDataError } from "../../errors.ts";
import type { ContentManager } from "../types.ts";
import { decodeIndirect } from "./indirect.ts";
import { decompressByHeader } from "./legacy-compression.ts";
import { formatObjectId, parseObjectId } from "./object-id.ts";
import { ObjectReader, type LegacyDecompressor } from "./object-reader.ts";
import { ObjectWriter, type ObjectWriterOptions, type SplitterFactory } from "./object-writer.ts";
import { splitterFactory } from "./splitters.ts";

export class ObjectManager {
  private readonly newSplitter: SplitterFactory;
  private readonly decompress: LegacyDecompressor;

  /**
   * @param splitter repository splitter name (RepositoryConfig.splitter; "" means "FIXED" like
   *   kopia), or a factory producing fresh splitters.
   */
  constructor(
    readonly contents: ContentManager,
    splitter: string | SplitterFactory,
    opts: { decompress?: LegacyDecompressor } = {},
  ) {
    this.newSplitter = typeof splitter === "function" ? splitter : splitterFactory(splitter || "FIXED");
    this.decompress = opts.decompress ?? decompressByHeader;
  }

  newWriter(opts: ObjectWriterOptions = {}): ObjectWriter {
    return new ObjectWriter(this.contents, this.newSplitter, opts);
  }

  open(objectId: string): Promise<ObjectReader> {
    return ObjectReader.open(this.contents, objectId, this.decompress);
  }

  /** Convenience: writes a whole buffer as one object. */
  async writeObject(data: Uint8Array, opts: ObjectWriterOptions = {}): Promise<string> {
    const w = this.newWriter(opts);
    await w.write(data);
    return w.result();
  }

  /** Reads a whole (small) object. */
  async readObject(objectId: string): Promise<Uint8Array> {
    return (await this.open(objectId)).readAll();
  }

  /**
   * Returns the IDs of all contents backing the object (list objects included), checking that
   * each exists and is not deleted. Throws CorruptDataError naming the first missing content.
   */
  async verifyObject(objectId: string): Promise<string[]> {
    const seen = new Set<string>();
    await this.iterateBackingContents(objectId, seen, async (cid) => {
      const info = await this.contents.getContentInfo(cid);
      if (!info || info.deleted) {
        throw new CorruptDataError(`object ${objectId}: content ${cid} ${info ? "is deleted" : "not found"}`);
      }
    });
    return [...seen];
  }

  /** Content IDs backing an object, without existence checks (GC marking, prefetch). */
  async backingContents(objectId: string): Promise<string[]> {
    const seen = new Set<string>();
    await this.iterateBackingContents(objectId, seen, async () => {});
    return [...seen];
  }

  private async iterateBackingContents(
    objectId: string,
    seen: Set<string>,
    cb: (cid: string) => Promise<void>,
  ): Promise<void> {
    const id = parseObjectId(objectId);
    if (id.indirection === 0) {
      if (!seen.has(id.contentId)) {
        await cb(id.contentId);
        seen.add(id.contentId);
      }
      return;
    }
    const listId = formatObjectId({ ...id, indirection: id.indirection - 1 });
    await this.iterateBackingContents(listId, seen, cb);
    const list = await this.open(listId);
    for (const e of decodeIndirect(await list.readAll(), objectId)) {
      await this.iterateBackingContents(e.o, seen, cb);
    }
  }
}
