import { describe, expect, test } from "bun:test";
import {
  blobRelativePath,
  defaultShardingParameters,
  encodeShardingParameters,
  parseShardingParameters,
  shardPath,
} from "../../lib/storage/sharding.ts";

const create = defaultShardingParameters(true);
const legacy = defaultShardingParameters(false);

describe("kopia sharding (GetShardDirectoryAndBlob)", () => {
  test("spec example: [1,3] splits p + 3 chars", () => {
    expect(blobRelativePath(create, "pabcdef0123456789abcdef-s0011")).toBe("p/abc/def0123456789abcdef-s0011.f");
    expect(shardPath(create, "pabcdef0123456789abcdef-s0011")).toEqual({ dirs: ["p", "abc"], name: "def0123456789abcdef-s0011" });
  });

  test("short IDs stay in the root", () => {
    for (const id of ["kopia.repository", "kopia.blobcfg", "kopia.maintenance", "xe5", "xw1700000000", "x".repeat(20)]) {
      expect(blobRelativePath(create, id)).toBe(id + ".f");
      expect(blobRelativePath(legacy, id)).toBe(id + ".f");
    }
    expect(blobRelativePath(create, "kopia.repository.backup.owner1")).toBe("k/opi/a.repository.backup.owner1.f");
  });

  test("legacy [3,3]", () => {
    expect(blobRelativePath(legacy, "p0123456789abcdef0123456789abcdef-s0123456789abcdef12a")).toBe(
      "p01/234/56789abcdef0123456789abcdef-s0123456789abcdef12a.f",
    );
  });

  test("stops when the remainder is not longer than the shard", () => {
    const p = { default: [5, 5, 5], maxNonShardedLength: 0 };
    expect(shardPath(p, "abcdefgh")).toEqual({ dirs: ["abcde"], name: "fgh" });
    expect(shardPath(p, "abcdefghij")).toEqual({ dirs: ["abcde"], name: "fghij" });
    expect(shardPath(p, "abcde")).toEqual({ dirs: [], name: "abcde" });
  });

  test("first matching override wins, else default", () => {
    const p = {
      default: [1, 3],
      maxNonShardedLength: 4,
      overrides: [
        { prefix: "xn", shards: [4] },
        { prefix: "x", shards: [2, 2] },
      ],
    };
    expect(blobRelativePath(p, "xn0_abcdef")).toBe("xn0_/abcdef.f");
    expect(blobRelativePath(p, "xs0_abcdef")).toBe("xs/0_/abcdef.f");
    expect(blobRelativePath(p, "pabcdef")).toBe("p/abc/def.f");
  });

  test(".shards encoding is Go json.Encoder output", () => {
    expect(encodeShardingParameters(create)).toBe('{"default":[1,3],"maxNonShardedLength":20}\n');
    expect(encodeShardingParameters(legacy)).toBe('{"default":[3,3],"maxNonShardedLength":20}\n');
    expect(encodeShardingParameters({ default: [2], maxNonShardedLength: 7, overrides: [{ prefix: "q", shards: [1] }] })).toBe(
      '{"default":[2],"maxNonShardedLength":7,"overrides":[{"prefix":"q","shards":[1]}]}\n',
    );
  });

  test("parse round-trips and rejects garbage", () => {
    const p = { default: [2, 2], maxNonShardedLength: 9, overrides: [{ prefix: "x", shards: [1] }] };
    expect(parseShardingParameters(encodeShardingParameters(p))).toEqual(p);
    expect(parseShardingParameters("{}")).toEqual({ default: [], maxNonShardedLength: 0 });
    expect(() => parseShardingParameters("[1,3]")).toThrow();
    expect(() => parseShardingParameters('{"default":"1,3"}')).toThrow();
    expect(() => parseShardingParameters('{"default":[1,-3]}')).toThrow();
    expect(() => parseShardingParameters("nope")).toThrow();
  });
});
