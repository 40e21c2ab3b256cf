// zstd, gzip and raw-deflate codecs on node:zlib (Bun implements zstd natively).
// Level mapping from kopia's Go libraries: klauspost zstd SpeedFastest≈1, SpeedDefault≈3,
// SpeedBetterCompression≈7, SpeedBestCompression≈11; Go flate BestSpeed=1, Default=6, Best=9.
import * as zlib from "node:zlib";
import { CorruptDataError } from "../../errors.ts";
import { checkZstdFrames } from "./zstd-frames.ts";
import { NativeZstdCompressor, zstdCompressBound } from "./zstd-native.ts";

export interface Codec {
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
  /** Off-thread variants (libuv pool), so compression can overlap hashing/encryption/uploads. */
  compressAsync?(data: Uint8Array): Promise<Uint8Array>;
  decompressAsync?(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Writes the stream for `data` at out[off…] and returns its length, or -1 when this codec
   * cannot (then use compress()). Room of bound(data.length) bytes is always enough.
   */
  compressInto?(data: Uint8Array, out: Uint8Array, off: number): number;
  bound?(n: number): number;
}

type ZlibAsync = (buf: Uint8Array, opts: object, cb: (err: Error | null, out: Buffer) => void) => void;

function promisified(f: ZlibAsync, opts: object, kind?: string): (d: Uint8Array) => Promise<Uint8Array> {
  return (d) =>
    new Promise((resolve, reject) =>
      f(d, opts, (err, out) => {
        if (!err) return resolve(u8(out));
        if (!kind) return reject(err);
        reject(new CorruptDataError(`${kind}: corrupt compressed data (${err.message})`, { cause: err }));
      }),
    );
}

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function guard(kind: string, f: () => Buffer): Uint8Array {
  try {
    return u8(f());
  } catch (e) {
    throw new CorruptDataError(`${kind}: corrupt compressed data (${(e as Error).message})`, { cause: e });
  }
}

// one native context per level and thread, created on first use (undefined: not available)
const nativeCompressors = new Map<number, NativeZstdCompressor | undefined>();

export function zstdCodec(level: number): Codec {
  const opts = { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } };
  const unzstd = promisified(zlib.zstdDecompress as unknown as ZlibAsync, {}, "zstd");
  return {
    compressInto: (d, out, off) => {
      let c = nativeCompressors.get(level);
      if (!nativeCompressors.has(level) || (c && !c.usable)) nativeCompressors.set(level, (c = NativeZstdCompressor.create(level)));
      return c ? c.compressInto(d, out, off) : -1;
    },
    bound: zstdCompressBound,
    compress: (d) => u8(zlib.zstdCompressSync(d, opts)),
    decompress: (d) => {
      checkZstdFrames(d);
      return guard("zstd", () => zlib.zstdDecompressSync(d));
    },
    compressAsync: promisified(zlib.zstdCompress as unknown as ZlibAsync, opts),
    decompressAsync: async (d) => {
      checkZstdFrames(d);
      return unzstd(d);
    },
  };
}

export function gzipCodec(level: number): Codec {
  return {
    compress: (d) => u8(zlib.gzipSync(d, { level })),
    decompress: (d) => guard("gzip", () => zlib.gunzipSync(d)),
    compressAsync: promisified(zlib.gzip as unknown as ZlibAsync, { level }),
    decompressAsync: promisified(zlib.gunzip as unknown as ZlibAsync, {}, "gzip"),
  };
}

export function deflateCodec(level: number): Codec {
  return {
    compress: (d) => u8(zlib.deflateRawSync(d, { level })),
    decompress: (d) => guard("deflate", () => zlib.inflateRawSync(d)),
    compressAsync: promisified(zlib.deflateRaw as unknown as ZlibAsync, { level }),
    decompressAsync: promisified(zlib.inflateRaw as unknown as ZlibAsync, {}, "deflate"),
  };
}
