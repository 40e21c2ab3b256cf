// Splitter contract (spec §5). Mirrors kopia's Splitter.NextSplitPoint: state carries across calls,
// so a stream can be fed in arbitrary slices and yields the same boundaries.
export interface Splitter {
  readonly minSegmentSize: number;
  readonly maxSegmentSize: number;
  /**
   * Number of bytes of `data` that complete the current chunk (the cut goes after them), or -1
   * when all of `data` belongs to the current chunk. After a cut, call again with the rest.
   */
  nextSplitPoint(data: Uint8Array): number;
  /** Back to the state of a fresh splitter. */
  reset(): void;
}
