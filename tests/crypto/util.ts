// Shared helpers for the crypto/compression/splitter tests.
export const hex = (u: Uint8Array): string => Buffer.from(u).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic pseudo-random bytes (xorshift32) so failures are reproducible. */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lengths around every block/chunk boundary that matters to the hash and AEAD code paths. */
export const INTERESTING_LENGTHS = [0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 1023, 1024, 1025, 4096, 65535, 65536, 65537, 200_000];
