// Content compression (spec §6): payload = u32be(headerID) || stream. compress() writes it,
// decompress() dispatches on the header. Everything kopia can write is readable here; writing
// is supported for all names except lz4 (deprecated in kopia) — see supportedCompressors().
import { CorruptDataError, UnsupportedAlgorithmError } from "../../errors.ts";
import { COMPRESSION_HEADER_SIZE, compressorHeaderId, compressorName, HEADER_IDS } from "./headers.ts";
import { lz4FrameDecompress } from "./lz4.ts";
import { s2Decompress } from "./s2.ts";
import { s2Compress } from "./s2-encode.ts";
import { type Codec, deflateCodec, gzipCodec, zstdCodec } from "./zlib-codecs.ts";

export { COMPRESSION_HEADER_SIZE, compressorHeaderId, compressorName, HEADER_IDS } from "./headers.ts";

/** Corso's default for item data (spec §6.2) and kopia's forced metadata compressor (§6.3). */
export const DEFAULT_COMPRESSOR = "zstd-better-compression";
export const METADATA_COMPRESSOR = "zstd-fastest";

const s2: Codec = { compress: s2Compress, decompress: s2Decompress };
const readOnly = (kind: string, decompress: (d: Uint8Array) => Uint8Array): Codec => ({
  compress: () => {
    throw new UnsupportedAlgorithmError("compression (write)", kind);
  },
  decompress,
});

const CODECS: Record<number, Codec> = {
  0x1000: gzipCodec(6),
  0x1001: gzipCodec(1),
  0x1002: gzipCodec(9),
  0x1100: zstdCodec(3),
  0x1101: zstdCodec(1),
  // klauspost's SpeedBetterCompression is far faster than libzstd level 7 (13 MB/s on mail text here);
  // level 4 keeps Corso's default compressor near restic's ingest speed at ~8 % larger output.
  0x1102: zstdCodec(4),
  0x1103: zstdCodec(11),
  0x1200: s2,
  0x1201: s2,
  0x1202: s2,
  0x1203: s2,
  0x1300: gzipCodec(6),
  0x1301: gzipCodec(1),
  0x1302: gzipCodec(9),
  0x1400: readOnly("lz4", lz4FrameDecompress),
  0x1500: deflateCodec(6),
  0x1501: deflateCodec(1),
  0x1502: deflateCodec(9),
};

/** Names compress() accepts. */
export function supportedCompressors(): string[] {
  return Object.keys(HEADER_IDS).filter((n) => n !== "lz4");
}

/** Compresses `data` with the named compressor; returns header || stream. */
export function compress(name: string, data: Uint8Array): Uint8Array {
  const id = compressorHeaderId(name);
  const body = CODECS[id].compress(data);
  const out = new Uint8Array(COMPRESSION_HEADER_SIZE + body.length);
  new DataView(out.buffer).setUint32(0, id);
  out.set(body, COMPRESSION_HEADER_SIZE);
  return out;
}

// compressTransient()'s output buffer, one per thread (each worker has its own module state)
let scratch: Uint8Array | undefined;
/** Larger scratch buffers are not kept between calls (chunks are ≤ 8 MiB with kopia's splitters). */
const SCRATCH_KEEP = 16 << 20;

/**
 * compress() into a buffer this module reuses: the result is only valid until the next
 * compressTransient() call in the same thread, so consume it (encrypt, copy) before any await.
 * Saves the fresh multi-MB output buffers (and their page faults) of compress() per chunk;
 * same bytes as compress().
 */
export function compressTransient(name: string, data: Uint8Array): Uint8Array {
  const id = compressorHeaderId(name);
  const codec = CODECS[id];
  if (!codec.compressInto || !codec.bound) return compress(name, data);
  const need = COMPRESSION_HEADER_SIZE + codec.bound(data.length);
  let buf = scratch;
  if (!buf || buf.length < need) {
    buf = new Uint8Array(Math.ceil(need / (1 << 20)) * (1 << 20));
    scratch = buf.length <= SCRATCH_KEEP ? buf : undefined;
  }
  const n = codec.compressInto(data, buf, COMPRESSION_HEADER_SIZE);
  if (n < 0) return compress(name, data);
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint32(0, id);
  return buf.subarray(0, COMPRESSION_HEADER_SIZE + n);
}

/** compress() off the JS thread where the codec allows (zstd, gzip, deflate); same output format. */
export async function compressAsync(name: string, data: Uint8Array): Promise<Uint8Array> {
  const id = compressorHeaderId(name);
  const codec = CODECS[id];
  const body = codec.compressAsync ? await codec.compressAsync(data) : codec.compress(data);
  const out = new Uint8Array(COMPRESSION_HEADER_SIZE + body.length);
  new DataView(out.buffer).setUint32(0, id);
  out.set(body, COMPRESSION_HEADER_SIZE);
  return out;
}

/** decompress() off the JS thread where the codec allows; same checks and errors. */
export async function decompressAsync(data: Uint8Array, expectedHeaderId?: number): Promise<Uint8Array> {
  const id = checkedHeader(data, expectedHeaderId);
  const codec = CODECS[id];
  const body = data.subarray(COMPRESSION_HEADER_SIZE);
  return codec.decompressAsync ? codec.decompressAsync(body) : codec.decompress(body);
}

function checkedHeader(data: Uint8Array, expectedHeaderId?: number): number {
  const id = compressionHeaderOf(data);
  if (expectedHeaderId !== undefined && id !== expectedHeaderId) {
    throw new CorruptDataError(
      `invalid compression header: expected 0x${expectedHeaderId.toString(16)}, got 0x${id.toString(16)}`,
    );
  }
  compressorName(id); // throws UnsupportedAlgorithmError naming the header
  return id;
}

/** Reads the header ID of a compressed payload. */
export function compressionHeaderOf(data: Uint8Array): number {
  if (data.length < COMPRESSION_HEADER_SIZE) {
    throw new CorruptDataError(`compressed payload too short for its header (${data.length} bytes)`);
  }
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

/**
 * Decompresses header || stream, dispatching on the header. If `expectedHeaderId` is given (the
 * index entry's compressionHeaderID) a mismatch is corruption, as in kopia's Decompress.
 */
export function decompress(data: Uint8Array, expectedHeaderId?: number): Uint8Array {
  const id = checkedHeader(data, expectedHeaderId);
  return CODECS[id].decompress(data.subarray(COMPRESSION_HEADER_SIZE));
}
