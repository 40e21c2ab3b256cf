// The compact ID map must behave exactly like a Map<string, number> (order, overwrite,
// delete-then-re-add, clear), and a hash collision must never merge or drop an ID.
import { describe, expect, test } from "bun:test";
import { IdMap, U32List } from "../../lib/ops/backup/id-set.ts";
import { BaseDetailsIndex } from "../../lib/ops/backup/details-spool.ts";

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function contents(m: IdMap): [string, number][] {
  return [...m.indexes()].map((i) => [m.idAt(i), m.valueAt(i)]);
}

describe("IdMap", () => {
  test("two IDs with the same 32-bit hash stay two entries", () => {
    const a = "AAMkIuoTtDQCBH";
    const b = "AAMkr0208kxzIW";
    expect(fnv1a(a)).toBe(fnv1a(b)); // a real FNV-1a collision
    const m = new IdMap();
    m.set(a, 1);
    expect(m.has(b)).toBe(false);
    expect(m.indexOf(b)).toBe(-1);
    m.set(b, 2);
    expect(m.size).toBe(2);
    expect(m.get(a)).toBe(1);
    expect(m.get(b)).toBe(2);
    m.delete(a);
    expect(m.has(a)).toBe(false);
    expect(m.get(b)).toBe(2);
    m.set(a, 3);
    expect(contents(m)).toEqual([[b, 2], [a, 3]]);
  });

  test("matches a Map under random set/delete/clear (order, values, membership)", () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // a small ID space so that overwrites and re-adds are frequent; long and non-ASCII IDs too
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? "é😀" : "AAMkAG") + "x".repeat(i % 160) + i.toString(36));
    const ref = new Map<string, number>();
    const m = new IdMap();
    for (let step = 0; step < 60_000; step++) {
      const id = ids[rnd(ids.length)];
      const op = rnd(100);
      if (op < 60) {
        const v = rnd(5) === 0 ? NaN : rnd(1e6);
        ref.set(id, v);
        m.set(id, v);
      } else if (op < 99) {
        expect(m.delete(id)).toBe(ref.delete(id));
      } else if (rnd(10) === 0) {
        ref.clear();
        m.clear();
      }
      if (step % 5000 === 0) expect(contents(m)).toEqual([...ref]);
      expect(m.has(id)).toBe(ref.has(id));
    }
    expect(m.size).toBe(ref.size);
    expect(contents(m)).toEqual([...ref]);
    for (const id of ids) expect(m.has(id)).toBe(ref.has(id));
  });

  test("100,000 IDs: all found, unknown ones not, state bytes kept per entry", () => {
    const m = new IdMap();
    const n = 100_000;
    for (let i = 0; i < n; i++) m.set(`AAMkAGI2TG93AAA${i}=`, i * 1000);
    expect(m.size).toBe(n);
    for (let i = 0; i < n; i += 7) expect(m.get(`AAMkAGI2TG93AAA${i}=`)).toBe(i * 1000);
    for (let i = n; i < n + 1000; i++) expect(m.has(`AAMkAGI2TG93AAA${i}=`)).toBe(false);
    m.setState(5, 1);
    m.set(m.idAt(5), 7); // an update keeps the state
    expect(m.stateAt(5)).toBe(1);
    expect(m.stateAt(6)).toBe(0);
    // compact: well under the ~150+ bytes per entry of a Map of strings
    expect(m.bytes / n).toBeLessThan(80);
  });

  test("U32List grows and clears", () => {
    const l = new U32List();
    for (let i = 0; i < 1000; i++) l.push(i * 3);
    expect(l.length).toBe(1000);
    expect(l.at(999)).toBe(2997);
    l.clear();
    expect(l.length).toBe(0);
  });
});

describe("BaseDetailsIndex", () => {
  async function* lines(entries: object[]) {
    for (const e of entries) yield JSON.stringify(e);
  }

  test("exact ShortRef keys: leading zeros, duplicates (last wins), folders skipped, odd refs", async () => {
    const entries: object[] = [
      { repoRef: "a", shortRef: "abc", itemRef: "1" },
      { repoRef: "b", shortRef: "0abc", itemRef: "2" },
      { repoRef: "c", shortRef: "000000000abc", itemRef: "3" },
      { repoRef: "d", shortRef: "ffffffffffff", itemRef: "4" },
      { repoRef: "e", shortRef: "abc", itemRef: "5" },
      { repoRef: "f", shortRef: "123456789abcdef0", itemRef: "6" },
      { repoRef: "g", shortRef: "999", folder: { itemType: 306 } },
    ];
    for (let i = 0; i < 5000; i++) entries.push({ repoRef: `x${i}`, shortRef: (i * 2654435761 % 2 ** 48).toString(16).padStart(12, "0"), itemRef: `x${i}` });
    const ix = await BaseDetailsIndex.build(lines(entries));
    try {
      expect(ix.get("abc")?.itemRef).toBe("5");
      expect(ix.get("0abc")?.itemRef).toBe("2");
      expect(ix.get("000000000abc")?.itemRef).toBe("3");
      expect(ix.get("ffffffffffff")?.itemRef).toBe("4");
      expect(ix.get("123456789abcdef0")?.itemRef).toBe("6");
      expect(ix.get("999")).toBeUndefined();
      expect(ix.get("00abc")).toBeUndefined();
      expect(ix.get("xyz")).toBeUndefined();
      for (let i = 0; i < 5000; i += 13) expect(ix.get((i * 2654435761 % 2 ** 48).toString(16).padStart(12, "0"))?.repoRef).toBe(`x${i}`);
      expect(ix.size).toBe(5005);
    } finally {
      ix.close();
    }
  });
});
