// Index builder (repo/content/index/index_builder.go): one entry per content ID (the greatest
// wins), Build() appends 32 random bytes (pack-local indexes), BuildShards(stable) does not.
import { CorruptDataError } from "../../errors.ts";
import { randomBytes } from "../../crypto/random.ts";
import type { ContentInfo } from "../types.ts";
import { infoGreaterThan, type IndexReader } from "./index-reader.ts";
import { buildIndexV2, openIndexV2 } from "./index-v2.ts";
import { openIndexV1 } from "./index-v1.ts";

export const DEFAULT_INDEX_SHARD_SIZE = 16e6;
const RANDOM_SUFFIX = 32;

export class IndexBuilder {
  readonly entries = new Map<string, ContentInfo>();

  get size(): number {
    return this.entries.size;
  }

  add(info: ContentInfo): void {
    const old = this.entries.get(info.contentId);
    if (!old || infoGreaterThan(info, old)) this.entries.set(info.contentId, info);
  }

  /** Stable bytes followed by 32 random bytes, so every pack-local index is unique. */
  build(version = 2): Uint8Array {
    const stable = buildStable(this.entries.values(), version);
    const out = new Uint8Array(stable.length + RANDOM_SUFFIX);
    out.set(stable, 0);
    out.set(randomBytes(RANDOM_SUFFIX), stable.length);
    return out;
  }

  /** Shards by FNV-32a(contentID) % numShards when there are more than shardSize entries. */
  buildShards(version = 2, stable = true, shardSize = DEFAULT_INDEX_SHARD_SIZE): Uint8Array[] {
    if (this.entries.size === 0) return [];
    const numShards = Math.ceil(this.entries.size / shardSize);
    let groups: ContentInfo[][];
    if (numShards <= 1) groups = [[...this.entries.values()]];
    else {
      groups = Array.from({ length: numShards }, () => []);
      for (const [id, info] of this.entries) groups[fnv32a(id) % numShards].push(info);
      groups = groups.filter((g) => g.length > 0);
    }
    return groups.map((g) => {
      const b = buildStable(g, version);
      if (stable) return b;
      const out = new Uint8Array(b.length + RANDOM_SUFFIX);
      out.set(b, 0);
      out.set(randomBytes(RANDOM_SUFFIX), b.length);
      return out;
    });
  }
}

function buildStable(infos: Iterable<ContentInfo>, version: number): Uint8Array {
  if (version !== 2) throw new CorruptDataError(`writing index version ${version} is not supported`);
  return buildIndexV2(infos);
}

export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Opens index bytes of either version (byte 0 is the version); trailing bytes are ignored. */
export function openIndex(data: Uint8Array, v1Overhead: number, what = "index"): IndexReader {
  if (data.length === 0) throw new CorruptDataError(`${what}: empty index`);
  switch (data[0]) {
    case 1:
      return openIndexV1(data, v1Overhead, what);
    case 2:
      return openIndexV2(data, what);
    default:
      throw new CorruptDataError(`${what}: invalid index version ${data[0]}`);
  }
}
