// The 4-byte big-endian header Corso puts in front of every stored item stream
// (common/readers/serialization_version.go): low 16 bits = format version (1), top bit =
// "deleted in flight" (then the body is empty).
import { CorruptDataError } from "../errors.ts";

export const SERIALIZATION_VERSION = 1;
export const DELETED_IN_FLIGHT = 0x80000000;

export function serializationHeader(version = SERIALIZATION_VERSION, deletedInFlight = false): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, ((deletedInFlight ? DELETED_IN_FLIGHT : 0) | (version & 0xffff)) >>> 0);
  return b;
}

export function withHeader(body: Uint8Array | string): Uint8Array {
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const out = new Uint8Array(4 + payload.length);
  out.set(serializationHeader(), 0);
  out.set(payload, 4);
  return out;
}

export interface DecodedItem {
  version: number;
  deletedInFlight: boolean;
  body: Uint8Array;
}

export function stripHeader(data: Uint8Array, what = "item"): DecodedItem {
  if (data.length < 4) throw new CorruptDataError(`${what}: stored item shorter than its 4-byte header`);
  const v = new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
  const version = v & 0xffff;
  if (version === 0 || version > SERIALIZATION_VERSION) throw new CorruptDataError(`${what}: unsupported serialization version ${version}`);
  return { version, deletedInFlight: (v & DELETED_IN_FLIGHT) !== 0, body: data.subarray(4) };
}
