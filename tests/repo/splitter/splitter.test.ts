import { beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { BUZHASH_TABLE } from "../../../lib/repo/splitter/buzhash-table.ts";
import { RABINKARP_POLYNOMIAL } from "../../../lib/repo/splitter/rabinkarp.ts";
import {
  BuzhashSplitter, createSplitter, DEFAULT_SPLITTER, FixedSplitter, RabinKarpSplitter, supportedSplitters, type Splitter,
} from "../../../lib/repo/splitter/index.ts";
import { UnsupportedAlgorithmError } from "../../../lib/errors.ts";
import { kopia, kopia1 } from "../../crypto/kopia-helper.ts";
import { pseudoRandom } from "../../crypto/util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

type Stats = { minSplit: number; maxSplit: number; count: number };

// The three feeding strategies of kopia's splitter_test.go.
function splitWhole(data: Uint8Array, s: Splitter): Stats {
  let minSplit = 2 ** 31, maxSplit = 0, count = 0;
  while (data.length > 0) {
    const n = s.nextSplitPoint(data);
    if (n < 0) break;
    count++;
    maxSplit = Math.max(maxSplit, n);
    minSplit = Math.min(minSplit, n);
    data = data.subarray(n);
  }
  return { minSplit, maxSplit, count };
}

function splitByteByByte(data: Uint8Array, s: Splitter): Stats {
  let last = -1, minSplit = 2 ** 31, maxSplit = 0, count = 0;
  for (let i = 0; i < data.length; i++) {
    if (s.nextSplitPoint(data.subarray(i, i + 1)) === -1) continue;
    const l = i - last;
    maxSplit = Math.max(maxSplit, l);
    minSplit = Math.min(minSplit, l);
    count++;
    last = i;
  }
  return { minSplit, maxSplit, count };
}

function splitRandomSlices(data: Uint8Array, s: Splitter, seed: number): Stats {
  const sizes = pseudoRandom(data.length, seed);
  let last = -1, minSplit = 2 ** 31, maxSplit = 0, count = 0;
  for (let i = 0, r = 0; i < data.length; r++) {
    const num = Math.min(1 + ((sizes[r % sizes.length] * 4 + sizes[(r + 1) % sizes.length]) % 1000), data.length - i);
    const n = s.nextSplitPoint(data.subarray(i, i + num));
    if (n === -1) {
      i += num;
      continue;
    }
    const l = i + n - 1 - last;
    maxSplit = Math.max(maxSplit, l);
    minSplit = Math.min(minSplit, l);
    count++;
    last = i + n - 1;
    i += n;
  }
  return { minSplit, maxSplit, count };
}

/** Chunk lengths of a whole stream, including the final partial chunk. */
function chunkSizes(data: Uint8Array, s: Splitter): number[] {
  const out: number[] = [];
  while (data.length > 0) {
    const n = s.nextSplitPoint(data);
    if (n < 0) {
      out.push(data.length);
      break;
    }
    out.push(n);
    data = data.subarray(n);
  }
  return out;
}

/** Literal per-byte transcription of spec §5.2, without fast paths or slicing. */
function referenceBuzhash(data: Uint8Array, avg: number): number[] {
  const win = new Uint8Array(64);
  let sum = 0, count = 0, last = 0;
  const cuts: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const out = win[i & 63];
    win[i & 63] = data[i];
    sum = (((sum << 1) | (sum >>> 31)) ^ BUZHASH_TABLE[out] ^ BUZHASH_TABLE[data[i]]) >>> 0;
    count++;
    if ((count >= avg / 2 && (sum & (avg - 1)) === 0) || count >= avg * 2) {
      cuts.push(i + 1 - last);
      last = i + 1;
      count = 0;
    }
  }
  if (last < data.length) cuts.push(data.length - last);
  return cuts;
}

describe("splitters", () => {
  let seed5: Uint8Array;
  beforeAll(async () => {
    // Exactly kopia's TestSplitterStability input: Go math/rand NewSource(5), 5 000 000 bytes.
    seed5 = (await kopia1({ op: "rand", seed: 5, n: 5_000_000 })).out;
    expect(seed5.length).toBe(5_000_000);
  });

  // Expected values copied from kopia v0.15 repo/splitter/splitter_test.go TestSplitterStability.
  const CASES: { name: string; make: () => Splitter; count: number; avg: number; min: number; max: number }[] = [
    { name: "Fixed(1000)", make: () => new FixedSplitter(1000), count: 5000, avg: 1000, min: 1000, max: 1000 },
    { name: "Fixed(10000)", make: () => new FixedSplitter(10000), count: 500, avg: 10000, min: 10000, max: 10000 },
    { name: "buzhash 32", make: () => new BuzhashSplitter(32), count: 124235, avg: 40, min: 16, max: 64 },
    { name: "buzhash 1024", make: () => new BuzhashSplitter(1024), count: 3835, avg: 1303, min: 512, max: 2048 },
    { name: "buzhash 2048", make: () => new BuzhashSplitter(2048), count: 1924, avg: 2598, min: 1024, max: 4096 },
    { name: "buzhash 32768", make: () => new BuzhashSplitter(32768), count: 112, avg: 44642, min: 16413, max: 65536 },
    { name: "buzhash 65536", make: () => new BuzhashSplitter(65536), count: 57, avg: 87719, min: 32932, max: 131072 },
    { name: "rabinkarp 32", make: () => new RabinKarpSplitter(32), count: 124108, avg: 40, min: 16, max: 64 },
    { name: "rabinkarp 1024", make: () => new RabinKarpSplitter(1024), count: 3771, avg: 1325, min: 512, max: 2048 },
    { name: "rabinkarp 2048", make: () => new RabinKarpSplitter(2048), count: 1887, avg: 2649, min: 1028, max: 4096 },
    { name: "rabinkarp 32768", make: () => new RabinKarpSplitter(32768), count: 121, avg: 41322, min: 16896, max: 65536 },
    { name: "rabinkarp 65536", make: () => new RabinKarpSplitter(65536), count: 53, avg: 94339, min: 35875, max: 131072 },
  ];

  for (const tc of CASES) {
    test(`kopia TestSplitterStability: ${tc.name}`, () => {
      const s = tc.make();
      expect(s.maxSegmentSize).toBe(tc.max);
      const runs: [string, () => Stats][] = [
        ["whole", () => splitWhole(seed5, s)],
        ["byte-by-byte", () => splitByteByByte(seed5, s)],
        ["random slices", () => splitRandomSlices(seed5, s, 99)],
      ];
      for (const [how, run] of runs) {
        // kopia repeats every strategy; the slow per-byte ones run once here (reset is covered by "whole").
        for (let repeat = 0; repeat < (how === "whole" ? 2 : 1); repeat++) {
          s.reset(); // a reused (pooled) splitter must behave like a fresh one
          const st = run();
          expect({ how, count: st.count, avg: Math.floor(seed5.length / st.count), min: st.minSplit, max: st.maxSplit })
            .toEqual({ how, count: tc.count, avg: tc.avg, min: tc.min, max: tc.max });
        }
      }
    });
  }

  test("buzhash equals a literal transcription of spec §5.2 on varied data", () => {
    const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog ".repeat(3000));
    const inputs = [pseudoRandom(300_000, 3), text, new Uint8Array(50_000), new Uint8Array([...pseudoRandom(70_000, 4), ...text])];
    for (const data of inputs) {
      for (const avg of [64, 256, 4096]) {
        expect(chunkSizes(data, new BuzhashSplitter(avg))).toEqual(referenceBuzhash(data, avg));
      }
    }
  });

  test("registered splitters cut exactly where kopia's do", async () => {
    const mixed = new Uint8Array(12_000_000);
    mixed.set(seed5, 0);
    mixed.set(seed5.subarray(0, 3_000_000), 5_000_000); // duplicated region re-synchronises
    mixed.set(pseudoRandom(4_000_000, 8), 8_000_000);
    const names = ["DYNAMIC-128K-BUZHASH", "DYNAMIC-1M-BUZHASH", "DYNAMIC-4M-BUZHASH", "DYNAMIC", "FIXED-128K", "FIXED",
      "DYNAMIC-128K-RABINKARP", "DYNAMIC-2M-RABINKARP"];
    const res = await kopia(names.map((algo) => ({ op: "split" as const, algo, data: mixed })));
    names.forEach((name, i) => {
      expect(res[i].err).toBeUndefined();
      const ours = chunkSizes(mixed, createSplitter(name));
      expect(ours.length).toBeGreaterThan(1);
      expect(`${name}: ${ours.join(",")}`).toBe(`${name}: ${res[i].sizes.join(",")}`);
    });
  });

  test("rabin-karp uses the polynomial kopia derives (RandomPolynomial(1))", async () => {
    const p = await kopia1({ op: "rabinkarp-polynomial" });
    expect(RABINKARP_POLYNOMIAL.toString(16).padStart(16, "0")).toBe(Buffer.from(p.out).toString("hex"));
  });

  test("names: every kopia v0.15 splitter name, unknown ones refused clearly", () => {
    expect(DEFAULT_SPLITTER).toBe("DYNAMIC-4M-BUZHASH");
    expect(supportedSplitters().length).toBe(23);
    expect(createSplitter("DYNAMIC-8M-RABINKARP").maxSegmentSize).toBe(16 << 20);
    const d = createSplitter("DYNAMIC");
    expect([d.minSegmentSize, d.maxSegmentSize]).toEqual([2 << 20, 8 << 20]);
    const f = createSplitter("FIXED-512K");
    expect([f.minSegmentSize, f.maxSegmentSize]).toEqual([512 << 10, 512 << 10]);
    expect(() => createSplitter("DYNAMIC-4M-ADLER")).toThrow(UnsupportedAlgorithmError);
    expect(() => createSplitter("DYNAMIC-3M-BUZHASH")).toThrow('unsupported splitter algorithm "DYNAMIC-3M-BUZHASH"');
    expect(() => new BuzhashSplitter(1000)).toThrow(RangeError);
    expect(() => new RabinKarpSplitter(1000)).toThrow(RangeError);
  });

  test("empty input never cuts and leaves state unchanged", () => {
    const s = new BuzhashSplitter(1024);
    const a = chunkSizes(seed5.subarray(0, 100_000), s);
    s.reset();
    const b: number[] = [];
    let d = seed5.subarray(0, 100_000);
    while (d.length) {
      expect(s.nextSplitPoint(new Uint8Array(0))).toBe(-1);
      const n = s.nextSplitPoint(d);
      if (n < 0) { b.push(d.length); break; }
      b.push(n);
      d = d.subarray(n);
    }
    expect(b).toEqual(a);
  });
});
