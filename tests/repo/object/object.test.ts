import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { CorruptDataError } from "../../../lib/errors.ts";
import {
  ObjectManager,
  decodeIndirect,
  encodeIndirect,
  formatObjectId,
  parseObjectId,
} from "../../../lib/repo/object/index.ts";
import { fixedSplitter } from "../../../lib/repo/object/splitters.ts";
import { MemoryContentManager } from "../helpers/memory-content.ts";

function rand(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function mgr(chunk = 1000) {
  const cm = new MemoryContentManager();
  return { cm, om: new ObjectManager(cm, () => fixedSplitter(chunk)) };
}

async function roundTrip(om: ObjectManager, data: Uint8Array, pieces: number[]) {
  const w = om.newWriter({ description: "t" });
  let pos = 0;
  for (const p of pieces) {
    await w.write(data.subarray(pos, pos + p));
    pos += p;
  }
  await w.write(data.subarray(pos));
  const id = await w.result();
  const r = await om.open(id);
  expect(r.length).toBe(data.length);
  expect(Buffer.from(await r.readAll()).equals(Buffer.from(data))).toBe(true);
  const streamed: Uint8Array[] = [];
  for await (const c of r.stream()) streamed.push(c);
  expect(Buffer.concat(streamed).equals(Buffer.from(data))).toBe(true);
  return id;
}

describe("object IDs", () => {
  test("parse and format round trip", () => {
    const cid = "0123456789abcdef0123456789abcdef";
    for (const s of [cid, "k" + cid, "Ix" + cid, "IIx" + cid, "Z" + cid, "Ik" + cid]) {
      expect(formatObjectId(parseObjectId(s))).toBe(s);
    }
    expect(parseObjectId("Ix" + cid)).toEqual({ indirection: 1, compressed: false, contentId: "x" + cid });
  });
  test("legacy D is accepted and dropped", () => {
    const cid = "13ea27f9ad891ad4a2edfa983906863d";
    expect(formatObjectId(parseObjectId("D" + cid))).toBe(cid);
    expect(formatObjectId(parseObjectId("ID" + cid))).toBe("I" + cid);
  });
  test("malformed IDs are rejected", () => {
    for (const bad of ["", "I", "IZ0123456789abcdef0123456789abcdef", "xyz", "a0123", "G0011", "0011zz", "f0011"]) {
      expect(() => parseObjectId(bad)).toThrow(CorruptDataError);
    }
  });
});

describe("indirect JSON", () => {
  test("matches Go json.Encoder output (omitempty s on first entry, trailing newline)", () => {
    const bytes = encodeIndirect([
      { s: 0, l: 1698099, o: "13ea27f9ad891ad4a2edfa983906863d" },
      { s: 1698099, l: 1302081, o: "e8ca8327cd3af5f4edbd5ed1009c525e" },
    ]);
    expect(new TextDecoder().decode(bytes)).toBe(
      '{"stream":"kopia:indirect","entries":[{"l":1698099,"o":"13ea27f9ad891ad4a2edfa983906863d"},' +
        '{"s":1698099,"l":1302081,"o":"e8ca8327cd3af5f4edbd5ed1009c525e"}]}\n',
    );
  });
  test("rejects gaps and garbage", () => {
    const enc = new TextEncoder();
    expect(() => decodeIndirect(enc.encode("nope"), "x")).toThrow(CorruptDataError);
    expect(() => decodeIndirect(enc.encode('{"entries":[]}'), "x")).toThrow(CorruptDataError);
    expect(() =>
      decodeIndirect(enc.encode('{"entries":[{"l":5,"o":"00"},{"s":6,"l":1,"o":"01"}]}'), "x"),
    ).toThrow(CorruptDataError);
  });
});

describe("object writer/reader", () => {
  test("empty object is one empty chunk", async () => {
    const { cm, om } = mgr();
    const id = await roundTrip(om, new Uint8Array(0), []);
    const emptyId = createHash("sha256").update(new Uint8Array(0)).digest("hex").slice(0, 32);
    expect(id).toBe(emptyId);
    expect(cm.data.get(emptyId)!.length).toBe(0);
  });

  test("round trips at chunk boundaries", async () => {
    const { om } = mgr(1000);
    for (const n of [1, 999, 1000, 1001, 1999, 2000, 2001, 5000]) {
      const data = rand(n, n);
      const id = await roundTrip(om, data, [1, 7, 500]);
      const chunks = Math.max(1, Math.ceil(n / 1000));
      if (chunks === 1) expect(id).toMatch(/^[0-9a-f]{32}$/);
      else expect(id).toMatch(/^Ix[0-9a-f]{32}$/);
      expect((await om.open(id)).chunkCount).toBe(chunks);
    }
  });

  test("prefix and compression reach writeContent; lists use x or the writer prefix", async () => {
    const cm = new MemoryContentManager();
    const seen: { prefix: string; compression?: string }[] = [];
    const orig = cm.writeContent.bind(cm);
    cm.writeContent = async (d, o) => {
      seen.push({ prefix: o.prefix, compression: o.compression });
      return orig(d, o);
    };
    const om = new ObjectManager(cm, () => fixedSplitter(400));
    const w = om.newWriter({ compression: "zstd-better-compression" });
    await w.write(rand(1000, 1));
    const id = await w.result();
    expect(id.startsWith("Ix")).toBe(true);
    expect(seen.slice(0, 3).every((s) => s.prefix === "" && s.compression === "zstd-better-compression")).toBe(true);
    expect(seen.slice(3).every((s) => s.prefix === "x" && s.compression === undefined)).toBe(true);
    seen.length = 0;
    const k = await om.writeObject(rand(1000, 2), { prefix: "k" });
    expect(k.startsWith("Ik")).toBe(true);
    expect(seen.every((s) => s.prefix === "k")).toBe(true);
  });

  test("nested indirection: a large list is itself split", async () => {
    const { om } = mgr(256);
    const data = rand(256 * 40, 3); // 40 chunks → ~2 KB list → 9-chunk list → 2-chunk list → 1
    const id = await roundTrip(om, data, [3, 64, 200]);
    expect(id.startsWith("IIIx")).toBe(true);
    const r = await om.open(id);
    expect(Buffer.from(await r.read(100, 300)).equals(Buffer.from(data.subarray(100, 400)))).toBe(true);
  });

  test("random access reads across chunks and clamps at the end", async () => {
    const { om } = mgr(100 * 10);
    const data = rand(12340, 9);
    const id = await om.writeObject(data);
    const r = await om.open(id);
    for (const [o, l] of [
      [0, 1],
      [999, 2],
      [1000, 1000],
      [1500, 6000],
      [12000, 1000],
      [12340, 5],
    ]) {
      const got = await r.read(o, l);
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(o, Math.min(12340, o + l))))).toBe(true);
    }
  });

  test("identical data deduplicates to the same object ID", async () => {
    const { cm, om } = mgr(1000);
    const data = rand(10000, 4);
    const a = await om.writeObject(data);
    const n = cm.data.size;
    const b = await roundTrip(om, data, [13, 77]);
    expect(b).toBe(a);
    expect(cm.data.size).toBe(n);
  });

  test("writer keeps memory bounded while streaming a large object", async () => {
    const cm = new MemoryContentManager();
    let inFlight = 0;
    let maxInFlight = 0;
    const orig = cm.writeContent.bind(cm);
    cm.writeContent = async (d, o) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return orig(d, o);
    };
    const om = new ObjectManager(cm, () => fixedSplitter(4096));
    const w = om.newWriter({ asyncWrites: 2 });
    let maxBuffered = 0;
    const piece = rand(1500, 5);
    for (let i = 0; i < 200; i++) {
      await w.write(piece);
      maxBuffered = Math.max(maxBuffered, w.bufferedBytes);
    }
    await w.result();
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxBuffered).toBeLessThanOrEqual(4 * 4096 + 64 * 1024);
  });

  test("stream() keeps at most `prefetch` chunk reads in flight", async () => {
    const { cm, om } = mgr(1000);
    const data = rand(20_000, 11);
    const id = await om.writeObject(data);
    const r = await om.open(id);
    let inFlight = 0;
    let maxInFlight = 0;
    const orig = cm.getContent.bind(cm);
    cm.getContent = async (cid) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((res) => setTimeout(res, 1));
      inFlight--;
      return orig(cid);
    };
    const parts: Uint8Array[] = [];
    for await (const c of r.stream({ prefetch: 2 })) {
      parts.push(c);
      await new Promise((res) => setTimeout(res, 2));
    }
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(maxInFlight).toBeGreaterThanOrEqual(1);
  });

  test("write errors surface from result()", async () => {
    const cm = new MemoryContentManager();
    cm.writeContent = async () => {
      throw new Error("disk full");
    };
    const om = new ObjectManager(cm, () => fixedSplitter(200));
    const w = om.newWriter();
    await expect(
      (async () => {
        await w.write(rand(5, 1));
        return w.result();
      })(),
    ).rejects.toThrow("disk full");
  });

  test("missing contents and wrong lengths are reported", async () => {
    const { cm, om } = mgr(1000);
    const id = await om.writeObject(rand(3500, 6));
    const r = await om.open(id);
    const first = parseObjectId(id);
    expect(first.indirection).toBe(1);
    // remove one data chunk
    const victim = [...cm.data.keys()].find((k) => !k.startsWith("x"))!;
    cm.data.delete(victim);
    await expect(r.readAll()).rejects.toThrow();
    expect(om.verifyObject(id)).resolves.toBeArray();
    await cm.deleteContent(victim);
    await expect(om.verifyObject(id)).rejects.toThrow(CorruptDataError);
    await expect(om.open("Ix" + "0".repeat(32))).rejects.toThrow();
  });

  test("lists that cannot converge fail instead of nesting forever", async () => {
    const { om } = mgr(64);
    await expect(om.writeObject(rand(64 * 40, 3))).rejects.toThrow(CorruptDataError);
  });

  test("verifyObject lists data and list contents", async () => {
    const { om } = mgr(1000);
    const id = await om.writeObject(rand(3500, 7));
    const ids = await om.verifyObject(id);
    expect(ids.length).toBe(5); // 4 chunks + 1 list
    expect(ids.filter((c) => c.startsWith("x")).length).toBe(1);
  });

  test("legacy Z objects are decompressed by header", async () => {
    const { cm, om } = mgr();
    const plain = new TextEncoder().encode("hello hello hello hello hello");
    for (const [hdr, body] of [
      [0x1000, gzipSync(plain)],
      [0x1101, zstdCompressSync(plain)],
    ] as const) {
      const payload = new Uint8Array(4 + body.length);
      new DataView(payload.buffer).setUint32(0, hdr);
      payload.set(body, 4);
      const cid = await cm.writeContent(payload, { prefix: "" });
      const r = await om.open("Z" + cid);
      expect(new TextDecoder().decode(await r.readAll())).toBe("hello hello hello hello hello");
    }
  });
});
