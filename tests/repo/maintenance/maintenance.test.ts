// Full maintenance on a real filesystem repository under a virtual clock shared by writers,
// storage timestamps and maintenance, so the SafetyFull margins (24h, 4h, 1h…) are exercised
// without waiting.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createContentRepository } from "../../../lib/repo/content-repository.ts";
import {
  ClockSkewError, MaintenanceNotOwnedError, TASK, getMaintenanceParams, readSchedule, runMaintenance, setMaintenanceParams,
  defaultMaintenanceParams, type MaintenanceReport,
} from "../../../lib/repo/maintenance/index.ts";
import { verifyRepository } from "../../../lib/repo/verify.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { listAll } from "../../../lib/storage/types.ts";
import { ClockedStorage, HOUR, VirtualClock, randomData, readTreeFile, tempDir, writeSnapshot, openTestRepository } from "./helpers.ts";

const PW = "maint-pw";
const OWNER = "u@maint";
const PACK = 10 << 20;

let dir: { path: string; cleanup: () => Promise<void> };
let clock: VirtualClock;
let st: ClockedStorage;
const opened: any[] = [];

async function open(host = "maint", user = "u"): Promise<any> {
  const r = await openTestRepository(st, PW, { hostname: host, username: user, now: clock.now });
  opened.push(r);
  return r;
}

function maintain(repo: any, safety: "full" | "none", extra: Partial<Parameters<typeof runMaintenance>[1]> = {}): Promise<MaintenanceReport> {
  return runMaintenance(repo, { mode: "full", owner: OWNER, safety, now: clock.now, ...extra });
}

const S = randomData(200_000, 1);
const A1 = randomData(300_000, 2);
const B1 = randomData(300_000, 3);
const src = (p: string) => ({ host: "h", user: "u", path: p });

async function twoSnapshots(w: any) {
  const a = await writeSnapshot(w, { shared: S, "a.bin": A1, sub: { "deep.txt": new TextEncoder().encode("deep in A") } }, src("/a"), clock.now());
  const b = await writeSnapshot(w, { shared: S, "b.bin": B1 }, src("/b"), clock.now());
  return { a, b };
}

async function contentIdOf(repo: any, rootObj: string, name: string): Promise<string> {
  const doc = JSON.parse(new TextDecoder().decode(await repo.objects.readObject(rootObj)));
  const oid: string = doc.entries.find((e: any) => e.name === name).obj;
  expect(oid.startsWith("I")).toBe(false); // small files are single-content objects
  return oid;
}

async function expectSnapshotAIntact(repo: any, rootObj: string) {
  expect(Buffer.from(await readTreeFile(repo, rootObj, "shared")).equals(Buffer.from(S))).toBe(true);
  expect(Buffer.from(await readTreeFile(repo, rootObj, "a.bin")).equals(Buffer.from(A1))).toBe(true);
  expect(new TextDecoder().decode(await readTreeFile(repo, rootObj, "sub/deep.txt"))).toBe("deep in A");
}

beforeEach(async () => {
  dir = await tempDir("corso-maint-");
  clock = new VirtualClock(Date.parse("2026-03-01T08:00:00Z"));
  st = new ClockedStorage(await openFilesystemStorage({ path: join(dir.path, "repo"), create: true }), clock);
  await createContentRepository(st, PW, { maxPackSize: PACK });
});

afterEach(async () => {
  for (const r of opened.splice(0)) await r.close?.().catch(() => {});
  await dir.cleanup();
});

describe("full maintenance, SafetyFull", () => {
  test("a deleted snapshot's data goes only after the margins; the live snapshot is never touched", async () => {
    const w = await open("writer");
    const { a, b } = await twoSnapshots(w);
    const b1 = await contentIdOf(w, b.rootObjectId, "b.bin");
    await w.manifests.delete(b.manifestId);
    await w.manifests.flush();
    await w.flush();

    // Run 1 (T+1h): B's contents are unreferenced but younger than 24h.
    clock.advance(HOUR);
    let m = await open();
    let r = await maintain(m, "full");
    expect(r.ownerClaimed).toBe(true);
    expect(r.snapshotGC!.snapshots).toBe(1);
    expect(r.snapshotGC!.tooRecentCount).toBeGreaterThanOrEqual(2); // b.bin + B's root directory
    expect(r.contentsDeleted).toBe(0);
    expect(r.tasks.find((t) => t.task === TASK.dropDeletedContentsFull)?.ran).toBe(false);
    expect((await m.contents.getContentInfo(b1))?.deleted).toBe(false);

    // Run 2 (T+26h): B's contents are marked deleted but still readable; the watermark may
    // only cover time before GC #1, so nothing is dropped.
    clock.advance(25 * HOUR);
    m = await open();
    r = await maintain(m, "full");
    expect(r.contentsDeleted).toBeGreaterThanOrEqual(2);
    expect(r.deletionWatermark?.getTime()).toBe(Date.parse("2026-03-01T08:00:00Z"));
    const info = await m.contents.getContentInfo(b1);
    expect(info?.deleted).toBe(true);
    expect(Buffer.from(await m.contents.getContent(b1)).equals(Buffer.from(B1))).toBe(true);
    await expectSnapshotAIntact(m, a.rootObjectId);

    // Later runs every 5h: the watermark only ever covers time before the previous GC − 1h,
    // and rewriting a deleted content (short packs) re-stamps it, so it may take a few cycles.
    // It must never be dropped in the cycle that could still undelete it.
    let droppedAtRun = 0;
    for (let run = 3; run <= 8 && droppedAtRun === 0; run++) {
      clock.advance(5 * HOUR);
      const before = await (await open("peek")).contents.getContentInfo(b1);
      m = await open();
      r = await maintain(m, "full");
      const now = await (await open("reader")).contents.getContentInfo(b1);
      if (now === undefined) {
        droppedAtRun = run;
        expect(r.deletionWatermark!.getTime()).toBeGreaterThanOrEqual(before!.timestampSeconds * 1000);
        expect(r.deletionWatermark!.getTime()).toBeLessThan(clock.ms - 4 * HOUR);
      } else {
        expect(now.deleted).toBe(true);
      }
      await expectSnapshotAIntact(await open("reader"), a.rootObjectId);
    }
    expect(droppedAtRun).toBeGreaterThanOrEqual(3);

    // One more run: orphaned packs are deleted once the last rewrite is over 1h old.
    clock.advance(5 * HOUR);
    m = await open();
    r = await maintain(m, "full");
    const v = await verifyRepository(m, { readDataPercent: 100 });
    expect(v.problems).toEqual([]);
    expect(v.snapshotsChecked).toBe(1);
    await expectSnapshotAIntact(await open("reader2"), a.rootObjectId);
    const s = await readSchedule(m);
    expect(s.runs[TASK.snapshotGC].length).toBe(5);
    expect(s.runs[TASK.snapshotGC].every((x) => x.success)).toBe(true);
    expect(s.runs[TASK.deleteOrphanedBlobsFull]?.length ?? 0).toBeGreaterThan(0);
  }, 60_000);

  test("a writer mid-session (pack written, index not yet) survives maintenance and restores", async () => {
    const w = await open("writer");
    await twoSnapshots(w);
    // A second writer starts a large upload: one pack goes to storage, the index does not.
    const w2 = await open("writer2");
    const big = randomData(PACK + 100_000, 42);
    const pending = w2.objects.writeObject(big);
    const bigOid: string = await pending;
    for (let i = 0; i < 300 && w2.contents.stats().uploading > 0; i++) await Bun.sleep(10);
    expect((await listAll(st, "s")).length).toBe(1); // its session marker

    clock.advance(30 * HOUR); // past BlobDeleteMinAge, within SessionExpirationAge
    const m = await open();
    await maintain(m, "full");
    clock.advance(2 * HOUR);
    const r = await maintain(await open(), "full"); // blob GC runs (1h after the rewrite)
    expect(r.tasks.find((t) => t.task === TASK.deleteOrphanedBlobsFull)?.ran).toBe(true);
    expect(r.blobGC!.keptActiveSession).toBeGreaterThanOrEqual(1);

    // The writer finishes: index, then its snapshot manifest.
    const snap = await writeSnapshot(w2, { "big.bin": big }, src("/big"), clock.now());
    void bigOid;
    const fresh = await open("reader");
    expect(Buffer.from(await readTreeFile(fresh, snap.rootObjectId, "big.bin")).equals(Buffer.from(big))).toBe(true);
    expect((await verifyRepository(fresh, { readDataPercent: 100 })).problems).toEqual([]);
  }, 60_000);
  test("maintenance interleaved with an ongoing backup (SafetyFull) loses nothing", async () => {
    const w = await open("writer");
    const { a, b } = await twoSnapshots(w);
    await w.manifests.delete(b.manifestId);
    await w.flush();
    clock.advance(30 * HOUR);
    const w2 = await open("writer2");
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 40; i++) files[`f${i}`] = randomData(50_000, 500 + i);
    files["b-again.bin"] = B1; // dedups against a content GC is about to delete
    const backup = writeSnapshot(w2, files, src("/later"), clock.now());
    const maint = (async () => {
      const m = await open();
      await maintain(m, "full");
      await maintain(await open(), "full");
    })();
    const [snap] = await Promise.all([backup, maint]);
    // Two more cycles, far apart: whatever GC deleted while the backup raced it is undeleted.
    for (let i = 0; i < 3; i++) {
      clock.advance(6 * HOUR);
      await maintain(await open(), "full");
    }
    const fresh = await open("reader");
    for (const [name, data] of Object.entries(files)) {
      expect(Buffer.from(await readTreeFile(fresh, snap.rootObjectId, name)).equals(Buffer.from(data))).toBe(true);
    }
    await expectSnapshotAIntact(fresh, a.rootObjectId);
    expect((await verifyRepository(fresh, { readDataPercent: 100 })).problems).toEqual([]);
  }, 60_000);
});

describe("full maintenance, SafetyNone", () => {
  test("drops a deleted snapshot's contents and packs in two runs, keeps the live one", async () => {
    const w = await open("writer");
    const { a, b } = await twoSnapshots(w);
    const b1 = await contentIdOf(w, b.rootObjectId, "b.bin");
    const bPack = (await w.contents.getContentInfo(b1)).packBlobId;
    await w.manifests.delete(b.manifestId);
    await w.manifests.flush();
    await w.flush();
    clock.advance(10_000);
    let r = await maintain(await open(), "none");
    expect(r.contentsDeleted).toBeGreaterThanOrEqual(2);
    expect(r.deletionWatermark).toBeDefined();
    clock.advance(10_000);
    r = await maintain(await open(), "none");
    const fresh = await open("reader");
    expect(await fresh.contents.getContentInfo(b1)).toBeUndefined();
    expect((await listAll(st, "p")).map((x) => x.id)).not.toContain(bPack);
    expect(r.bytesFreed).toBeGreaterThanOrEqual(0);
    await expectSnapshotAIntact(fresh, a.rootObjectId);
    expect((await verifyRepository(fresh, { readDataPercent: 100 })).problems).toEqual([]);
  }, 60_000);

  test("a referenced content that was marked deleted is undeleted by GC", async () => {
    const w = await open("writer");
    const { a } = await twoSnapshots(w);
    const a1 = await contentIdOf(w, a.rootObjectId, "a.bin");
    await w.contents.deleteContent(a1);
    await w.flush();
    expect((await (await open("x")).contents.getContentInfo(a1)).deleted).toBe(true);
    clock.advance(10_000);
    const r = await maintain(await open(), "none");
    expect(r.contentsUndeleted).toBe(1);
    const fresh = await open("reader");
    expect((await fresh.contents.getContentInfo(a1)).deleted).toBe(false);
    await expectSnapshotAIntact(fresh, a.rootObjectId);
  }, 60_000);

  test("GC refuses to delete anything when a snapshot cannot be walked", async () => {
    const w = await open("writer");
    const { a, b } = await twoSnapshots(w);
    await w.manifests.delete(b.manifestId);
    await w.manifests.flush();
    // damage A: its root directory object disappears from the index
    await w.contents.deleteContent(a.rootObjectId);
    await w.flush();
    clock.advance(48 * HOUR);
    // make the root content vanish for real: drop it via a watermark far in the future
    await st.putBlob(`xw${Math.floor(clock.ms / 1000) + 10}`, new TextEncoder().encode("deletion-watermark"));
    clock.advance(60_000);
    const m = await open();
    await expect(maintain(m, "none")).rejects.toThrow(/snapshot-gc failed: .*(not found|verifying)/);
    const s = await readSchedule(m);
    expect(s.runs[TASK.snapshotGC][0].success).toBe(false);
  }, 60_000);
});

describe("ownership, schedule and clock", () => {
  test("refuses another owner's maintenance unless forced; force takes over", async () => {
    const m = await open();
    await setMaintenanceParams(m.manifests, { ...defaultMaintenanceParams(), owner: "someone@else" });
    await expect(maintain(m, "full")).rejects.toBeInstanceOf(MaintenanceNotOwnedError);
    await expect(maintain(m, "full")).rejects.toThrow(/designated user: someone@else/);
    expect(await readSchedule(m)).toEqual({ runs: {} }); // nothing ran
    const r = await maintain(m, "full", { force: true });
    expect(r.ownerClaimed).toBe(true);
    const p = await getMaintenanceParams(m.manifests);
    expect(p.owner).toBe(OWNER);
    expect(p.full.enabled).toBe(false);
    expect(p.quick.enabled).toBe(false);
    expect((await m.manifests.find({ type: "maintenance" })).length).toBe(1);
  }, 60_000);

  test("bad owner strings and read-only handles are refused before anything is written", async () => {
    const m = await open();
    await expect(maintain(m, "full", { owner: "" })).rejects.toThrow(/invalid maintenance owner "": expected user@host/);
    await expect(maintain(m, "full", { owner: "no-at-sign" })).rejects.toThrow(/expected user@host/);
    const ro = await openTestRepository(st, PW, { hostname: "maint", username: "u", now: clock.now, readOnly: true } as any);
    opened.push(ro);
    await expect(maintain(ro, "full")).rejects.toThrow(/read-only/);
    expect((await listAll(st, "kopia.maintenance")).length).toBe(0);
  }, 60_000);

  test("quick maintenance is a no-op for epoch repositories but moves the schedule", async () => {
    const w = await open("writer");
    const { b } = await twoSnapshots(w);
    await w.manifests.delete(b.manifestId);
    await w.manifests.flush();
    clock.advance(100 * HOUR);
    const m = await open();
    const r = await runMaintenance(m, { mode: "quick", owner: OWNER, safety: "none", now: clock.now });
    expect(r.tasks).toEqual([]);
    expect(r.contentsDeleted).toBe(0);
    const s = await readSchedule(m);
    expect(s.nextQuickMaintenance!.getTime()).toBe(clock.ms + HOUR);
    expect(s.nextFullMaintenance).toBeUndefined();
  }, 60_000);

  test("refuses to run when the local clock is more than 5 minutes off the storage clock", async () => {
    const real = await openFilesystemStorage({ path: join(dir.path, "repo"), create: false });
    const skewed = () => new Date(Date.now() + 10 * 60_000);
    const m = await openTestRepository(real, PW, { hostname: "maint", username: "u", now: skewed });
    opened.push(m);
    await expect(runMaintenance(m, { mode: "full", owner: OWNER, safety: "none", now: skewed })).rejects.toBeInstanceOf(ClockSkewError);
  }, 60_000);

  test("log cleanup keeps the newest logs within the retention limits", async () => {
    const m = await open();
    await setMaintenanceParams(m.manifests, { ...defaultMaintenanceParams(), owner: OWNER, logRetention: { maxCount: 3, maxTotalSize: 0, maxAgeMs: 0 } });
    for (let i = 0; i < 5; i++) {
      await st.putBlob(`_log_2026030108000${i}_abcd_1_2_0_${"0".repeat(31)}${i}`, new Uint8Array(100));
      clock.advance(1000);
    }
    const r = await maintain(m, "full");
    expect(r.logsDeleted).toBe(2);
    const left = (await listAll(st, "_log_")).map((x) => x.id).sort();
    expect(left.length).toBe(3);
    expect(left[0]).toContain("_log_20260301080002");
  }, 60_000);
});
