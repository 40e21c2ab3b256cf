import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createEncryptor, DEFAULT_ENCRYPTION_ALGORITHM, supportedEncryptionAlgorithms } from "../../lib/crypto/encryption.ts";
import { CorruptDataError, UnsupportedAlgorithmError } from "../../lib/errors.ts";
import { kopia } from "./kopia-helper.ts";
import { hex, INTERESTING_LENGTHS, pseudoRandom, utf8 } from "./util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

const ALGOS = ["AES256-GCM-HMAC-SHA256", "CHACHA20-POLY1305-HMAC-SHA256"];

/** Independent reference of spec §3.1–§3.3 on @noble primitives. */
function reference(algo: string, masterKey: Uint8Array) {
  const kds = hkdf(sha256, masterKey, utf8("encryption"), new Uint8Array(0), 32);
  const aead = (iv: Uint8Array, nonce: Uint8Array) => {
    const k = hmac(sha256, kds, iv);
    return algo.startsWith("AES") ? gcm(k, nonce, iv) : chacha20poly1305(k, nonce, iv);
  };
  return {
    encryptWithNonce: (pt: Uint8Array, iv: Uint8Array, nonce: Uint8Array) =>
      new Uint8Array([...nonce, ...aead(iv, nonce).encrypt(pt)]),
    decrypt: (ct: Uint8Array, iv: Uint8Array) => aead(iv, ct.subarray(0, 12)).decrypt(ct.subarray(12)),
  };
}

describe("createEncryptor", () => {
  test("names, default and overhead", () => {
    expect(supportedEncryptionAlgorithms()).toEqual(ALGOS);
    expect(DEFAULT_ENCRYPTION_ALGORITHM).toBe("AES256-GCM-HMAC-SHA256");
    for (const a of ALGOS) {
      const e = createEncryptor(a, pseudoRandom(32));
      expect(e.name).toBe(a);
      expect(e.overhead).toBe(28);
    }
  });

  for (const algo of ALGOS) {
    test(`${algo}: round trip and noble reference in both directions`, () => {
      const mk = pseudoRandom(32, 21);
      const e = createEncryptor(algo, mk);
      const ref = reference(algo, mk);
      for (const n of INTERESTING_LENGTHS) {
        const pt = pseudoRandom(n, n + 2), iv = pseudoRandom(16, n + 3);
        const ct = e.encrypt(pt, iv);
        expect(ct.length).toBe(n + e.overhead);
        expect(e.decrypt(ct, iv)).toEqual(pt);
        expect(hex(ref.decrypt(ct, iv))).toBe(hex(pt));
        // Same nonce through the reference must give byte-identical output.
        expect(hex(ref.encryptWithNonce(pt, iv, ct.subarray(0, 12)))).toBe(hex(ct));
        expect(e.decrypt(ref.encryptWithNonce(pt, iv, pseudoRandom(12, n)), iv)).toEqual(pt);
      }
    });

    test(`${algo}: per-content keys and AAD bind the ciphertext to its iv`, () => {
      const e = createEncryptor(algo, pseudoRandom(32, 4));
      const iv = pseudoRandom(16, 5), other = pseudoRandom(16, 6);
      const ct = e.encrypt(utf8("hello"), iv);
      expect(() => e.decrypt(ct, other)).toThrow(CorruptDataError);
      expect(() => createEncryptor(algo, pseudoRandom(32, 7)).decrypt(ct, iv)).toThrow(CorruptDataError);
      for (const i of [0, 12, ct.length - 1]) {
        const bad = ct.slice();
        bad[i] ^= 0x80;
        expect(() => e.decrypt(bad, iv)).toThrow(CorruptDataError);
      }
      expect(() => e.decrypt(ct.subarray(0, 27), iv)).toThrow(CorruptDataError);
      expect(() => e.decrypt(new Uint8Array(0), iv)).toThrow(CorruptDataError);
      // 32-byte ivs (pack-local index with a 256-bit hash, spec §3.4) work too.
      const iv32 = pseudoRandom(32, 8);
      expect(e.decrypt(e.encrypt(utf8("x"), iv32), iv32)).toEqual(utf8("x"));
    });

    test(`${algo}: interoperates with kopia's encryption package`, async () => {
      const mk = pseudoRandom(32, 31);
      const e = createEncryptor(algo, mk);
      const cases = [0, 1, 100, 4096, 100_000].map((n) => ({ data: pseudoRandom(n, n + 9), iv: pseudoRandom(16, n + 10) }));
      const res = await kopia([
        ...cases.map((c) => ({ op: "encrypt" as const, algo, key: mk, iv: c.iv, data: c.data })),
        ...cases.map((c) => ({ op: "decrypt" as const, algo, key: mk, iv: c.iv, data: e.encrypt(c.data, c.iv) })),
        { op: "decrypt", algo, key: mk, iv: cases[1].iv, data: e.encrypt(cases[1].data, cases[2].iv) },
      ]);
      cases.forEach((c, i) => {
        expect(res[i].err).toBeUndefined();
        expect(e.decrypt(res[i].out, c.iv)).toEqual(c.data);
        expect(res[cases.length + i].out).toEqual(c.data);
      });
      expect(res[2 * cases.length].err).toBeTruthy(); // kopia also rejects a mismatched iv
    });
  }

  test("unknown algorithm is UnsupportedAlgorithmError", () => {
    expect(() => createEncryptor("NONE", new Uint8Array(32))).toThrow(UnsupportedAlgorithmError);
    expect(() => createEncryptor("AES256-GCM", new Uint8Array(32))).toThrow('unsupported encryption algorithm "AES256-GCM"');
  });
});
