// Deterministic ids and pseudo-randomness. Everything the simulator generates is a pure function of
// (seed, key), so two simulators with the same seed serve byte-identical tenants.

import { createHash } from "node:crypto";

/** 32-bit FNV-1a of a string, mixed with a seed. */
export function hash32(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** mulberry32 PRNG: small, fast and good enough for fake tenant data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** GUID-shaped id derived from seed + key. */
export function guid(seed: number, key: string): string {
  const h = createHash("sha256").update(`${seed}|${key}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Exchange-style opaque id ("AAMkAG…=") that carries `payload` so it can be decoded without a lookup table. */
export function exchangeId(prefix: string, payload: string): string {
  return prefix + Buffer.from(payload, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

export function decodeExchangeId(prefix: string, id: string): string | undefined {
  if (!id.startsWith(prefix)) return undefined;
  try {
    const s = Buffer.from(id.slice(prefix.length).replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    return s;
  } catch {
    return undefined;
  }
}

/** OneDrive-style item id: 34 upper-case base32 chars. */
export function driveItemId(seed: number, key: string): string {
  const h = createHash("sha256").update(`${seed}|item|${key}`).digest();
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "01";
  for (let i = 0; i < 32; i++) out += alphabet[h[i]! & 31];
  return out;
}

/** Business drive id: "b!" + 64 url-safe base64 chars. */
export function driveId(seed: number, key: string): string {
  const h = createHash("sha512").update(`${seed}|drive|${key}`).digest("base64");
  return "b!" + h.replace(/\+/g, "-").replace(/\//g, "_").slice(0, 64);
}

export function b64urlJson(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}

export function fromB64urlJson<T>(s: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as T;
  } catch {
    return undefined;
  }
}

export function isoNoMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
