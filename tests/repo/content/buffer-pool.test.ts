import { describe, expect, test } from "bun:test";
import { BIG_CLASS, BufferPool, MIN_POOLED, sizeClass } from "../../../lib/repo/content/buffer-pool.ts";

const MIB = 1 << 20;

describe("sizeClass", () => {
  test("powers of two below 1 MiB, one class up to 8 MiB + 64 KiB, whole MiB above", () => {
    expect(sizeClass(1)).toBe(MIN_POOLED);
    expect(sizeClass(MIN_POOLED)).toBe(MIN_POOLED);
    expect(sizeClass(MIN_POOLED + 1)).toBe(2 * MIN_POOLED);
    expect(sizeClass(MIB - 1)).toBe(MIB);
    expect(sizeClass(MIB)).toBe(BIG_CLASS);
    expect(sizeClass(3 * MIB + 5)).toBe(BIG_CLASS);
    expect(sizeClass(8 * MIB + 64)).toBe(BIG_CLASS);
    expect(sizeClass(BIG_CLASS)).toBe(BIG_CLASS);
    expect(sizeClass(BIG_CLASS + 1)).toBe(9 * MIB);
    expect(sizeClass(20 * MIB + 1)).toBe(21 * MIB);
  });
});

describe("BufferPool", () => {
  test("any chunk-sized spare serves any chunk job; never smaller than asked", () => {
    const p = new BufferPool(4);
    const a = p.takeOrAllocate(2 * MIB);
    expect(a.byteLength).toBe(BIG_CLASS);
    p.give(a);
    expect(p.take(7.9 * MIB)).toBe(a);
    expect(p.take(MIB)).toBeUndefined();
  });

  test("a small job is served from its class or up to 4× larger, never from a chunk-sized spare", () => {
    const p = new BufferPool(4);
    const big = new ArrayBuffer(BIG_CLASS);
    p.give(big);
    expect(p.take(20_000)).toBeUndefined(); // 32 KiB class: 32, 64, 128 KiB only
    const b128 = new ArrayBuffer(128 << 10);
    p.give(b128);
    expect(p.take(20_000)).toBe(b128);
    const b256 = new ArrayBuffer(256 << 10);
    p.give(b256);
    expect(p.take(20_000)).toBeUndefined();
    expect(p.take(100_000)).toBe(b256);
  });

  test("limits: chunk-sized spares by count, small ones by bytes; tiny buffers are not kept", () => {
    const p = new BufferPool(2, 64 << 10);
    for (let i = 0; i < 5; i++) p.give(new ArrayBuffer(BIG_CLASS));
    expect(p.spareCount).toBe(2);
    p.give(new ArrayBuffer(32 << 10));
    p.give(new ArrayBuffer(32 << 10));
    p.give(new ArrayBuffer(32 << 10)); // over 64 KiB of small spares
    p.give(new ArrayBuffer(1000));
    expect(p.spareCount).toBe(4);
    expect(p.take(BIG_CLASS)).toBeDefined();
    expect(p.take(BIG_CLASS)).toBeDefined();
    expect(p.take(BIG_CLASS)).toBeUndefined();
    p.give(new ArrayBuffer(BIG_CLASS)); // room again after taking
    expect(p.spareCount).toBe(3);
  });

  test("odd-sized buffers are filed so a take never returns less than asked", () => {
    const p = new BufferPool(4);
    const odd = new ArrayBuffer(100_000); // between the 64 and 128 KiB classes
    p.give(odd);
    expect(p.take(100_001)).toBeUndefined(); // 128 KiB class would need ≥ 128 KiB
    expect(p.take(60_000)).toBe(odd);
    const oddBig = new ArrayBuffer(3 * MIB); // below BIG_CLASS: cannot serve a chunk job
    p.give(oddBig);
    expect(p.take(2 * MIB)).toBeUndefined();
    const huge = new ArrayBuffer(12 * MIB + 5);
    p.give(huge);
    expect(p.take(12 * MIB)).toBe(huge);
  });

  test("random take/give traffic: every buffer handed out is big enough and not handed out twice", () => {
    const p = new BufferPool(6, 2 * MIB);
    const out = new Set<ArrayBuffer>();
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 5000; i++) {
      if (out.size > 0 && rnd() < 0.5) {
        const b = [...out][Math.floor(rnd() * out.size)];
        out.delete(b);
        p.give(b);
      } else {
        const n = rnd() < 0.5 ? Math.floor(rnd() * 200_000) + 1 : Math.floor(rnd() * 8 * MIB) + 1;
        const b = p.takeOrAllocate(n);
        expect(b.byteLength).toBeGreaterThanOrEqual(n);
        expect(out.has(b)).toBe(false);
        out.add(b);
      }
    }
  });
});
