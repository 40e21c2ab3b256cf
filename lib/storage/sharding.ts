// Kopia's sharded-directory layout (repo/blob/sharded): which subdirectories a blob file lives
// in, and the `.shards` parameters file that pins the layout for a repository. Pure functions.

/** Name of the parameters file at the root of a sharded (filesystem) storage. */
export const SHARDS_FILE = ".shards";
/** Suffix of completely written blob files; anything else in the tree is ignored. */
export const COMPLETE_BLOB_SUFFIX = ".f";

export interface ShardOverride {
  prefix: string;
  shards: number[];
}

/** Mirrors kopia's sharded.Parameters (JSON field names are the on-disk format). */
export interface ShardingParameters {
  default: number[];
  maxNonShardedLength: number;
  overrides?: ShardOverride[];
}

/** Layout kopia uses for repositories created since 0.9 (and what Corso always writes). */
export const CREATE_SHARDS = [1, 3];
/** Layout assumed for pre-existing storage that has no `.shards` file. */
export const LEGACY_SHARDS = [3, 3];
const DEFAULT_MAX_NON_SHARDED_LENGTH = 20;

export function defaultShardingParameters(isCreate: boolean): ShardingParameters {
  return {
    default: [...(isCreate ? CREATE_SHARDS : LEGACY_SHARDS)],
    maxNonShardedLength: DEFAULT_MAX_NON_SHARDED_LENGTH,
  };
}

/** Serialises like Go's json.Encoder: struct field order, `overrides` omitted when empty, trailing newline. */
export function encodeShardingParameters(p: ShardingParameters): string {
  const o: Record<string, unknown> = { default: p.default, maxNonShardedLength: p.maxNonShardedLength };
  if (p.overrides && p.overrides.length > 0) {
    o.overrides = p.overrides.map((x) => ({ prefix: x.prefix, shards: x.shards }));
  }
  return JSON.stringify(o) + "\n";
}

/**
 * Parses `.shards`. Like Go decoding into a zero struct, missing fields stay zero
 * (no default shards, maxNonShardedLength 0). Throws Error on malformed content.
 */
export function parseShardingParameters(text: string): ShardingParameters {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("not a JSON object");
  const r = raw as Record<string, unknown>;
  const ints = (v: unknown, what: string): number[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error(`${what} must be an array of non-negative integers`);
    }
    return v as number[];
  };
  const max = r.maxNonShardedLength ?? 0;
  if (!Number.isInteger(max)) throw new Error("maxNonShardedLength must be an integer");
  const overrides: ShardOverride[] = [];
  if (r.overrides !== undefined && r.overrides !== null) {
    if (!Array.isArray(r.overrides)) throw new Error("overrides must be an array");
    for (const o of r.overrides) {
      if (typeof o !== "object" || o === null) throw new Error("override must be an object");
      const oo = o as Record<string, unknown>;
      overrides.push({ prefix: typeof oo.prefix === "string" ? oo.prefix : "", shards: ints(oo.shards, "override shards") });
    }
  }
  const p: ShardingParameters = { default: ints(r.default, "default"), maxNonShardedLength: max as number };
  if (overrides.length > 0) p.overrides = overrides;
  return p;
}

function shardsFor(p: ShardingParameters, id: string): number[] {
  for (const o of p.overrides ?? []) if (id.startsWith(o.prefix)) return o.shards;
  return p.default;
}

/**
 * kopia's GetShardDirectoryAndBlob: the shard directories (relative, in order) and the
 * remaining file stem for a blob ID. Short IDs (<= maxNonShardedLength) stay at the root.
 */
export function shardPath(p: ShardingParameters, id: string): { dirs: string[]; name: string } {
  const dirs: string[] = [];
  if (id.length <= p.maxNonShardedLength) return { dirs, name: id };
  let rest = id;
  for (const size of shardsFor(p, id)) {
    if (rest.length <= size) break;
    // Go's path.Join drops empty elements, so a 0-size shard adds no directory.
    if (size > 0) dirs.push(rest.slice(0, size));
    rest = rest.slice(size);
  }
  return { dirs, name: rest };
}

/** Relative file path ("p/abc/def….f") of a blob, with "/" separators. */
export function blobRelativePath(p: ShardingParameters, id: string): string {
  const { dirs, name } = shardPath(p, id);
  return [...dirs, name + COMPLETE_BLOB_SUFFIX].join("/");
}
