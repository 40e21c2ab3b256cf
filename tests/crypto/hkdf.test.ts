import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hkdfSha256 } from "../../lib/crypto/hkdf.ts";
import { kopia } from "./kopia-helper.ts";
import { hex, pseudoRandom, unhex, utf8 } from "./util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

describe("hkdfSha256", () => {
  test("RFC 5869 test case 1", () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), unhex("000102030405060708090a0b0c"), unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
    expect(hex(okm)).toBe("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  });

  test("RFC 5869 test case 3 (empty salt and info)", () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), "", 42);
    expect(hex(okm)).toBe("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  });

  test("string info equals its UTF-8 bytes", () => {
    const ikm = pseudoRandom(32, 3);
    expect(hkdfSha256(ikm, utf8("salt"), "AES", 32)).toEqual(hkdfSha256(ikm, utf8("salt"), utf8("AES"), 32));
  });

  test("matches @noble/hashes on random inputs", () => {
    for (let i = 0; i < 50; i++) {
      const ikm = pseudoRandom(i * 3, i + 1);
      const salt = pseudoRandom(i % 40, i + 100);
      const info = pseudoRandom(i % 17, i + 200);
      const len = 1 + ((i * 37) % 100);
      expect(hex(hkdfSha256(ikm, salt, info, len))).toBe(hex(nobleHkdf(sha256, ikm, salt, info, len)));
    }
  });

  test("rejects impossible lengths", () => {
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(0), "", 0)).toThrow(RangeError);
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(0), "", 255 * 32 + 1)).toThrow(RangeError);
  });

  test("matches kopia's DeriveKeyFromMasterKey", async () => {
    const cases = [0, 1, 16, 32, 64].map((n, i) => ({
      key: pseudoRandom(32, i + 7), salt: pseudoRandom(n, i + 9), info: utf8(["AES", "CHECKSUM", "", "encryption", "x"][i]), n: 32,
    }));
    const res = await kopia(cases.map((c) => ({ op: "hkdf", ...c })));
    cases.forEach((c, i) => expect(hex(hkdfSha256(c.key, c.salt, c.info, c.n))).toBe(hex(res[i].out)));
  });
});
