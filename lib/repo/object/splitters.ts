// Bridge to the repository splitters (lib/repo/splitter, spec §5), plus a tiny fixed-size
// splitter for tests that need chunk sizes no real splitter offers.
import { createSplitter } from "../splitter/index.ts";
import type { Splitter, SplitterFactory } from "./object-writer.ts";

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

/** Factory for a named splitter; throws UnsupportedAlgorithmError for unknown names. */
export function splitterFactory(name: string): SplitterFactory {
  createSplitter(name); // validate eagerly
  return () => createSplitter(name);
}
