// Small byte helpers shared by the crypto primitives. node:crypto hands back Buffers; the
// rest of the code base speaks plain Uint8Array, so views are unwrapped without copying.

export function asU8(b: Uint8Array | ArrayBuffer): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (b.constructor === Uint8Array) return b;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const utf8 = new TextEncoder();

export function toBytes(s: Uint8Array | string): Uint8Array {
  return typeof s === "string" ? utf8.encode(s) : s;
}
