import { describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import type { ContentInfo } from "../../../lib/repo/types.ts";
import { buildIndexV2, openIndexV2 } from "../../../lib/repo/content/index-v2.ts";
import { IndexBuilder, fnv32a, openIndex } from "../../../lib/repo/content/index-builder.ts";
import { MergedIndex } from "../../../lib/repo/content/merged-index.ts";
import { findExact } from "../../../lib/repo/content/index-reader.ts";
import { contentIdToKey, compareContentIds } from "../../../lib/repo/content/content-id.ts";

function hex(n: number, len = 32): string {
  return n.toString(16).padStart(len, "0");
}

function info(id: string, o: Partial<ContentInfo> = {}): ContentInfo {
  return {
    contentId: id,
    packBlobId: "p" + hex(1) + "-s0123456789abcdef11c",
    packOffset: 32,
    packedLength: 100,
    originalLength: 72,
    timestampSeconds: 1_700_000_000,
    deleted: false,
    compressionHeaderId: 0,
    formatVersion: 2,
    encryptionKeyId: 0,
    ...o,
  };
}

function all(data: Uint8Array): ContentInfo[] {
  const r = openIndex(data, 28);
  return Array.from({ length: r.entryCount }, (_, i) => r.entryAt(i));
}

describe("index v2", () => {
  test("round trip, sorted by binary key (unprefixed first), entrySize 16", () => {
    const infos = [info("k" + hex(5)), info(hex(9)), info("m" + hex(1)), info(hex(2), { deleted: true, packOffset: 12345 })];
    const data = buildIndexV2(infos);
    expect(data[0]).toBe(2);
    expect(data[1]).toBe(17);
    expect((data[2] << 8) | data[3]).toBe(16);
    const got = all(data);
    expect(got.map((g) => g.contentId)).toEqual([hex(2), hex(9), "k" + hex(5), "m" + hex(1)]);
    expect(got[0]).toEqual(infos[3]);
    expect(got[3]).toEqual(infos[2]);
    expect([...got].sort((a, b) => compareContentIds(a.contentId, b.contentId)).map((g) => g.contentId)).toEqual(got.map((g) => g.contentId));
  });

  test("entrySize 17 with >1 format; format table assigned in sorted first-appearance order", () => {
    const data = buildIndexV2([info(hex(3), { compressionHeaderId: 0x1101 }), info(hex(1)), info(hex(2), { compressionHeaderId: 0x1102 })]);
    expect((data[2] << 8) | data[3]).toBe(17);
    expect(data[12]).toBe(3);
    const got = all(data);
    expect(got.map((g) => g.compressionHeaderId)).toEqual([0, 0x1102, 0x1101]);
  });

  test("entrySize 18 with more than 65536 packs", () => {
    const infos: ContentInfo[] = [];
    for (let i = 0; i < 65538; i++) infos.push(info(hex(i), { packBlobId: "p" + hex(i) }));
    const data = buildIndexV2(infos);
    expect((data[2] << 8) | data[3]).toBe(18);
    const r = openIndexV2(data);
    expect(r.entryAt(65537).packBlobId).toBe("p" + hex(65537));
    expect(r.entryAt(65536).packBlobId).toBe("p" + hex(65536));
    expect(r.entryAt(3).packBlobId).toBe("p" + hex(3));
  });

  test("entrySize 19 with lengths ≥ 2^24 (high nibbles)", () => {
    const big = info(hex(7), { originalLength: 2 ** 27 + 5, packedLength: 2 ** 24 + 33 });
    const data = buildIndexV2([big, info(hex(8))]);
    expect((data[2] << 8) | data[3]).toBe(19);
    expect(all(data)[0]).toEqual(big);
    expect(() => buildIndexV2([info(hex(1), { originalLength: 2 ** 28 })])).toThrow(CorruptDataError);
    expect(() => buildIndexV2([info(hex(1), { packOffset: 2 ** 30 })])).toThrow(CorruptDataError);
  });

  test("reader ignores trailing bytes (Build adds 32 random ones)", () => {
    const b = new IndexBuilder();
    b.add(info(hex(1)));
    b.add(info(hex(2)));
    const withSuffix = b.build();
    const stable = b.buildShards()[0];
    expect(withSuffix.length).toBe(stable.length + 32);
    expect(withSuffix.subarray(0, stable.length)).toEqual(stable);
    expect(all(withSuffix)).toEqual(all(stable));
    expect(b.build()).not.toEqual(withSuffix);
  });

  test("truncated / garbage index data → CorruptDataError", () => {
    const data = buildIndexV2([info(hex(1)), info(hex(2))]);
    expect(() => openIndex(data.subarray(0, 30), 28)).toThrow(CorruptDataError);
    expect(() => openIndex(data.subarray(0, 10), 28)).toThrow(CorruptDataError);
    expect(() => openIndex(new Uint8Array([7, 1, 2]), 28)).toThrow(CorruptDataError);
    expect(() => openIndex(new Uint8Array(0), 28)).toThrow(CorruptDataError);
  });

  test("lookups by exact key", () => {
    const data = buildIndexV2([info(hex(10)), info("k" + hex(10)), info(hex(20))]);
    const r = openIndexV2(data);
    expect(findExact(r, contentIdToKey(hex(20))!)).toBe(1);
    expect(findExact(r, contentIdToKey("k" + hex(10))!)).toBe(2);
    expect(findExact(r, contentIdToKey(hex(11))!)).toBe(-1);
    expect(findExact(r, contentIdToKey("ab")!)).toBe(-1);
  });

  test("builder keeps the greatest entry; shards stable and split by FNV-32a", () => {
    const b = new IndexBuilder();
    b.add(info(hex(1), { timestampSeconds: 5 }));
    b.add(info(hex(1), { timestampSeconds: 4, packBlobId: "pz" }));
    expect(b.entries.get(hex(1))!.timestampSeconds).toBe(5);
    for (let i = 2; i < 50; i++) b.add(info(hex(i)));
    const shards = b.buildShards(2, true, 10);
    expect(shards.length).toBe(5);
    let n = 0;
    for (let s = 0; s < shards.length; s++) {
      const got = all(shards[s]);
      n += got.length;
      for (const g of got) expect(fnv32a(g.contentId) % 5).toBe(s);
    }
    expect(n).toBe(49);
    expect(b.buildShards(2, true, 10)).toEqual(shards);
    // FNV-1a 32 known value
    expect(fnv32a("a")).toBe(0xe40c292c);
  });
});

describe("merged index", () => {
  const id = hex(42);
  const idx = (...infos: ContentInfo[]) => ({ blobId: "x", reader: openIndexV2(buildIndexV2(infos)) });

  test("larger timestamp wins, then non-deleted, then larger pack ID", () => {
    let m = new MergedIndex([idx(info(id, { timestampSeconds: 10, packBlobId: "pb" })), idx(info(id, { timestampSeconds: 11, packBlobId: "pa", deleted: true }))]);
    expect(m.lookup(id)!.deleted).toBe(true);
    m = new MergedIndex([idx(info(id, { timestampSeconds: 11, deleted: true, packBlobId: "pz" })), idx(info(id, { timestampSeconds: 11, packBlobId: "pa" }))]);
    expect(m.lookup(id)!.packBlobId).toBe("pa");
    m = new MergedIndex([idx(info(id, { packBlobId: "pa" })), idx(info(id, { packBlobId: "pc" })), idx(info(id, { packBlobId: "pb" }))]);
    expect(m.lookup(id)!.packBlobId).toBe("pc");
  });

  test("deletion watermark hides deleted entries at or below it", () => {
    const del = info(id, { timestampSeconds: 100, deleted: true });
    expect(new MergedIndex([idx(del)], 99).lookup(id)).toBeDefined();
    expect(new MergedIndex([idx(del)], 100).lookup(id)).toBeUndefined();
    const live = info(hex(43), { timestampSeconds: 50 });
    expect(new MergedIndex([idx(live)], 100).lookup(hex(43))).toBeDefined();
  });

  test("iterate merges in key order, filters deleted and by prefix", () => {
    const a = idx(info(hex(1)), info(hex(3), { deleted: true, timestampSeconds: 9 }), info("k" + hex(1)));
    const b = idx(info(hex(2)), info(hex(3), { timestampSeconds: 5 }), info("m" + hex(5)), info("k" + hex(0)));
    const m = new MergedIndex([a, b]);
    expect([...m.iterate()].map((i) => i.contentId)).toEqual([hex(1), hex(2), "k" + hex(0), "k" + hex(1), "m" + hex(5)]);
    expect([...m.iterate({ includeDeleted: true })].map((i) => i.contentId)).toEqual([hex(1), hex(2), hex(3), "k" + hex(0), "k" + hex(1), "m" + hex(5)]);
    expect([...m.iterate({ prefix: "k" })].map((i) => i.contentId)).toEqual(["k" + hex(0), "k" + hex(1)]);
    expect([...m.iterate({ prefix: "m" })].map((i) => i.contentId)).toEqual(["m" + hex(5)]);
    expect([...m.iterate({ prefix: "q" })]).toEqual([]);
  });
});
