// FIXED-* splitters: cut every `size` bytes (spec §5.1).
import type { Splitter } from "./types.ts";

export class FixedSplitter implements Splitter {
  private cur = 0;
  constructor(private readonly size: number) {}

  get minSegmentSize(): number {
    return this.size;
  }

  get maxSegmentSize(): number {
    return this.size;
  }

  nextSplitPoint(data: Uint8Array): number {
    const need = this.size - this.cur;
    if (data.length < need) {
      this.cur += data.length;
      return -1;
    }
    this.cur = 0;
    return need;
  }

  reset(): void {
    this.cur = 0;
  }
}
