import { describe, expect, test } from "bun:test";
import { EpochManager } from "../../../lib/repo/epoch/epoch-manager.ts";
import { defaultEpochParameters } from "../../../lib/repo/format/epoch-parameters.ts";
import { epochNumberFromBlobId, epochRangeFromBlobId, findAllCompleteSets, findLongestRangeCheckpoint, shouldAdvance } from "../../../lib/repo/epoch/epoch-utils.ts";
import { MemStorage } from "../content/mem-storage.ts";

const H = 3600_000;
const T0 = Date.UTC(2026, 0, 1);
const hash = (n: number) => n.toString(16).padStart(32, "0");
const meta = (id: string, t = T0, length = 100) => ({ id, length, timestamp: new Date(t) });

function mgr(st: MemStorage, compactLog: string[][] = [], now = () => new Date(T0 + 1000 * H)) {
  return new EpochManager(st, () => defaultEpochParameters(), async (ids, prefix) => {
    compactLog.push([prefix, ...ids]);
    st.set(`${prefix}${hash(999)}-sabcdef0123456789-c1`, "x");
  }, { now, autoAdvance: false });
}

const ids = (bms: { id: string }[]) => bms.map((b) => b.id).sort();

describe("epoch blob-name helpers", () => {
  test("epoch numbers and ranges", () => {
    expect(epochNumberFromBlobId("xn12_abc-s1-c1")).toBe(12);
    expect(epochNumberFromBlobId("xe5")).toBe(5);
    expect(epochNumberFromBlobId("xnx_abc")).toBeUndefined();
    expect(epochRangeFromBlobId("xr0_7_abc-s1-c1")).toEqual([0, 7]);
    expect(epochRangeFromBlobId("xr0_abc")).toBeUndefined();
  });

  test("complete sets", () => {
    const sets = findAllCompleteSets([meta("xs1_a-sX-c2"), meta("xs1_b-sY-c1"), meta("xs1_c-sX-c2"), meta("xs1_d-sZ-c3"), meta("xs1_plain")]);
    expect(sets.map((s) => s.map((b) => b.id))).toEqual([["xs1_b-sY-c1"], ["xs1_a-sX-c2", "xs1_c-sX-c2"], ["xs1_plain"]]);
  });

  test("longest range checkpoint chain from 0", () => {
    const r = (min: number, max: number) => ({ min, max, blobs: [meta(`xr${min}_${max}_x`)] });
    expect(findLongestRangeCheckpoint([r(0, 3), r(4, 9), r(0, 5), r(6, 7)]).map((x) => [x.min, x.max])).toEqual([[0, 3], [4, 9]]);
    expect(findLongestRangeCheckpoint([r(1, 5)])).toEqual([]);
    expect(findLongestRangeCheckpoint([r(0, 9), r(0, 3), r(4, 9)]).map((x) => [x.min, x.max])).toEqual([[0, 9]]);
  });

  test("shouldAdvance needs age AND (count or size)", () => {
    const many = Array.from({ length: 20 }, (_, i) => meta(`xn0_${i}`, T0 + i * H));
    expect(shouldAdvance(many, 24 * H, 20, 10 << 20)).toBe(false); // only 19h span
    many.push(meta("xn0_late", T0 + 25 * H));
    expect(shouldAdvance(many, 24 * H, 20, 10 << 20)).toBe(true);
    expect(shouldAdvance([meta("a", T0), meta("b", T0 + 30 * H)], 24 * H, 20, 10 << 20)).toBe(false);
    expect(shouldAdvance([meta("a", T0, 6 << 20), meta("b", T0 + 30 * H, 5 << 20)], 24 * H, 20, 10 << 20)).toBe(true);
    expect(shouldAdvance([], 24 * H, 20, 10 << 20)).toBe(false);
  });
});

describe("committed state", () => {
  test("no epochs yet: W=0, xn0_ (not xn10_) blobs are the set", async () => {
    const st = new MemStorage();
    st.set(`xn0_${hash(1)}-s1-c1`, "a");
    st.set(`xn10_${hash(2)}-s1-c1`, "b");
    st.set(`xn1_${hash(3)}-s1-c1`, "c");
    const s = await mgr(st).getCompleteIndexSet();
    expect(ids(s.blobs)).toEqual([`xn0_${hash(1)}-s1-c1`, `xn1_${hash(3)}-s1-c1`]);
    expect(s.deletionWatermark).toBe(0);
  });

  test("write epoch from xe markers, settled epochs use xs when complete, watermark max", async () => {
    const st = new MemStorage();
    for (const e of [1, 2, 3, 4]) st.set(`xe${e}`, "epoch-marker");
    st.set("xw1700000000", "deletion-watermark");
    st.set("xw1700000500", "deletion-watermark");
    for (const e of [0, 1, 2, 3, 4, 5]) st.set(`xn${e}_${hash(e)}-s1-c1`, "n");
    st.set(`xs0_${hash(100)}-sA-c1`, "s"); // complete
    st.set(`xs1_${hash(101)}-sB-c2`, "s"); // incomplete: only 1 of 2
    st.set(`xs2_${hash(102)}-sC-c1`, "s"); // complete and settled (2 <= 4-2)
    st.set(`xs3_${hash(103)}-sD-c1`, "s"); // not settled: ignored
    const m = mgr(st);
    const cs = await m.current();
    expect(cs.writeEpoch).toBe(4);
    expect(cs.deletionWatermark).toBe(1700000500);
    const s = await m.getCompleteIndexSet();
    expect(ids(s.blobs)).toEqual(
      [`xs0_${hash(100)}-sA-c1`, `xn1_${hash(1)}-s1-c1`, `xs2_${hash(102)}-sC-c1`, `xn3_${hash(3)}-s1-c1`, `xn4_${hash(4)}-s1-c1`, `xn5_${hash(5)}-s1-c1`].sort(),
    );
  });

  test("range checkpoints replace the epochs they cover", async () => {
    const st = new MemStorage();
    for (const e of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) st.set(`xe${e}`, "epoch-marker");
    for (let e = 0; e <= 10; e++) st.set(`xn${e}_${hash(e)}-s1-c1`, "n");
    st.set(`xr0_7_${hash(200)}-sR-c2`, "r");
    st.set(`xr0_7_${hash(201)}-sR-c2`, "r");
    st.set(`xr0_8_${hash(202)}-sQ-c2`, "r"); // incomplete, ignored
    st.set(`xs8_${hash(108)}-sE-c1`, "s");
    const s = await mgr(st).getCompleteIndexSet();
    expect(ids(s.blobs)).toEqual(
      [`xr0_7_${hash(200)}-sR-c2`, `xr0_7_${hash(201)}-sR-c2`, `xs8_${hash(108)}-sE-c1`, `xn9_${hash(9)}-s1-c1`, `xn10_${hash(10)}-s1-c1`].sort(),
    );
  });

  test("index writes go to xn<W>_; advance writes xe<W+1>; watermark never moves back", async () => {
    const st = new MemStorage();
    let now = T0;
    st.now = () => new Date(now);
    const m = mgr(st, [], () => new Date(now));
    const written = await m.writeIndex(new Map([[`${hash(7)}-s9-c1`, new Uint8Array([1, 2, 3])]]));
    expect(written.map((w) => w.id)).toEqual([`xn0_${hash(7)}-s9-c1`]);
    expect(await m.advanceIfNeeded()).toBe(false);
    for (let i = 0; i < 20; i++) {
      now += 2 * H;
      await m.writeIndex(new Map([[`${hash(100 + i)}-s9-c1`, new Uint8Array([1])]]));
    }
    expect(await m.advanceIfNeeded()).toBe(true);
    expect(st.blobs.has("xe1")).toBe(true);
    const w2 = await m.writeIndex(new Map([[`${hash(8)}-s9-c1`, new Uint8Array([1])]]));
    expect(w2[0].id.startsWith("xn1_")).toBe(true);
    expect(await m.writeDeletionWatermark(new Date(2_000_000_000_000))).toBe(true);
    expect(await m.writeDeletionWatermark(new Date(1_000_000_000_000))).toBe(false);
    expect((await m.current()).deletionWatermark).toBe(2_000_000_000);
  });

  test("compaction of settled epochs, range checkpoint, cleanup of superseded xn and old markers", async () => {
    const st = new MemStorage();
    for (let e = 1; e <= 10; e++) st.set(`xe${e}`, "epoch-marker", new Date(T0));
    for (let e = 0; e <= 10; e++) st.set(`xn${e}_${hash(e)}-s1-c1`, "n", new Date(T0 + e * H));
    const log: string[][] = [];
    const m = mgr(st, log);
    const done = await m.compactSettledEpochs();
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.slice(0, 9).map((l) => l[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((e) => `xs${e}_`));
    expect(log[0].slice(1)).toEqual([`xn0_${hash(0)}-s1-c1`]);
    // 8 settled epochs beyond first=0 ≥ FullCheckpointFrequency (7): range checkpoint xr0_8_
    expect(log[9][0]).toBe("xr0_8_");
    // cleanup: xs sets are new (now) so nothing old enough when maxTimestamp = T0+10h
    expect(await m.cleanupSupersededIndexes()).toEqual([]);
    const deleted = await m.cleanupSupersededIndexes(new Date(Date.now() + 10 * H), 4 * H);
    expect(deleted.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((e) => `xn${e}_${hash(e)}-s1-c1`).sort());
    const markers = await m.cleanupEpochMarkers();
    expect(markers.sort()).toEqual(["xe1", "xe2", "xe3", "xe4", "xe5", "xe6", "xe7", "xe8"]);
    expect(st.blobs.has("xe9")).toBe(true);
  });

  test("read-only manager never writes", async () => {
    const st = new MemStorage();
    st.set("xe1", "epoch-marker");
    st.set("xe2", "epoch-marker");
    st.set(`xn0_${hash(0)}-s1-c1`, "n");
    const m = new EpochManager(st, () => defaultEpochParameters(), async () => { throw new Error("no"); }, { readOnly: true });
    expect(await m.compactSettledEpochs()).toEqual([]);
    expect(st.puts.length).toBe(0);
  });
});

describe("legacy v0 index set (format version 1)", () => {
  test("n blobs minus inputs of m compaction logs whose outputs all exist", async () => {
    const { LegacyIndexManager } = await import("../../../lib/repo/epoch/legacy-index-manager.ts");
    const { encryptBlob } = await import("../../../lib/repo/blobcrypto.ts");
    const { createHashFunc } = await import("../../../lib/crypto/hash.ts");
    const { createEncryptor } = await import("../../../lib/crypto/encryption.ts");
    const { randomBytes } = await import("../../../lib/crypto/random.ts");
    const c = { hash: await createHashFunc("BLAKE2B-256-128", randomBytes(32)), encryptor: createEncryptor("AES256-GCM-HMAC-SHA256", randomBytes(32)) };
    const st = new MemStorage();
    for (const n of ["a", "b", "c", "d"]) st.set(`n${hash(n.charCodeAt(0))}-s1`, n);
    const log = (inputs: string[], outputs: string[]) => {
      const js = JSON.stringify({ inputMetadata: inputs.map((id) => ({ id, length: 1, timestamp: "2026-01-01T00:00:00Z" })), outputMetadata: outputs.map((id) => ({ id, length: 1, timestamp: "2026-01-01T00:00:00Z" })) });
      const { blobId, data } = encryptBlob(c, new TextEncoder().encode(js), "m");
      st.set(blobId, data);
    };
    const id = (ch: string) => `n${hash(ch.charCodeAt(0))}-s1`;
    log([id("a"), id("b")], [id("c")]); // applies: output exists
    log([id("c")], [`n${hash(12345)}-s1`]); // ignored: output missing
    st.set("n00000000000000000000000000000000-repository_unreadable_by_this_kopia_version_upgrade_required", "x");
    const active = await new LegacyIndexManager(st, c).listActiveIndexBlobs();
    expect(ids(active)).toEqual([id("c"), id("d")].sort());
  });
});

describe("automatic epoch advance", () => {
  test("happens after an index write, never on refresh", async () => {
    const st = new MemStorage();
    for (let i = 0; i < 25; i++) st.set(`xn0_${hash(i)}-s1-c1`, "n", new Date(T0 + i * 2 * H));
    const m = new EpochManager(st, () => defaultEpochParameters(), async () => {}, { now: () => new Date(T0 + 60 * H) });
    await m.refresh();
    await m.getCompleteIndexSet();
    expect(st.blobs.has("xe1")).toBe(false);
    await m.writeIndex(new Map([[`${hash(99)}-s2-c1`, new Uint8Array([1])]]));
    expect(st.blobs.has("xe1")).toBe(true);
  });
});
