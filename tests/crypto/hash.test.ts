import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { blake2b, blake2s } from "@noble/hashes/blake2.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha224, sha256 } from "@noble/hashes/sha2.js";
import { sha3_224, sha3_256 } from "@noble/hashes/sha3.js";
import { createHashFunc, DEFAULT_HASH_ALGORITHM, hashSize, supportedHashAlgorithms } from "../../lib/crypto/hash.ts";
import { UnsupportedAlgorithmError, UsageError } from "../../lib/errors.ts";
import { kopia } from "./kopia-helper.ts";
import { hex, INTERESTING_LENGTHS, pseudoRandom, unhex, utf8 } from "./util.ts";

// The first call may build the kopia helper with Go (cached afterwards).
setDefaultTimeout(180_000);

const ALL = [
  "BLAKE2B-256-128", "BLAKE2B-256", "BLAKE2S-128", "BLAKE2S-256", "HMAC-SHA256", "HMAC-SHA256-128",
  "HMAC-SHA224", "HMAC-SHA3-224", "HMAC-SHA3-256", "BLAKE3-256", "BLAKE3-256-128",
];

const kopiaBlake3Key = (k: Uint8Array) =>
  k.length >= 32 ? k.slice(0, 32) : blake3(k, { context: utf8("kopia blake3 derived key v1"), dkLen: 32 });

/** Independent reference of spec §4.1 built on @noble/hashes. */
function reference(name: string, secret: Uint8Array, data: Uint8Array): Uint8Array {
  const key = secret.length ? secret : undefined; // noble wants undefined for an unkeyed BLAKE2
  switch (name) {
    case "BLAKE2B-256-128": return blake2b(data, { key, dkLen: 32 }).slice(0, 16);
    case "BLAKE2B-256": return blake2b(data, { key, dkLen: 32 });
    case "BLAKE2S-128": return blake2s(data, { key, dkLen: 16 });
    case "BLAKE2S-256": return blake2s(data, { key, dkLen: 32 });
    case "HMAC-SHA256": return hmac(sha256, secret, data);
    case "HMAC-SHA256-128": return hmac(sha256, secret, data).slice(0, 16);
    case "HMAC-SHA224": return hmac(sha224, secret, data);
    case "HMAC-SHA3-224": return hmac(sha3_224, secret, data);
    case "HMAC-SHA3-256": return hmac(sha3_256, secret, data);
    case "BLAKE3-256": return blake3(data, { key: kopiaBlake3Key(secret) });
    case "BLAKE3-256-128": return blake3(data, { key: kopiaBlake3Key(secret) }).slice(0, 16);
  }
  throw new Error(name);
}

describe("createHashFunc", () => {
  test("supports every algorithm of spec §4.1 with the right sizes", async () => {
    expect(supportedHashAlgorithms().sort()).toEqual([...ALL].sort());
    expect(DEFAULT_HASH_ALGORITHM).toBe("BLAKE2B-256-128");
    for (const name of ALL) {
      const h = await createHashFunc(name, pseudoRandom(32));
      expect(h.name).toBe(name);
      expect(h.size).toBe(hashSize(name));
      expect(h(utf8("x")).length).toBe(h.size);
    }
  });

  test("BLAKE2B-256-128 is a truncated 32-byte digest, not a 16-byte digest", async () => {
    const h = await createHashFunc("BLAKE2B-256-128", new Uint8Array(0));
    // Unkeyed BLAKE2b-256("abc") = bddd813c…d52319 (well-known); truncated to 16 bytes.
    expect(hex(h(utf8("abc")))).toBe("bddd813c634239723171ef3fee98579b");
    expect(hex(h(utf8("abc")))).not.toBe(hex(blake2b(utf8("abc"), { dkLen: 16 })));
    const h256 = await createHashFunc("BLAKE2B-256", new Uint8Array(0));
    expect(hex(h256(new Uint8Array(0)))).toBe("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  });

  test("BLAKE2S-256 matches the official keyed KAT (key 00..1f)", async () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const h = await createHashFunc("BLAKE2S-256", key);
    const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    expect(hex(h(msg(0)))).toBe("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
    expect(hex(h(msg(1)))).toBe("40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
    expect(hex(h(msg(2)))).toBe("6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803");
    expect(hex(h(msg(3)))).toBe("1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b");
  });

  test("BLAKE3-256 matches the official keyed_hash vectors (32-byte key used as is)", async () => {
    const h = await createHashFunc("BLAKE3-256", utf8("whats the Elvish word for friend"));
    const h128 = await createHashFunc("BLAKE3-256-128", utf8("whats the Elvish word for friend"));
    const input = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
    const vectors: [number, string][] = [
      [0, "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26"],
      [1, "6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b"],
      [1023, "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e"],
      [1024, "75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4"],
      [1025, "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69"],
      [2048, "879cf1fa2ea0e79126cb1063617a05b6ad9d0b696d0d757cf053439f60a99dd1"],
    ];
    for (const [n, want] of vectors) {
      expect(hex(h(input(n)))).toBe(want);
      expect(hex(h128(input(n)))).toBe(want.slice(0, 32));
    }
  });

  test("HMAC-SHA256 matches RFC 4231 test case 2", async () => {
    const h = await createHashFunc("HMAC-SHA256", utf8("Jefe"));
    expect(hex(h(utf8("what do ya want for nothing?")))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const h224 = await createHashFunc("HMAC-SHA224", utf8("Jefe"));
    expect(hex(h224(utf8("what do ya want for nothing?")))).toBe("a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44");
  });

  for (const name of ALL) {
    test(`${name} matches a @noble/hashes reference on many lengths and keys`, async () => {
      for (const key of [pseudoRandom(32, 9), new Uint8Array(0), pseudoRandom(7, 10), pseudoRandom(64, 11)]) {
        if (name === "BLAKE2S-128" && key.length === 0) continue; // refused, tested below
        if (name.startsWith("BLAKE2S") && key.length > 32) continue; // refused, tested below
        const h = await createHashFunc(name, key);
        for (const n of INTERESTING_LENGTHS) {
          const data = pseudoRandom(n, n + 17);
          expect(hex(h(data))).toBe(hex(reference(name, key, data)));
        }
      }
    });
  }

  test("one hasher instance stays correct across interleaved calls (no state leaks)", async () => {
    const h = await createHashFunc("BLAKE2B-256-128", pseudoRandom(32, 1));
    const a = pseudoRandom(100_000, 2), b = pseudoRandom(5, 3);
    const ha = hex(h(a)), hb = hex(h(b));
    for (let i = 0; i < 3; i++) {
      expect(hex(h(b))).toBe(hb);
      expect(hex(h(a))).toBe(ha);
    }
    const out = h(b);
    out.fill(0); // callers may mutate results; must not affect later calls
    expect(hex(h(b))).toBe(hb);
  });

  test("every algorithm matches kopia's own hashing package (random secrets, empty secret)", async () => {
    const reqs: { algo: string; secret: Uint8Array; data: Uint8Array }[] = [];
    for (const algo of ALL) {
      for (const secret of [pseudoRandom(32, 77), new Uint8Array(0), pseudoRandom(5, 78)]) {
        for (const n of [0, 1, 64, 65, 1000, 70_000]) reqs.push({ algo, secret, data: pseudoRandom(n, n + reqs.length) });
      }
    }
    const res = await kopia(reqs.map((r) => ({ op: "hash", ...r })));
    let compared = 0;
    for (let i = 0; i < reqs.length; i++) {
      const { algo, secret, data } = reqs[i];
      if (res[i].err) {
        // Only kopia's refusal of an unkeyed BLAKE2S-128 is expected; we refuse it too.
        expect(algo).toBe("BLAKE2S-128");
        expect(secret.length).toBe(0);
        await expect(createHashFunc(algo, secret)).rejects.toBeInstanceOf(UsageError);
        continue;
      }
      const h = await createHashFunc(algo, secret);
      expect(`${algo}:${hex(h(data))}`).toBe(`${algo}:${hex(res[i].out)}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(reqs.length - 10);
  });

  test("unknown names and oversize keys are rejected clearly", async () => {
    await expect(createHashFunc("MD5", new Uint8Array(0))).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
    await expect(createHashFunc("constructor", new Uint8Array(0))).rejects.toThrow('unsupported hash algorithm "constructor"');
    expect(() => hashSize("SHA1")).toThrow(UnsupportedAlgorithmError);
    await expect(createHashFunc("BLAKE2B-256", new Uint8Array(65))).rejects.toBeInstanceOf(UsageError);
    await expect(createHashFunc("BLAKE2S-256", new Uint8Array(33))).rejects.toBeInstanceOf(UsageError);
  });

  test("different secrets give different content hashes", async () => {
    const a = await createHashFunc("BLAKE2B-256-128", unhex("00".repeat(32)));
    const b = await createHashFunc("BLAKE2B-256-128", unhex("01".repeat(32)));
    expect(hex(a(utf8("data")))).not.toBe(hex(b(utf8("data"))));
  });
});
