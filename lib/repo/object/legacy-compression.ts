// Decompression of legacy object-level compressed chunks ("Z" object IDs, index v1 repos,
// spec §6.3): payload = u32be(headerID) || stream. Only the formats node:zlib can decode are
// supported; S2 and LZ4 streams are reported as unsupported.
import { gunzipSync, inflateRawSync, zstdDecompressSync } from "node:zlib";
import { CorruptDataError, UnsupportedAlgorithmError } from "../../errors.ts";

export function decompressByHeader(payload: Uint8Array): Uint8Array {
  if (payload.length < 4) throw new CorruptDataError("compressed payload shorter than its header");
  const header = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
  const body = payload.subarray(4);
  try {
    switch (header >>> 8) {
      case 0x10: // gzip family
      case 0x13: // pgzip writes gzip format
        return new Uint8Array(gunzipSync(body));
      case 0x11:
        return new Uint8Array(zstdDecompressSync(body));
      case 0x15:
        return new Uint8Array(inflateRawSync(body));
    }
  } catch (e) {
    throw new CorruptDataError(`decompression failed (header 0x${header.toString(16)}): ${(e as Error).message}`);
  }
  throw new UnsupportedAlgorithmError("compression", `header 0x${header.toString(16)}`);
}
