// Compressor names and their 4-byte header IDs (spec §6.2). The header is stored big-endian in
// front of every compressed payload and, as compressionHeaderID, in index v2 entries (0 = none).
import { UnsupportedAlgorithmError } from "../../errors.ts";

export const HEADER_IDS: Readonly<Record<string, number>> = Object.freeze({
  gzip: 0x1000,
  "gzip-best-speed": 0x1001,
  "gzip-best-compression": 0x1002,
  zstd: 0x1100,
  "zstd-fastest": 0x1101,
  "zstd-better-compression": 0x1102,
  "zstd-best-compression": 0x1103,
  "s2-default": 0x1200,
  "s2-better": 0x1201,
  "s2-parallel-4": 0x1202,
  "s2-parallel-8": 0x1203,
  pgzip: 0x1300,
  "pgzip-best-speed": 0x1301,
  "pgzip-best-compression": 0x1302,
  lz4: 0x1400,
  "deflate-default": 0x1500,
  "deflate-best-speed": 0x1501,
  "deflate-best-compression": 0x1502,
});

const NAMES = new Map<number, string>(Object.entries(HEADER_IDS).map(([n, id]) => [id, n]));

/** Header ID for a compressor name; UnsupportedAlgorithmError for unknown names. */
export function compressorHeaderId(name: string): number {
  const id = Object.hasOwn(HEADER_IDS, name) ? HEADER_IDS[name] : undefined;
  if (id === undefined) throw new UnsupportedAlgorithmError("compression", name);
  return id;
}

/** Compressor name for a header ID; UnsupportedAlgorithmError naming the ID in hex otherwise. */
export function compressorName(id: number): string {
  const n = NAMES.get(id);
  if (n === undefined) throw new UnsupportedAlgorithmError("compression", `header 0x${id.toString(16).padStart(4, "0")}`);
  return n;
}

export const COMPRESSION_HEADER_SIZE = 4;
