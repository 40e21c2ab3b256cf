import { describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { createHashFunc } from "../../../lib/crypto/hash.ts";
import { createEncryptor } from "../../../lib/crypto/encryption.ts";
import { randomBytes } from "../../../lib/crypto/random.ts";
import { toHex, type Crypter } from "../../../lib/repo/blobcrypto.ts";
import { PackBuilder, encodePostamble, findPostamble, readPackLocalIndex } from "../../../lib/repo/content/pack.ts";
import { openIndex } from "../../../lib/repo/content/index-builder.ts";
import { MemStorage } from "./mem-storage.ts";

async function crypter(): Promise<Crypter> {
  return { hash: await createHashFunc("BLAKE2B-256-128", randomBytes(32)), encryptor: createEncryptor("AES256-GCM-HMAC-SHA256", randomBytes(32)) };
}

async function makePack(c: Crypter, n: number, size: number) {
  const pb = new PackBuilder("p" + toHex(randomBytes(16)) + "-s0011223344556677124");
  const datas = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const d = randomBytes(size);
    const h = c.hash(d);
    const id = toHex(h);
    const enc = c.encryptor.encrypt(d, h);
    const off = pb.appendContent(enc);
    pb.items.set(id, { contentId: id, packBlobId: pb.packBlobId, packOffset: off, packedLength: enc.length, originalLength: d.length, timestampSeconds: 1_700_000_000 + i, deleted: false, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0 });
    datas.set(id, d);
  }
  return { pb, datas, bytes: pb.seal(c, 2)! };
}

describe("pack blobs", () => {
  test("postamble round trip and rejection of damaged postambles", () => {
    const p = { iv: randomBytes(16), localIndexOffset: 123456, localIndexLength: 4242 };
    const b = encodePostamble(p);
    expect(b[b.length - 1]).toBe(b.length - 1);
    expect(findPostamble(b)).toEqual(p);
    const withPrefix = new Uint8Array(100 + b.length);
    withPrefix.set(b, 100);
    expect(findPostamble(withPrefix)).toEqual(p);
    const bad = b.slice();
    bad[3] ^= 1;
    expect(findPostamble(bad)).toBeUndefined();
    expect(findPostamble(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  test("layout: 32-byte preamble, contents, padding to 4096 (always > 0), local index, postamble", async () => {
    const c = await crypter();
    const { pb, bytes } = await makePack(c, 3, 1000);
    const first = [...pb.items.values()].sort((a, b) => a.packOffset - b.packOffset)[0];
    expect(first.packOffset).toBe(32);
    const p = findPostamble(bytes)!;
    expect(p.localIndexOffset % 4096).toBe(0);
    expect(p.localIndexOffset).toBeGreaterThan(32 + 3 * 1028);
    expect(p.localIndexOffset + p.localIndexLength).toBe(bytes.length - (bytes[bytes.length - 1] + 1));
    const local = c.encryptor.decrypt(bytes.subarray(p.localIndexOffset, p.localIndexOffset + p.localIndexLength), p.iv);
    expect(p.iv).toEqual(c.hash(local));
    const r = openIndex(local, 28);
    expect(r.entryCount).toBe(3);
  });

  test("already aligned data still gets a full 4096 bytes of padding", async () => {
    const c = await crypter();
    const pb = new PackBuilder("p" + "0".repeat(32) + "-s1");
    const d = randomBytes(4096 - 32);
    pb.appendContent(d);
    pb.items.set("ab", { contentId: "ab", packBlobId: pb.packBlobId, packOffset: 32, packedLength: d.length, originalLength: 1, timestampSeconds: 1, deleted: false, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0 });
    const bytes = pb.seal(c, 2)!;
    expect(findPostamble(bytes)!.localIndexOffset).toBe(8192);
  });

  test("local index recovered from the tail; full-read fallback for big local indexes; contents decrypt", async () => {
    const c = await crypter();
    const st = new MemStorage();
    const small = await makePack(c, 5, 3000);
    await st.putBlob(small.pb.packBlobId, small.bytes);
    const r1 = openIndex(await readPackLocalIndex(st, c, small.pb.packBlobId), 28);
    expect(r1.entryCount).toBe(5);
    for (let i = 0; i < r1.entryCount; i++) {
      const e = r1.entryAt(i);
      const enc = await st.getBlob(e.packBlobId, e.packOffset, e.packedLength);
      expect(c.encryptor.decrypt(enc, c.hash(small.datas.get(e.contentId)!))).toEqual(small.datas.get(e.contentId)!);
    }
    const big = await makePack(c, 600, 10); // local index ~ 600*(17+16) bytes > 8192
    await st.putBlob(big.pb.packBlobId, big.bytes);
    expect(findPostamble(big.bytes)!.localIndexLength).toBeGreaterThan(8192);
    expect(openIndex(await readPackLocalIndex(st, c, big.pb.packBlobId), 28).entryCount).toBe(600);
  });

  test("damaged postamble → CorruptDataError naming the pack", async () => {
    const c = await crypter();
    const st = new MemStorage();
    const { pb, bytes } = await makePack(c, 2, 100);
    bytes[bytes.length - 3] ^= 0xff;
    await st.putBlob(pb.packBlobId, bytes);
    const err = await readPackLocalIndex(st, c, pb.packBlobId).catch((e) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(err.message).toContain(pb.packBlobId);
  });
});
