import { afterEach, describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { CorruptDataError, UsageError } from "../../../lib/errors.ts";
import {
  ManifestManager,
  ManifestNotFoundError,
  RawJson,
  decodeManifestContent,
  encodeManifestContent,
  formatRfc3339Nano,
  goMarshal,
  parseRfc3339Nano,
  GO_ZERO_TIME_UNIX_NANO,
} from "../../../lib/repo/manifest/index.ts";
import { MemoryContentManager } from "../helpers/memory-content.ts";
import { gzipSync } from "node:zlib";

function clock(start = 1_700_000_000_000_000_000n) {
  let t = start;
  return () => (t += 1_000_000n);
}

describe("Go JSON helpers", () => {
  test("RFC 3339 with nanoseconds, trailing zeros trimmed", () => {
    expect(formatRfc3339Nano(0n)).toBe("1970-01-01T00:00:00Z");
    expect(formatRfc3339Nano(1_700_000_000_120_000_000n)).toBe("2023-11-14T22:13:20.12Z");
    expect(formatRfc3339Nano(1_700_000_000_000_000_001n)).toBe("2023-11-14T22:13:20.000000001Z");
    expect(formatRfc3339Nano(GO_ZERO_TIME_UNIX_NANO)).toBe("1754-08-30T22:43:41.128654848Z");
    for (const ns of [0n, 1n, -1n, 1_700_000_000_123_456_789n, GO_ZERO_TIME_UNIX_NANO]) {
      expect(parseRfc3339Nano(formatRfc3339Nano(ns))).toBe(ns);
    }
    expect(parseRfc3339Nano("2023-11-14T23:13:20.5+01:00")).toBe(1_700_000_000_500_000_000n);
    expect(() => parseRfc3339Nano("yesterday")).toThrow(CorruptDataError);
  });
  test("goMarshal escapes like Go", () => {
    expect(goMarshal({ a: "<b>&\u2028" })).toBe('{"a":"\\u003cb\\u003e\\u0026\\u2028"}');
    expect(goMarshal(new RawJson('{"x":1}'))).toBe('{"x":1}');
  });
});

describe("manifest content format", () => {
  test("Go field shapes: sorted labels, deleted omitempty, raw data kept verbatim", () => {
    const gz = encodeManifestContent([
      { id: "aa", labels: { type: "t", b: "2", a: "1" }, modifiedNs: 1_000_000_000n, deleted: false, data: '{"2":1,"1":9007199254740993}' },
      { id: "bb", labels: {}, modifiedNs: 2_000_000_000n, deleted: true, data: "null" },
    ]);
    expect(gunzipSync(gz).toString()).toBe(
      '{"entries":[{"id":"aa","labels":{"a":"1","b":"2","type":"t"},"modified":"1970-01-01T00:00:01Z","data":{"2":1,"1":9007199254740993}},' +
        '{"id":"bb","labels":null,"modified":"1970-01-01T00:00:02Z","deleted":true,"data":null}]}\n',
    );
    const back = decodeManifestContent(gz, "m1");
    expect(back[0].data).toBe('{"2":1,"1":9007199254740993}');
    expect(back[1].deleted).toBe(true);
    expect(back[0].labels).toEqual({ a: "1", b: "2", type: "t" });
  });
  test("decodes kopia-style content (whitespace, nested strings with braces)", () => {
    const text =
      '{ "entries" : [ {"id":"x1","labels":{"type":"snapshot"},"modified":"2024-01-02T03:04:05.123456789Z","data":{"s":"}{\\"]"}} ] }\n';
    const [e] = decodeManifestContent(new Uint8Array(gzipSync(text)), "m");
    expect(e.id).toBe("x1");
    expect(e.modifiedNs).toBe(1704164645123456789n);
    expect(JSON.parse(e.data)).toEqual({ s: '}{"]' });
  });
  test("corrupt content is a typed error", () => {
    expect(() => decodeManifestContent(new Uint8Array([1, 2, 3]), "m")).toThrow(CorruptDataError);
    expect(() => decodeManifestContent(new Uint8Array(gzipSync('{"entries":[{"id":')), "m")).toThrow(
      CorruptDataError,
    );
  });
});

describe("ManifestManager", () => {
  afterEach(() => {
    delete process.env.KOPIA_MANIFEST_AUTOCOMPACT_COUNT;
  });

  test("put/get/find/delete with pending and committed state", async () => {
    const cm = new MemoryContentManager();
    const mm = new ManifestManager(cm, { now: clock() });
    const a = await mm.put({ type: "snapshot", hostname: "h" }, { hello: "world" });
    const b = await mm.put({ type: "policy" }, [1, 2]);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect((await mm.get(a)).payload).toEqual({ hello: "world" });
    expect((await mm.find({ type: "snapshot" })).map((m) => m.id)).toEqual([a]);
    await mm.flush();
    expect(cm.count("m")).toBe(1);
    const mm2 = new ManifestManager(cm, { now: clock(1_800_000_000_000_000_000n) });
    expect((await mm2.find({})).map((m) => m.id)).toEqual([a, b]);
    const md = (await mm2.get(b)).metadata;
    expect(md.labels).toEqual({ type: "policy" });
    expect(md.length).toBe(5);
    await mm2.delete(a);
    await expect(mm2.get(a)).rejects.toThrow(ManifestNotFoundError);
    await mm2.flush();
    const mm3 = new ManifestManager(cm);
    await expect(mm3.get(a)).rejects.toThrow(ManifestNotFoundError);
    expect((await mm3.find({ type: "policy" })).length).toBe(1);
    await mm3.delete("0".repeat(32)); // unknown: no-op
    await mm3.flush();
    expect(cm.count("m")).toBe(2);
  });

  test("type label is required", async () => {
    const mm = new ManifestManager(new MemoryContentManager());
    await expect(mm.put({ x: "1" }, {})).rejects.toThrow(UsageError);
  });

  test("latest modified wins across contents; a tie goes to the deletion", async () => {
    const cm = new MemoryContentManager();
    const enc = (entries: any[]) => cm.writeContent(encodeManifestContent(entries), { prefix: "m" });
    const base = { labels: { type: "t" }, deleted: false };
    await enc([{ ...base, id: "a1", modifiedNs: 5n, data: '"old"' }]);
    await enc([{ ...base, id: "a1", modifiedNs: 9n, data: '"new"' }, { ...base, id: "b1", modifiedNs: 9n, data: "1" }]);
    await enc([{ ...base, id: "a1", modifiedNs: 7n, data: '"middle"' }]);
    await enc([{ id: "b1", labels: {}, modifiedNs: 9n, deleted: true, data: "null" }]);
    const mm = new ManifestManager(cm);
    expect((await mm.get("a1")).payload).toBe("new");
    await expect(mm.get("b1")).rejects.toThrow(ManifestNotFoundError);
  });

  test("auto-compaction at the threshold rewrites live entries into one content", async () => {
    const cm = new MemoryContentManager();
    const mm = new ManifestManager(cm, { now: clock() });
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      ids.push(await mm.put({ type: "t", n: String(i) }, { i }));
      await mm.flush();
    }
    await mm.delete(ids[3]);
    await mm.flush(); // 17 contents
    expect(cm.count("m")).toBe(17);
    const flushesBefore = cm.flushes;
    const mm2 = new ManifestManager(cm);
    const found = await mm2.find({ type: "t" });
    expect(found.length).toBe(15);
    expect(cm.count("m")).toBe(1);
    expect(cm.flushes).toBe(flushesBefore + 1);
    expect(mm2.contentCount).toBe(1);
    // payloads survive compaction byte for byte
    expect((await mm2.getRaw(ids[7])).json).toBe('{"i":7}');
    const mm3 = new ManifestManager(cm);
    expect((await mm3.find({ type: "t" })).length).toBe(15);
    await expect(mm3.get(ids[3])).rejects.toThrow(ManifestNotFoundError);
  });

  test("threshold from KOPIA_MANIFEST_AUTOCOMPACT_COUNT; below it nothing is compacted", async () => {
    const cm = new MemoryContentManager();
    const mm = new ManifestManager(cm, { now: clock() });
    for (let i = 0; i < 4; i++) {
      await mm.put({ type: "t" }, i);
      await mm.flush();
    }
    await new ManifestManager(cm).find({});
    expect(cm.count("m")).toBe(4);
    process.env.KOPIA_MANIFEST_AUTOCOMPACT_COUNT = "4";
    await new ManifestManager(cm).find({});
    expect(cm.count("m")).toBe(1);
  });

  test("compaction writes the new content before deleting old ones", async () => {
    const cm = new MemoryContentManager();
    const order: string[] = [];
    const w = cm.writeContent.bind(cm);
    const d = cm.deleteContent.bind(cm);
    const mm = new ManifestManager(cm, { now: clock(), autoCompactionThreshold: 0 });
    for (let i = 0; i < 3; i++) {
      await mm.put({ type: "t" }, i);
      await mm.flush();
    }
    cm.writeContent = async (data, o) => (order.push("write"), w(data, o));
    cm.deleteContent = async (id) => (order.push("delete"), d(id));
    await mm.compact();
    expect(order).toEqual(["write", "delete", "delete", "delete"]);
    expect((await new ManifestManager(cm).find({})).length).toBe(3);
  });

  test("corrupt manifest content fails loading with a typed error", async () => {
    const cm = new MemoryContentManager();
    await cm.writeContent(new Uint8Array([9, 9, 9]), { prefix: "m" });
    await expect(new ManifestManager(cm).find({})).rejects.toThrow(CorruptDataError);
  });
});
