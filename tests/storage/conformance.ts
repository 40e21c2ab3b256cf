// Behaviour every BlobStorage backend must share. Each backend's test file calls
// runConformance() with a factory that opens a fresh, empty storage.
import { describe, expect, test } from "bun:test";
import { BlobNotFoundError, StorageError } from "../../lib/errors.ts";
import { BlobAlreadyExistsError, listAll, type BlobStorage } from "../../lib/storage/types.ts";

export interface ConformanceTarget {
  /** Opens a fresh, empty storage; `prefix` is the S3 key prefix (ignored by filesystem). */
  open(opts?: { prefix?: string }): Promise<BlobStorage>;
  /** Writes a raw non-blob object (e.g. `.storageconfig`) next to the blobs of `st`. */
  writeRaw(st: BlobStorage, name: string, data: Uint8Array): Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A realistic pack blob ID: p + 32 hex + "-s" + 16 hex + epoch suffix. */
export function packId(letter = "p"): string {
  const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${letter}${hex(16)}-s${hex(8)}12a`;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function expectReject(p: Promise<unknown>, cls: Function, re?: RegExp): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  if (re) expect((err as Error).message).toMatch(re);
  expect((err as Error).message).not.toContain("\n");
  return err as Error;
}

export function runConformance(name: string, target: ConformanceTarget): void {
  describe(`${name} conformance`, () => {
    test("put/get round trip: empty, small, 1 MiB, realistic IDs", async () => {
      const st = await target.open();
      try {
        const big = randomBytes(1 << 20);
        const ids = ["kopia.repository", "xe5", packId("p"), packId("q"), "xn0_" + "ab".repeat(16) + "-s0011223344556677-c1", "_log_20261121224000_1a2b_1700000000_1700000001_1_" + "cd".repeat(16)];
        await st.putBlob("empty", new Uint8Array(0));
        for (const id of ids) await st.putBlob(id, enc(`content of ${id}`));
        await st.putBlob("pbig", big);
        expect((await st.getBlob("empty")).length).toBe(0);
        for (const id of ids) expect(dec(await st.getBlob(id))).toBe(`content of ${id}`);
        expect(Buffer.from(await st.getBlob("pbig")).equals(Buffer.from(big))).toBe(true);
        const m = await st.getMetadata("pbig");
        expect(m).toMatchObject({ id: "pbig", length: 1 << 20 });
        expect(m.timestamp).toBeInstanceOf(Date);
      } finally {
        await st.close();
      }
    });

    test("ranged reads", async () => {
      const st = await target.open();
      try {
        const data = enc("0123456789abcdef");
        await st.putBlob("prange", data);
        expect(dec(await st.getBlob("prange", 0, 4))).toBe("0123");
        expect(dec(await st.getBlob("prange", 10, 6))).toBe("abcdef");
        expect(dec(await st.getBlob("prange", 5, 1))).toBe("5");
        expect(dec(await st.getBlob("prange", 12, -1))).toBe("cdef");
        expect(dec(await st.getBlob("prange", 0, -1))).toBe("0123456789abcdef");
        expect((await st.getBlob("prange", 3, 0)).length).toBe(0);
        await expectReject(st.getBlob("prange", 10, 7), StorageError, /invalid range.*prange/);
        await expectReject(st.getBlob("prange", 17, 0), StorageError, /invalid range/);
        await expectReject(st.getBlob("nothere", 0, 4), BlobNotFoundError, /nothere/);
      } finally {
        await st.close();
      }
    });

    test("missing blob: get, ranged get, metadata", async () => {
      const st = await target.open();
      try {
        const e = await expectReject(st.getBlob("pmissing"), BlobNotFoundError, /blob pmissing not found/);
        expect((e as BlobNotFoundError).blobId).toBe("pmissing");
        await expectReject(st.getBlob("pmissing", 2, 3), BlobNotFoundError);
        await expectReject(st.getMetadata(packId()), BlobNotFoundError);
      } finally {
        await st.close();
      }
    });

    test("overwrite replaces content and length", async () => {
      const st = await target.open();
      try {
        await st.putBlob("kopia.maintenance", enc("first version, longer"));
        await st.putBlob("kopia.maintenance", enc("second"));
        expect(dec(await st.getBlob("kopia.maintenance"))).toBe("second");
        expect((await st.getMetadata("kopia.maintenance")).length).toBe(6);
        expect((await listAll(st, "kopia.maintenance")).length).toBe(1);
      } finally {
        await st.close();
      }
    });

    test("doNotRecreate: first write wins, second fails without changing the blob", async () => {
      const st = await target.open();
      try {
        await st.putBlob("kopia.repository", enc("original"), { doNotRecreate: true });
        const e = await expectReject(st.putBlob("kopia.repository", enc("intruder"), { doNotRecreate: true }), BlobAlreadyExistsError, /kopia\.repository already exists/);
        expect((e as BlobAlreadyExistsError).code).toBe("blob-exists");
        expect(dec(await st.getBlob("kopia.repository"))).toBe("original");
      } finally {
        await st.close();
      }
    });

    test("delete is idempotent", async () => {
      const st = await target.open();
      try {
        const id = packId();
        await st.putBlob(id, enc("x"));
        await st.deleteBlob(id);
        await expectReject(st.getBlob(id), BlobNotFoundError);
        await st.deleteBlob(id);
        await st.deleteBlob("never-existed");
        expect(await listAll(st, "")).toEqual([]);
      } finally {
        await st.close();
      }
    });

    test("list by prefix with lengths and timestamps", async () => {
      const st = await target.open();
      try {
        const before = Date.now();
        const p = [packId("p"), packId("p"), packId("p")];
        const q = [packId("q")];
        const x = ["xn0_" + "11".repeat(16) + "-s0011223344556677-c1", "xn1_" + "22".repeat(16) + "-s0011223344556677-c1", "xe0", "xe1"];
        const other = ["kopia.repository", "kopia.blobcfg", "s" + "ab".repeat(8) + "12a"];
        const all = [...p, ...q, ...x, ...other];
        await Promise.all(all.map((id, i) => st.putBlob(id, new Uint8Array(i + 1))));
        const after = Date.now();
        const lengthOf = new Map(all.map((id, i) => [id, i + 1]));

        const everything = await listAll(st, "");
        expect(everything.map((m) => m.id).sort()).toEqual([...all].sort());
        for (const m of everything) {
          expect(m.length).toBe(lengthOf.get(m.id)!);
          // S3 LastModified has 1 s (HEAD) / 1 ms (list) resolution; allow clock granularity.
          expect(m.timestamp.getTime()).toBeGreaterThanOrEqual(before - 2000);
          expect(m.timestamp.getTime()).toBeLessThanOrEqual(after + 2000);
        }
        const ids = async (prefix: string) => (await listAll(st, prefix)).map((m) => m.id).sort();
        expect(await ids("p")).toEqual([...p].sort());
        expect(await ids("q")).toEqual(q);
        expect(await ids("x")).toEqual([...x].sort());
        expect(await ids("xn")).toEqual(x.slice(0, 2).sort());
        expect(await ids("xn1_")).toEqual([x[1]]);
        expect(await ids("kopia.")).toEqual(["kopia.blobcfg", "kopia.repository"]);
        expect(await ids(p[0].slice(0, 6))).toEqual([p[0]]);
        expect(await ids(p[0])).toEqual([p[0]]);
        expect(await ids("z")).toEqual([]);
      } finally {
        await st.close();
      }
    });

    test("listing streams: early break is clean", async () => {
      const st = await target.open();
      try {
        await Promise.all(Array.from({ length: 30 }, () => st.putBlob(packId(), enc("y"))));
        let n = 0;
        for await (const _ of st.listBlobs("p")) {
          if (++n === 3) break;
        }
        expect(n).toBe(3);
        expect((await listAll(st, "p")).length).toBe(30);
      } finally {
        await st.close();
      }
    });

    test(".storageconfig and other non-blob objects are not listed", async () => {
      const st = await target.open();
      try {
        await st.putBlob("pvisible" + "0".repeat(30), enc("v"));
        await target.writeRaw(st, ".storageconfig", enc('{"blobOptions":[]}'));
        const ids = (await listAll(st, "")).map((m) => m.id);
        expect(ids).toEqual(["pvisible" + "0".repeat(30)]);
      } finally {
        await st.close();
      }
    });

    test("prefix isolation: two storages with different prefixes don't see each other", async () => {
      const a = await target.open({ prefix: "tenant-a" });
      const b = await target.open({ prefix: "tenant-b/" });
      try {
        await a.putBlob("kopia.repository", enc("A"));
        await b.putBlob("kopia.repository", enc("B"));
        expect(dec(await a.getBlob("kopia.repository"))).toBe("A");
        expect(dec(await b.getBlob("kopia.repository"))).toBe("B");
        expect((await listAll(a, "")).map((m) => m.id)).toEqual(["kopia.repository"]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("many concurrent writers and readers", async () => {
      const st = await target.open();
      try {
        const ids = Array.from({ length: 64 }, () => packId("q"));
        await Promise.all(ids.map((id) => st.putBlob(id, enc(id))));
        const got = await Promise.all(ids.map((id) => st.getBlob(id)));
        got.forEach((g, i) => expect(dec(g)).toBe(ids[i]));
        expect((await listAll(st, "q")).length).toBe(64);
      } finally {
        await st.close();
      }
    });
  });
}
