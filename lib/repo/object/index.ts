// Object layer (spec §9): object IDs, streaming writer, random-access/streaming reader.
export { ObjectManager } from "./object-manager.ts";
export { ObjectWriter, type ObjectWriterOptions, type Splitter, type SplitterFactory } from "./object-writer.ts";
export { ObjectReader, type StreamOptions, type LegacyDecompressor } from "./object-reader.ts";
export {
  type ObjectId,
  parseObjectId,
  formatObjectId,
  indirectObjectId,
  objectIdPrefix,
  isValidContentId,
} from "./object-id.ts";
export { encodeIndirect, decodeIndirect, type IndirectEntry, INDIRECT_STREAM } from "./indirect.ts";
export { decompressByHeader } from "./legacy-compression.ts";
