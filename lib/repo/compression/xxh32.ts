// XXH32 (used by the LZ4 frame format for header and content checksums).
const P1 = 0x9e3779b1 | 0, P2 = 0x85ebca77 | 0, P3 = 0xc2b2ae3d | 0, P4 = 0x27d4eb2f | 0, P5 = 0x165667b1 | 0;
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const rd32 = (d: Uint8Array, i: number) => d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24);
const round = (acc: number, x: number) => Math.imul(rotl((acc + Math.imul(x, P2)) | 0, 13), P1);

export function xxh32(d: Uint8Array, seed = 0): number {
  const n = d.length;
  let i = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
    for (; i <= n - 16; i += 16) {
      v1 = round(v1, rd32(d, i));
      v2 = round(v2, rd32(d, i + 4));
      v3 = round(v3, rd32(d, i + 8));
      v4 = round(v4, rd32(d, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + n) | 0;
  for (; i <= n - 4; i += 4) h = Math.imul(rotl((h + Math.imul(rd32(d, i), P3)) | 0, 17), P4);
  for (; i < n; i++) h = Math.imul(rotl((h + Math.imul(d[i], P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
