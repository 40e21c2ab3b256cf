// Bridge to the repository splitters (lib/repo/splitter, spec §5).
// TEMPORARY: fixed-size splitters only, until lib/repo/splitter lands.
import { UnsupportedAlgorithmError } from "../../errors.ts";
import type { Splitter, SplitterFactory } from "./object-writer.ts";

const FIXED: Record<string, number> = {
  FIXED: 4 << 20,
  "FIXED-128K": 128 << 10,
  "FIXED-256K": 256 << 10,
  "FIXED-512K": 512 << 10,
  "FIXED-1M": 1 << 20,
  "FIXED-2M": 2 << 20,
  "FIXED-4M": 4 << 20,
  "FIXED-8M": 8 << 20,
};

export function fixedSplitter(size: number): Splitter {
  let cur = 0;
  return {
    minSegmentSize: size,
    maxSegmentSize: size,
    nextSplitPoint(data: Uint8Array): number {
      const need = size - cur;
      if (data.length >= need) {
        cur = 0;
        return need;
      }
      cur += data.length;
      return -1;
    },
    reset() {
      cur = 0;
    },
  };
}

export function splitterFactory(name: string): SplitterFactory {
  const size = FIXED[name];
  if (size === undefined) throw new UnsupportedAlgorithmError("splitter", name);
  return () => fixedSplitter(size);
}
