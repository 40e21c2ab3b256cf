// The zstd fast path writes into caller-owned buffers through node:zlib's native handle. Its
// frames are one-shot (the whole output room is offered at once), so for inputs whose frame
// exceeds 16 KiB they may differ from zstdCompressSync's streamed frames (which get 16 KiB of
// room per call) — both are valid zstd; what must hold is exact round trips, determinism, the
// compress bound, and recovery from every refusal.
import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import {
  compress, compressTransient, decompress, supportedCompressors,
} from "../../../lib/repo/compression/index.ts";
import { NativeZstdCompressor, zstdCompressBound } from "../../../lib/repo/compression/zstd-native.ts";
import { pseudoRandom } from "../../crypto/util.ts";
import { mixedInput, smallInput } from "./inputs.ts";

const level = (n: number) => ({ params: { [zlib.constants.ZSTD_c_compressionLevel]: n } });

const samples: Record<string, () => Uint8Array> = {
  empty: () => new Uint8Array(0),
  one: () => new Uint8Array([7]),
  small: smallInput,
  mixed: mixedInput,
  random4m: () => pseudoRandom(4 << 20, 9),
  zeros: () => new Uint8Array(3 << 20),
};

describe("NativeZstdCompressor", () => {
  for (const lvl of [1, 3, 4, 11]) {
    test(`level ${lvl}: frame after frame decodes exactly and is deterministic`, () => {
      const c = NativeZstdCompressor.create(lvl);
      expect(c).toBeDefined();
      const out = new Uint8Array(zstdCompressBound(4 << 20) + 100);
      for (const [name, make] of Object.entries(samples)) {
        const data = make();
        const n = c!.compressInto(data, out, 100);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(zstdCompressBound(data.length));
        const frame = Uint8Array.from(out.subarray(100, 100 + n));
        expect({ name, equal: Buffer.compare(zlib.zstdDecompressSync(frame), data) === 0 }).toEqual({ name, equal: true });
        // the context starts every frame afresh: the same input gives the same frame again
        expect(c!.compressInto(data, out, 0)).toBe(n);
        expect(Buffer.compare(out.subarray(0, n), frame)).toBe(0);
        // small frames are exactly the public API's (both fit one 16 KiB output piece)
        const want = zlib.zstdCompressSync(data, level(lvl));
        if (want.length < 16384) expect(Buffer.compare(frame, want)).toBe(0);
        // one-shot frames are never larger than the streamed ones (a few bytes of block framing)
        expect(n).toBeLessThanOrEqual(want.length);
      }
    });
  }

  test("zstdCompressBound is never exceeded (incompressible input of many sizes)", () => {
    const c = NativeZstdCompressor.create(1)!;
    for (const size of [0, 1, 100, 4095, 65536, 131071, 131072, 131073, 1 << 20, (4 << 20) + 3]) {
      const data = pseudoRandom(size, size + 1);
      const out = new Uint8Array(zstdCompressBound(size));
      const n = c.compressInto(data, out, 0);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(zstdCompressBound(size));
      expect(Buffer.from(zlib.zstdDecompressSync(out.subarray(0, n))).equals(Buffer.from(data))).toBe(true);
    }
  });

  test("too little room returns -1 and the next frame is still exact", () => {
    const c = NativeZstdCompressor.create(1)!;
    const data = pseudoRandom(1 << 20, 3);
    expect(c.compressInto(data, new Uint8Array(1000), 0)).toBe(-1);
    expect(c.compressInto(data, new Uint8Array(zstdCompressBound(data.length)), zstdCompressBound(data.length))).toBe(-1);
    const text = mixedInput();
    const out = new Uint8Array(zstdCompressBound(text.length));
    const n = c.compressInto(text, out, 0);
    expect(c.usable).toBe(true);
    expect(Buffer.compare(zlib.zstdDecompressSync(out.subarray(0, n)), text)).toBe(0);
  });
});

describe("compressTransient", () => {
  test("same header and contents as compress() for every writable compressor", () => {
    const data = mixedInput();
    for (const name of supportedCompressors()) {
      const want = compress(name, data);
      const got = compressTransient(name, data);
      expect({ name, header: Buffer.from(got.subarray(0, 4)).toString("hex") }).toEqual({ name, header: Buffer.from(want.subarray(0, 4)).toString("hex") });
      expect({ name, ok: Buffer.compare(decompress(got), data) === 0 }).toEqual({ name, ok: true });
      // non-zstd codecs have no native path: the very same bytes
      if (!name.startsWith("zstd")) expect(Buffer.compare(got, want)).toBe(0);
      else expect(got.length).toBeLessThanOrEqual(want.length);
    }
  });

  test("the result is reused by the next call (callers must consume it first)", () => {
    const a = compressTransient("zstd-fastest", smallInput());
    const copy = Uint8Array.from(a);
    const b = compressTransient("zstd-fastest", pseudoRandom(50_000, 4));
    expect(a.buffer).toBe(b.buffer);
    expect(Buffer.compare(copy, compress("zstd-fastest", smallInput()))).toBe(0); // < 16 KiB: identical
  });

  test("inputs larger than the kept scratch still compress exactly", () => {
    const big = pseudoRandom(20 << 20, 5);
    const got = compressTransient("zstd-fastest", big);
    expect(Buffer.compare(decompress(got), big)).toBe(0);
  });
});
