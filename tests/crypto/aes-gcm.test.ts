import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { gcm } from "@noble/ciphers/aes.js";
import { aesGcmOpen, aesGcmSeal, aesGcmSealWithNonce } from "../../lib/crypto/aes-gcm.ts";
import { hkdfSha256 } from "../../lib/crypto/hkdf.ts";
import { CorruptDataError } from "../../lib/errors.ts";
import { kopia, kopia1 } from "./kopia-helper.ts";
import { hex, INTERESTING_LENGTHS, pseudoRandom, unhex, utf8 } from "./util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

// McGrew & Viega, "The Galois/Counter Mode of Operation", AES-256 test cases 13–16.
const K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const P15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const C15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
const VECTORS = [
  { name: "13", key: "00".repeat(32), iv: "00".repeat(12), pt: "", aad: "", ct: "", tag: "530f8afbc74536b9a963b4f1c4cb738b" },
  { name: "14", key: "00".repeat(32), iv: "00".repeat(12), pt: "00".repeat(16), aad: "", ct: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919" },
  { name: "15", key: K15, iv: "cafebabefacedbaddecaf888", pt: P15, aad: "", ct: C15, tag: "b094dac5d93471bdec1a502270e3cc6c" },
  { name: "16", key: K15, iv: "cafebabefacedbaddecaf888", pt: P15.slice(0, 120), aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2", ct: C15.slice(0, 120), tag: "76fc6ece0f4e1768cddf8853bb2d551b" },
];

describe("AES-256-GCM", () => {
  for (const v of VECTORS) {
    test(`GCM spec test case ${v.name}`, () => {
      const sealed = aesGcmSealWithNonce(unhex(v.key), unhex(v.iv), unhex(v.pt), unhex(v.aad));
      expect(hex(sealed)).toBe(v.iv + v.ct + v.tag);
      expect(hex(aesGcmOpen(unhex(v.key), sealed, unhex(v.aad)))).toBe(v.pt);
    });
  }

  test("seal uses a fresh random nonce and round-trips at many lengths", () => {
    const key = pseudoRandom(32, 5);
    for (const n of INTERESTING_LENGTHS) {
      const pt = pseudoRandom(n, n + 1);
      const a = aesGcmSeal(key, pt, utf8("aad"));
      const b = aesGcmSeal(key, pt, utf8("aad"));
      expect(a.length).toBe(n + 28);
      expect(hex(a.subarray(0, 12))).not.toBe(hex(b.subarray(0, 12)));
      expect(aesGcmOpen(key, a, utf8("aad"))).toEqual(pt);
    }
  });

  test("matches @noble/ciphers in both directions", () => {
    for (const n of INTERESTING_LENGTHS) {
      const key = pseudoRandom(32, n + 3), nonce = pseudoRandom(12, n + 4), pt = pseudoRandom(n, n + 5), aad = pseudoRandom(n % 50, n + 6);
      const ours = aesGcmSealWithNonce(key, nonce, pt, aad);
      expect(hex(ours.subarray(12))).toBe(hex(gcm(key, nonce, aad).encrypt(pt)));
      const theirs = new Uint8Array([...nonce, ...gcm(key, nonce, aad).encrypt(pt)]);
      expect(aesGcmOpen(key, theirs, aad)).toEqual(pt);
    }
  });

  test("tampering, wrong key, wrong AAD and truncation are CorruptDataError", () => {
    const key = pseudoRandom(32, 1);
    const sealed = aesGcmSeal(key, utf8("secret payload"), utf8("aad"));
    for (const i of [0, 11, 12, sealed.length - 17, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i] ^= 0x01;
      expect(() => aesGcmOpen(key, bad, utf8("aad"))).toThrow(CorruptDataError);
    }
    expect(() => aesGcmOpen(pseudoRandom(32, 2), sealed, utf8("aad"))).toThrow(CorruptDataError);
    expect(() => aesGcmOpen(key, sealed, utf8("aae"))).toThrow(CorruptDataError);
    expect(() => aesGcmOpen(key, sealed.subarray(0, 27), utf8("aad"))).toThrow(CorruptDataError);
    expect(() => aesGcmOpen(key, sealed.subarray(0, sealed.length - 1), utf8("aad"))).toThrow(CorruptDataError);
  });

  test("rejects keys that are not 256-bit and nonces that are not 96-bit", () => {
    expect(() => aesGcmSeal(new Uint8Array(16), utf8("x"), new Uint8Array(0))).toThrow(RangeError);
    expect(() => aesGcmSealWithNonce(new Uint8Array(32), new Uint8Array(16), utf8("x"), new Uint8Array(0))).toThrow(RangeError);
  });

  // The format blob (spec §2.3) is exactly these primitives composed; check against kopia's code.
  test("format-blob construction interoperates with kopia's EncryptAes256Gcm/DecryptAes256Gcm", async () => {
    const K = pseudoRandom(32, 11), salt = pseudoRandom(32, 12), pt = utf8('{"format":{"hash":"BLAKE2B-256-128"}}');
    const aesKey = hkdfSha256(K, salt, "AES", 32), authData = hkdfSha256(K, salt, "CHECKSUM", 32);
    const fromKopia = await kopia1({ op: "format-encrypt", key: K, salt, data: pt });
    expect(aesGcmOpen(aesKey, fromKopia.out, authData)).toEqual(pt);
    const [ok, wrong] = await kopia([
      { op: "format-decrypt", key: K, salt, data: aesGcmSeal(aesKey, pt, authData) },
      { op: "format-decrypt", key: pseudoRandom(32, 13), salt, data: aesGcmSeal(aesKey, pt, authData) },
    ]);
    expect(ok.out).toEqual(pt);
    expect(wrong.err).toContain("invalid credentials");
  });
});
