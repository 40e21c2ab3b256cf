// zstd into caller-owned buffers, through the native handle behind node:zlib's zstd streams.
//
// Why: `zlib.zstdCompressSync` collects 16 KiB output pieces and concatenates them into a fresh
// multi-MB buffer per call. Freed multi-MB buffers go back to the OS and are page-faulted in
// again on the next call: on the ingest path that was ~1,800 faults per 4 MiB chunk of
// incompressible data and ran at ~600 MB/s, against ~4 GB/s (and no faults) when the same
// native compressor writes into a recycled buffer. The handle's writeSync(flush, in, inOff,
// inLen, out, outOff, outLen) with `_writeState` = [availOut, availIn] is Node's zlib binding
// contract, which Bun implements; it is not a documented API, so every instance checks itself
// once (a probe frame must be the public API's and decode back) and callers fall back to the
// public API when it is missing or misbehaves. Frames are compressed one-shot (all output room
// offered at once), so beyond 16 KiB of output they can differ by a few bytes of block framing
// from zstdCompressSync's streamed frames: equally valid zstd, and contents are identified by
// the hash of their plaintext, so nothing depends on the compressed bytes.
import * as zlib from "node:zlib";

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset?(): void;
  onerror?: (message: string, errno: number) => void;
}

interface HandleStream {
  _handle?: NativeHandle;
  _writeState?: Uint32Array;
}

const ZSTD_E_END = 2;

/** ZSTD_COMPRESSBOUND: the largest frame zstd can produce for n input bytes. */
export function zstdCompressBound(n: number): number {
  return n + (n >>> 8) + (n < 128 << 10 ? ((128 << 10) - n) >>> 11 : 0);
}

function grab(stream: unknown): { h: NativeHandle; st: Uint32Array } | undefined {
  const s = stream as HandleStream;
  const h = s._handle;
  const st = s._writeState;
  if (!h || typeof h.writeSync !== "function" || !(st instanceof Uint32Array) || st.length < 2) return undefined;
  return { h, st };
}

/** One reusable compression context per level and thread. */
export class NativeZstdCompressor {
  private broken = false;
  private error: string | undefined;

  private constructor(
    private readonly h: NativeHandle,
    private readonly st: Uint32Array,
  ) {
    h.onerror = (message) => {
      this.error = message;
    };
  }

  /** Undefined when this runtime's zlib has no usable native handle (callers use zstdCompressSync). */
  static create(level: number): NativeZstdCompressor | undefined {
    try {
      const opts = { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } };
      const g = grab(zlib.createZstdCompress(opts));
      if (!g) return undefined;
      const c = new NativeZstdCompressor(g.h, g.st);
      // self-check: the same (small) frame as the public API, twice (the context must reset
      // per frame), and it decodes back
      const probe = new TextEncoder().encode("corso zstd probe ".repeat(64));
      const want = zlib.zstdCompressSync(probe, opts);
      const out = new Uint8Array(zstdCompressBound(probe.length));
      for (let i = 0; i < 2; i++) {
        const n = c.compressInto(probe, out, 0);
        if (n !== want.length || Buffer.compare(out.subarray(0, n), want) !== 0) return undefined;
      }
      if (Buffer.compare(zlib.zstdDecompressSync(out.subarray(0, want.length)), probe) !== 0) return undefined;
      return c;
    } catch {
      return undefined;
    }
  }

  get usable(): boolean {
    return !this.broken;
  }

  /**
   * Writes one complete zstd frame of `input` at out[outOff…]; returns its length, or -1 when it
   * did not fit or the handle failed (the caller then uses zstdCompressSync). Give it at least
   * zstdCompressBound(input.length) bytes of room and it always fits.
   */
  compressInto(input: Uint8Array, out: Uint8Array, outOff: number): number {
    if (this.broken) return -1;
    const { h, st } = this;
    let inOff = 0;
    let inLen = input.length;
    let pos = outOff;
    try {
      for (;;) {
        const room = out.length - pos;
        if (room <= 0) return this.abandon();
        this.error = undefined;
        h.writeSync(ZSTD_E_END, input, inOff, inLen, out, pos, room);
        if (this.error !== undefined) return this.fail();
        const availOut = st[0];
        const availIn = st[1];
        pos += room - availOut;
        inOff += inLen - availIn;
        inLen = availIn;
        // with e_end, room left over means the frame is complete
        if (availOut > 0) {
          if (inLen !== 0) return this.fail();
          return pos - outOff;
        }
      }
    } catch {
      return this.fail();
    }
  }

  /** Output did not fit: drop the half-written frame so the next call starts clean. */
  private abandon(): number {
    try {
      if (typeof this.h.reset === "function") this.h.reset();
      else this.broken = true;
    } catch {
      this.broken = true;
    }
    return -1;
  }

  private fail(): number {
    this.broken = true;
    return -1;
  }
}
