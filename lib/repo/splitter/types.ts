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

/** Slides a rolling hash's window history `hist` forward over b[0..upto): afterwards it holds the
 * last hist.length bytes seen, so the next call can roll bytes out of the window. */
export function slideWindowHistory(hist: Uint8Array, b: Uint8Array, upto: number): void {
  const w = hist.length;
  if (upto >= w) {
    hist.set(b.subarray(upto - w, upto));
  } else if (upto > 0) {
    hist.copyWithin(0, upto);
    hist.set(b.subarray(0, upto), w - upto);
  }
}
