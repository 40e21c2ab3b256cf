import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  compress, compressAsync, compressionHeaderOf, decompressAsync, compressorHeaderId, compressorName, decompress, DEFAULT_COMPRESSOR, HEADER_IDS,
  supportedCompressors,
} from "../../../lib/repo/compression/index.ts";
import { crc32c } from "../../../lib/repo/compression/crc32c.ts";
import { lz4FrameDecompress } from "../../../lib/repo/compression/lz4.ts";
import { s2Decompress, type S2BlockStats } from "../../../lib/repo/compression/s2.ts";
import { s2Compress } from "../../../lib/repo/compression/s2-encode.ts";
import { xxh32 } from "../../../lib/repo/compression/xxh32.ts";
import { CorruptDataError, UnsupportedAlgorithmError } from "../../../lib/errors.ts";
import { kopia } from "../../crypto/kopia-helper.ts";
import { hex, pseudoRandom, utf8 } from "../../crypto/util.ts";
import { INPUTS, mixedInput, smallInput } from "./inputs.ts";
import { createXXHash32 } from "hash-wasm";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

const sha = (d: Uint8Array) => createHash("sha256").update(d).digest("hex");
const FIXTURES = join(import.meta.dir, "fixtures");
const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Record<
  string, { sha256: string; length: number; fixtures: string[] }
>;
const fixture = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
const ALL = Object.keys(HEADER_IDS);
const WRITABLE = ALL.filter((n) => n !== "lz4");

describe("compression headers", () => {
  test("ids of spec §6.2 in both directions", () => {
    expect(ALL.length).toBe(18);
    expect(compressorHeaderId("zstd-better-compression")).toBe(0x1102);
    expect(compressorHeaderId("s2-parallel-8")).toBe(0x1203);
    expect(compressorHeaderId("deflate-best-compression")).toBe(0x1502);
    for (const n of ALL) expect(compressorName(compressorHeaderId(n))).toBe(n);
    expect(DEFAULT_COMPRESSOR).toBe("zstd-better-compression");
    expect(supportedCompressors()).toEqual(WRITABLE);
  });

  test("unknown names and headers are UnsupportedAlgorithmError naming them", () => {
    expect(() => compressorHeaderId("brotli")).toThrow('unsupported compression algorithm "brotli"');
    expect(() => compressorHeaderId("toString")).toThrow(UnsupportedAlgorithmError);
    expect(() => compressorName(0x1600)).toThrow('unsupported compression algorithm "header 0x1600"');
    expect(() => decompress(new Uint8Array([0, 0, 0x16, 0, 1, 2]))).toThrow("header 0x1600");
    expect(() => compress("lz4", utf8("x"))).toThrow(UnsupportedAlgorithmError);
  });

  test("short payloads and header mismatches are CorruptDataError", () => {
    expect(() => decompress(new Uint8Array([0, 0, 0x11]))).toThrow(CorruptDataError);
    const z = compress("zstd", utf8("hello"));
    expect(compressionHeaderOf(z)).toBe(0x1100);
    expect(() => decompress(z, 0x1101)).toThrow("expected 0x1101, got 0x1100");
    expect(decompress(z, 0x1100)).toEqual(utf8("hello"));
  });
});

describe("fixtures produced by kopia v0.15's compressors decode", () => {
  for (const [input, m] of Object.entries(manifest)) {
    const data = INPUTS[input]();
    test(`input "${input}" regenerates exactly`, () => {
      expect(data.length).toBe(m.length);
      expect(createHash("sha256").update(data).digest("hex")).toBe(m.sha256);
    });
    for (const f of m.fixtures) {
      test(f, () => {
        const name = f.slice(input.length + 1, -4);
        const payload = fixture(f);
        expect(compressionHeaderOf(payload)).toBe(compressorHeaderId(name));
        const out = decompress(payload, compressorHeaderId(name));
        expect(out.length).toBe(data.length);
        expect(hex(createHash("sha256").update(out).digest())).toBe(m.sha256);
      });
    }
  }

  test("the multi-block S2 fixtures exercise copies and S2 repeat offsets", () => {
    for (const f of ["mixed.s2-default.bin", "mixed.s2-better.bin"]) {
      const stats: S2BlockStats = { literals: 0, copies: 0, repeats: 0 };
      const out = s2Decompress(fixture(f).subarray(4), stats);
      expect(sha(out)).toBe(sha(mixedInput()));
      expect(stats.copies).toBeGreaterThan(100);
      expect(stats.repeats).toBeGreaterThan(10);
    }
  });
});

describe("corrupt input never decodes silently", () => {
  // Raw deflate has no checksum, so (as in kopia) only truncation is detectable there; flips are
  // caught one layer up by AES-GCM authentication of the whole content.
  test("small.deflate-default.bin: truncation is CorruptDataError", () => {
    const good = fixture("small.deflate-default.bin");
    for (const cut of [1, 2, 5, 17, Math.floor(good.length / 2)]) {
      expect(() => decompress(good.subarray(0, good.length - cut))).toThrow(CorruptDataError);
    }
  });

  const cases = ["small.s2-default.bin", "small.zstd.bin", "small.zstd-fastest.bin", "small.gzip.bin", "small.pgzip.bin",
    "small.lz4.bin", "mixed.s2-better.bin", "mixed.lz4.bin"];
  for (const f of cases) {
    test(`${f}: truncation and bit flips are CorruptDataError`, () => {
      const good = fixture(f);
      const expected = decompress(good);
      for (const cut of [1, 2, 5, 17, Math.floor(good.length / 2)]) {
        expect(() => decompress(good.subarray(0, good.length - cut))).toThrow(CorruptDataError);
      }
      let detected = 0;
      for (const pos of [6, 12, Math.floor(good.length / 3), Math.floor(good.length / 2), good.length - 3]) {
        const bad = good.slice();
        bad[pos] ^= 0x10;
        try {
          const out = decompress(bad);
          // A flip may land in e.g. a gzip header field that is not checked: then output must still be right.
          expect(sha(out)).toBe(sha(expected));
        } catch (e) {
          expect(e).toBeInstanceOf(CorruptDataError);
          detected++;
        }
      }
      expect(detected).toBeGreaterThan(2);
    });
  }

  test("S2 framing errors: missing identifier, reserved chunk, bad checksum", () => {
    const s = s2Compress(smallInput());
    expect(() => s2Decompress(s.subarray(10))).toThrow("missing stream identifier");
    const reserved = new Uint8Array([...s.subarray(0, 10), 0x02, 0, 0, 0]);
    expect(() => s2Decompress(reserved)).toThrow("reserved unskippable chunk type 0x2");
    const skippable = new Uint8Array([...s.subarray(0, 10), 0xfe, 2, 0, 0, 9, 9, ...s.subarray(10)]);
    expect(s2Decompress(skippable)).toEqual(smallInput());
    const badCrc = s.slice();
    badCrc[14] ^= 1;
    expect(() => s2Decompress(badCrc)).toThrow("checksum mismatch");
  });
});

describe("our compressors", () => {
  const inputs = [new Uint8Array(0), utf8("a"), smallInput(), pseudoRandom(100_000, 5), new Uint8Array(3_000_000), mixedInput()];

  test("round-trip every writable compressor on varied inputs", () => {
    for (const name of WRITABLE) {
      for (const data of inputs) {
        const c = compress(name, data);
        expect(compressionHeaderOf(c)).toBe(compressorHeaderId(name));
        expect(sha(decompress(c))).toBe(sha(data));
      }
    }
  }, 120_000);

  test("async variants produce the same format and the same errors", async () => {
    const data = mixedInput();
    for (const name of WRITABLE) {
      const c = await compressAsync(name, data);
      expect(compressionHeaderOf(c)).toBe(compressorHeaderId(name));
      expect(sha(decompress(c))).toBe(sha(data));
      expect(sha(await decompressAsync(compress(name, data), compressorHeaderId(name)))).toBe(sha(data));
    }
    for (const f of ["small.zstd.bin", "small.gzip.bin", "small.deflate-default.bin", "small.s2-default.bin", "small.lz4.bin"]) {
      const good = fixture(f);
      expect(sha(await decompressAsync(good))).toBe(sha(decompress(good)));
      await expect(decompressAsync(good.subarray(0, good.length - 5))).rejects.toBeInstanceOf(CorruptDataError);
    }
    await expect(decompressAsync(new Uint8Array([0, 0, 0x16, 0]))).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
    await expect(compressAsync("lz4", data)).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
  }, 120_000);

  test("compressible data actually shrinks (zstd, s2, gzip, deflate)", () => {
    const data = mixedInput();
    for (const name of ["zstd-fastest", "zstd", "zstd-better-compression", "s2-default", "gzip", "deflate-default"]) {
      expect(compress(name, data).length).toBeLessThan(data.length / 3);
    }
  });

  test("kopia decodes everything we write", async () => {
    const reqs: { name: string; data: Uint8Array; payload: Uint8Array }[] = [];
    for (const name of WRITABLE) {
      for (const data of [new Uint8Array(0), smallInput(), mixedInput(), pseudoRandom(70_000, 9)]) {
        reqs.push({ name, data, payload: compress(name, data) });
      }
    }
    const res = await kopia(reqs.map((r) => ({ op: "decompress" as const, data: r.payload })));
    reqs.forEach((r, i) => {
      expect(`${r.name}: ${res[i].err ?? "ok"}`).toBe(`${r.name}: ok`);
      expect(res[i].out.length).toBe(r.data.length);
      expect(sha(res[i].out)).toBe(sha(r.data));
    });
  }, 120_000);

  test("we decode what live kopia writes for random and structured data", async () => {
    const datas = [pseudoRandom(1_500_000, 3), new Uint8Array(5_000_000).fill(7), smallInput()];
    const reqs = ALL.flatMap((algo) => datas.map((data) => ({ op: "compress" as const, algo, data })));
    const res = await kopia(reqs);
    reqs.forEach((r, i) => {
      expect(res[i].err).toBeUndefined();
      expect(decompress(res[i].out, compressorHeaderId(r.algo)).length).toBe(r.data.length);
      expect(sha(decompress(res[i].out))).toBe(sha(r.data));
    });
  }, 120_000);
});

describe("checksums", () => {
  test("CRC-32C check value and masked form", () => {
    expect(crc32c(utf8("123456789")).toString(16)).toBe("e3069283");
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  test("XXH32 matches hash-wasm at many lengths and seeds", async () => {
    for (const seed of [0, 1, 0x9e3779b1]) {
      const ref = await createXXHash32(seed);
      for (const n of [0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 1000, 65537]) {
        const d = pseudoRandom(n, n + seed);
        ref.init();
        ref.update(d);
        expect(xxh32(d, seed).toString(16).padStart(8, "0")).toBe(ref.digest("hex"));
      }
    }
  });

  test("lz4 rejects dictionaries and bad magic", () => {
    expect(() => lz4FrameDecompress(new Uint8Array([1, 2, 3, 4]))).toThrow("bad frame magic");
    const f = fixture("small.lz4.bin").subarray(4).slice();
    f[4] |= 1; // dictID flag
    expect(() => lz4FrameDecompress(f)).toThrow(CorruptDataError);
  });
});
