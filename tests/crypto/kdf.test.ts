import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { deriveKeyFromPassword, pbkdf2Sha256, scryptKey, supportedKeyAlgorithms } from "../../lib/crypto/kdf.ts";
import { CorruptDataError, UnsupportedAlgorithmError } from "../../lib/errors.ts";
import { kopia1 } from "./kopia-helper.ts";
import { hex, pseudoRandom, utf8 } from "./util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

describe("scrypt / PBKDF2 primitives (RFC 7914)", () => {
  test("scrypt vector 1 (empty password and salt, N=16)", async () => {
    expect(hex(await scryptKey(new Uint8Array(0), new Uint8Array(0), 16, 1, 1, 64))).toBe(
      "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
    );
  });

  test("scrypt vector 2 (password/NaCl, N=1024, r=8, p=16)", async () => {
    expect(hex(await scryptKey(utf8("password"), utf8("NaCl"), 1024, 8, 16, 64))).toBe(
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    );
  });

  test("PBKDF2-HMAC-SHA256 vector (passwd/salt, c=1)", async () => {
    expect(hex(await pbkdf2Sha256(utf8("passwd"), utf8("salt"), 1, 64))).toBe(
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    );
  });
});

describe("deriveKeyFromPassword", () => {
  const salt = pseudoRandom(32, 42);

  test("scrypt-65536-8-1 matches @noble/hashes and kopia", async () => {
    const ours = await deriveKeyFromPassword("correct horse ✓", salt, "scrypt-65536-8-1");
    expect(ours.length).toBe(32);
    expect(hex(ours)).toBe(hex(nobleScrypt(utf8("correct horse ✓"), salt, { N: 65536, r: 8, p: 1, dkLen: 32 })));
    const k = await kopia1({ op: "kdf", algo: "scrypt-65536-8-1", password: "correct horse ✓", salt });
    expect(hex(ours)).toBe(hex(k.out));
  });

  test("pbkdf2 uses 786432 iterations of PBKDF2-HMAC-SHA256", async () => {
    const ours = await deriveKeyFromPassword("pw", salt, "pbkdf2");
    expect(hex(ours)).toBe(hex(noblePbkdf2(sha256, utf8("pw"), salt, { c: 786432, dkLen: 32 })));
  });

  test("pbkdf2-sha256-600000 uses 600000 iterations", async () => {
    const ours = await deriveKeyFromPassword("pw", salt, "pbkdf2-sha256-600000");
    expect(hex(ours)).toBe(hex(await pbkdf2Sha256(utf8("pw"), salt, 600000, 32)));
    expect(hex(ours)).not.toBe(hex(await deriveKeyFromPassword("pw", salt, "pbkdf2")));
  });

  test("different passwords give different keys", async () => {
    const a = await deriveKeyFromPassword("a", salt, "scrypt-65536-8-1");
    const b = await deriveKeyFromPassword("b", salt, "scrypt-65536-8-1");
    expect(hex(a)).not.toBe(hex(b));
  });

  test("unknown algorithm is UnsupportedAlgorithmError naming it", async () => {
    expect(supportedKeyAlgorithms()).toEqual(["scrypt-65536-8-1", "pbkdf2", "pbkdf2-sha256-600000"]);
    const p = deriveKeyFromPassword("pw", salt, "argon2id");
    await expect(p).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
    await expect(deriveKeyFromPassword("pw", salt, "toString")).rejects.toThrow('"toString"');
  });

  test("salt shorter than 16 bytes is rejected", async () => {
    await expect(deriveKeyFromPassword("pw", new Uint8Array(15), "scrypt-65536-8-1")).rejects.toBeInstanceOf(CorruptDataError);
  });
});
