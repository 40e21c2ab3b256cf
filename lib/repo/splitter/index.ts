// Splitter registry (spec §5.1): names as stored in the repository config's `splitter` field.
import { UnsupportedAlgorithmError } from "../../errors.ts";
import { BuzhashSplitter } from "./buzhash.ts";
import { FixedSplitter } from "./fixed.ts";
import { RabinKarpSplitter } from "./rabinkarp.ts";
import type { Splitter } from "./types.ts";

export type { Splitter } from "./types.ts";
export { BuzhashSplitter } from "./buzhash.ts";
export { FixedSplitter } from "./fixed.ts";
export { RabinKarpSplitter } from "./rabinkarp.ts";

/** kopia's splitter.DefaultAlgorithm; an empty config field means "FIXED" (object manager rule). */
export const DEFAULT_SPLITTER = "DYNAMIC-4M-BUZHASH";

const SIZES: Record<string, number> = {
  "128K": 128 << 10,
  "256K": 256 << 10,
  "512K": 512 << 10,
  "1M": 1 << 20,
  "2M": 2 << 20,
  "4M": 4 << 20,
  "8M": 8 << 20,
};

const FACTORIES = new Map<string, () => Splitter>();
for (const [suffix, size] of Object.entries(SIZES)) {
  FACTORIES.set(`FIXED-${suffix}`, () => new FixedSplitter(size));
  FACTORIES.set(`DYNAMIC-${suffix}-BUZHASH`, () => new BuzhashSplitter(size));
  FACTORIES.set(`DYNAMIC-${suffix}-RABINKARP`, () => new RabinKarpSplitter(size));
}
FACTORIES.set("FIXED", () => new FixedSplitter(4 << 20));
FACTORIES.set("DYNAMIC", () => new BuzhashSplitter(4 << 20));

/** Every splitter name kopia v0.15 registers (all of them can be instantiated). */
export function supportedSplitters(): string[] {
  return [...FACTORIES.keys()].sort();
}

/** Upper bound of a chunk for a splitter name (sizes buffers before instantiating). */
export function maxSegmentSize(name: string): number {
  return createSplitter(name).maxSegmentSize;
}

export function createSplitter(name: string): Splitter {
  const f = FACTORIES.get(name);
  if (!f) throw new UnsupportedAlgorithmError("splitter", name);
  return f();
}
