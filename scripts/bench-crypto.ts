// Throughput of the crypto/compression/splitter primitives, ours vs the pure-JS @noble reference.
//   bun scripts/bench-crypto.ts            (≈30 s; prints a markdown table)
// Results are machine-dependent; recorded figures live in docs/PERFORMANCE.md.
import { gcm } from "@noble/ciphers/aes.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createEncryptor } from "../lib/crypto/encryption.ts";
import { createHashFunc } from "../lib/crypto/hash.ts";
import { randomBytes } from "../lib/crypto/random.ts";
import { compress, decompress } from "../lib/repo/compression/index.ts";
import { createSplitter } from "../lib/repo/splitter/index.ts";

const MB = 1 << 20;

function mbps(bytes: number, f: () => void, minMs = 1500): number {
  f(); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    f();
    n++;
    t = performance.now();
  }
  return (bytes * n) / MB / ((t - t0) / 1000);
}

/** Mail-like text: random word choices and numbers (not a repeated block, which flatters LZ). */
function textLike(n: number): Uint8Array {
  const words = ["subject", "from", "to", "meeting", "report", "quarterly", "budget", "the", "and", "of", "attached", "please",
    "regards", "thanks", "schedule", "review", "project", "team", "update", "draft"];
  const r = randomBytes(n);
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = i % 9 === 8 ? `${r[i] * 37 + r[i + 1]}\n` : `${words[r[i] % words.length]} `;
    parts.push(w);
    len += w.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, n);
}

const rows: [string, string, string][] = [];
const row = (what: string, ours: number, ref?: number) =>
  rows.push([what, ours.toFixed(0), ref === undefined ? "—" : `${ref.toFixed(0)} (×${(ours / ref).toFixed(1)})`]);

const secret = randomBytes(32);
const big = randomBytes(4 * MB);
const small = randomBytes(4096);

const h = await createHashFunc("BLAKE2B-256-128", secret);
row("BLAKE2B-256-128, 4 MiB", mbps(big.length, () => h(big)), mbps(big.length, () => blake2b(big, { key: secret, dkLen: 32 })));
row("BLAKE2B-256-128, 4 KiB", mbps(small.length, () => h(small)), mbps(small.length, () => blake2b(small, { key: secret, dkLen: 32 })));

const enc = createEncryptor("AES256-GCM-HMAC-SHA256", randomBytes(32));
const kds = hkdf(sha256, randomBytes(32), new TextEncoder().encode("encryption"), new Uint8Array(0), 32);
const iv = randomBytes(16);
const nobleEnc = (pt: Uint8Array) => gcm(hmac(sha256, kds, iv), randomBytes(12), iv).encrypt(pt);
const ct = enc.encrypt(big, iv);
row("AES256-GCM-HMAC-SHA256 encrypt, 4 MiB", mbps(big.length, () => enc.encrypt(big, iv)), mbps(big.length, () => nobleEnc(big), 3000));
row("AES256-GCM-HMAC-SHA256 decrypt, 4 MiB", mbps(big.length, () => enc.decrypt(ct, iv)));
row("AES256-GCM-HMAC-SHA256 encrypt, 4 KiB", mbps(small.length, () => enc.encrypt(small, iv)), mbps(small.length, () => nobleEnc(small)));
const cha = createEncryptor("CHACHA20-POLY1305-HMAC-SHA256", randomBytes(32));
row("CHACHA20-POLY1305-HMAC-SHA256 encrypt, 4 MiB (noble)", mbps(big.length, () => cha.encrypt(big, iv)));

const text = textLike(4 * MB);
for (const name of ["zstd-fastest", "zstd", "zstd-better-compression", "s2-default", "gzip"]) {
  const c = compress(name, text);
  row(`${name} compress, 4 MiB text (ratio ${(text.length / c.length).toFixed(2)})`, mbps(text.length, () => compress(name, text)));
  row(`${name} decompress`, mbps(text.length, () => decompress(c)));
}

const data = randomBytes(64 * MB);
for (const name of ["DYNAMIC-4M-BUZHASH", "DYNAMIC-128K-BUZHASH"]) {
  const s = createSplitter(name);
  row(`${name} splitter, 64 MiB`, mbps(data.length, () => {
    s.reset();
    let d = data;
    for (;;) {
      const n = s.nextSplitPoint(d);
      if (n < 0) break;
      d = d.subarray(n);
    }
  }));
}

console.log(`Crypto primitives (${new Date().toISOString().slice(0, 10)}, bun ${Bun.version}, ${process.arch})\n`);
console.log("| Operation | ours MB/s | @noble MB/s (ours ×) |\n|---|---:|---:|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
