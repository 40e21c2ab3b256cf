// zstd, gzip and raw-deflate codecs on node:zlib (Bun implements zstd natively).
// Level mapping from kopia's Go libraries: klauspost zstd SpeedFastest≈1, SpeedDefault≈3,
// SpeedBetterCompression≈7, SpeedBestCompression≈11; Go flate BestSpeed=1, Default=6, Best=9.
import * as zlib from "node:zlib";
import { CorruptDataError } from "../../errors.ts";
import { checkZstdFrames } from "./zstd-frames.ts";

export interface Codec {
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function guard(kind: string, f: () => Buffer): Uint8Array {
  try {
    return u8(f());
  } catch (e) {
    throw new CorruptDataError(`${kind}: corrupt compressed data (${(e as Error).message})`, { cause: e });
  }
}

export function zstdCodec(level: number): Codec {
  return {
    compress: (d) => u8(zlib.zstdCompressSync(d, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } })),
    decompress: (d) => {
      checkZstdFrames(d);
      return guard("zstd", () => zlib.zstdDecompressSync(d));
    },
  };
}

export function gzipCodec(level: number): Codec {
  return {
    compress: (d) => u8(zlib.gzipSync(d, { level })),
    decompress: (d) => guard("gzip", () => zlib.gunzipSync(d)),
  };
}

export function deflateCodec(level: number): Codec {
  return {
    compress: (d) => u8(zlib.deflateRawSync(d, { level })),
    decompress: (d) => guard("deflate", () => zlib.inflateRawSync(d)),
  };
}
