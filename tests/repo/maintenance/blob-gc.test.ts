// Blob GC against a real filesystem repository with a writer in mid-session: the writer's
// pack is uploaded, its index is not written yet; only the session marker protects it.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createContentRepository, openContentRepository, type ContentRepository } from "../../../lib/repo/content-repository.ts";
import { deleteUnreferencedBlobs } from "../../../lib/repo/maintenance/blob-gc.ts";
import { SAFETY_FULL, SAFETY_NONE } from "../../../lib/repo/maintenance/safety.ts";
import { listActiveSessions, sessionIdFromBlobId } from "../../../lib/repo/maintenance/sessions.ts";
import { maintenanceViewOf } from "../../../lib/repo/maintenance/view.ts";
import { ObjectManager } from "../../../lib/repo/object/object-manager.ts";
import { listAll } from "../../../lib/storage/types.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { ClockedStorage, HOUR, VirtualClock, tempDir } from "./helpers.ts";

const PW = "blob-gc-pw";
const PACK = 10 << 20;

let dir: { path: string; cleanup: () => Promise<void> };
let clock: VirtualClock;
let st: ClockedStorage;
const opened: ContentRepository[] = [];

async function open(host: string): Promise<ContentRepository> {
  const r = await openContentRepository(st, PW, { hostname: host, username: "u", now: clock.now });
  opened.push(r);
  return r;
}

/** Blob GC needs no manifests; everything else is the real engine. */
function view(cr: ContentRepository) {
  return maintenanceViewOf({
    ...cr,
    storage: cr.storage,
    contents: cr.contents,
    crypter: cr.crypter,
    config: cr.config,
    deriveKey: cr.deriveKey,
    objects: new ObjectManager(cr.contents, "FIXED"),
    manifests: { find: () => { throw new Error("manifests not used by blob GC"); } },
  });
}

/** Writes >maxPackSize so the writer uploads a pack, and waits for it: no index yet. */
async function writerMidSession(w: ContentRepository): Promise<{ cid: string; data: Uint8Array; pack: string }> {
  const data = new Uint8Array(randomBytes(PACK + 4096));
  const cid = await w.contents.writeContent(data, { prefix: "" });
  for (let i = 0; i < 200 && w.contents.stats().uploading > 0; i++) await Bun.sleep(10);
  const info = await w.contents.getContentInfo(cid);
  const packs = (await listAll(st, "p")).map((b) => b.id);
  expect(packs).toContain(info!.packBlobId);
  expect(w.contents.stats().pendingIndexEntries + w.contents.stats().uploading).toBeGreaterThan(0);
  return { cid, data, pack: info!.packBlobId };
}

beforeEach(async () => {
  dir = await tempDir("corso-blobgc-");
  clock = new VirtualClock(Date.parse("2026-02-01T00:00:00Z"));
  st = new ClockedStorage(await openFilesystemStorage({ path: join(dir.path, "repo"), create: true }), clock);
  await createContentRepository(st, PW, { maxPackSize: PACK });
});

afterEach(async () => {
  for (const r of opened.splice(0)) await r.contents.flush().catch(() => {});
  await dir.cleanup();
});

describe("blob GC and live sessions", () => {
  test("SafetyFull keeps the pack of a session in progress past BlobDeleteMinAge; its data survives", async () => {
    const w = await open("writer");
    const { cid, data, pack } = await writerMidSession(w);
    const sessions = await listActiveSessions(view(w));
    expect(sessions.has(sessionIdFromBlobId(pack))).toBe(true);

    clock.advance(30 * HOUR); // older than BlobDeleteMinAge (24h), younger than SessionExpirationAge (96h)
    const m = await open("maint");
    const stats = await deleteUnreferencedBlobs(view(m), SAFETY_FULL, clock.now());
    expect(stats.keptActiveSession).toBeGreaterThanOrEqual(2); // pack + marker
    expect(stats.deletedCount).toBe(0);
    expect((await listAll(st, "p")).map((b) => b.id)).toContain(pack);

    await w.contents.flush(); // index written, marker removed
    expect(await listAll(st, "s")).toEqual([]);
    const r = await open("reader");
    expect(Buffer.from(await r.contents.getContent(cid)).equals(Buffer.from(data))).toBe(true);
  }, 60_000);

  test("a session older than SessionExpirationAge no longer protects its pack", async () => {
    const w = await open("writer");
    const { pack } = await writerMidSession(w);
    clock.advance(100 * HOUR);
    const m = await open("maint");
    const stats = await deleteUnreferencedBlobs(view(m), SAFETY_FULL, clock.now());
    expect(stats.deletedCount).toBe(2);
    expect((await listAll(st, "p")).map((b) => b.id)).not.toContain(pack);
    expect(await listAll(st, "s")).toEqual([]);
  }, 60_000);

  test("SafetyNone deletes an in-progress pack at once (why concurrent use needs SafetyFull)", async () => {
    const w = await open("writer");
    const { pack } = await writerMidSession(w);
    clock.advance(1000);
    const m = await open("maint");
    const stats = await deleteUnreferencedBlobs(view(m), SAFETY_NONE, clock.now());
    expect(stats.deletedCount).toBe(2);
    expect((await listAll(st, "p")).map((b) => b.id)).not.toContain(pack);
  }, 60_000);

  test("blobs written after the maintenance start are kept even with SafetyNone", async () => {
    const m = await open("maint");
    const start = clock.now();
    clock.advance(2000);
    const w = await open("writer");
    const { pack } = await writerMidSession(w);
    const stats = await deleteUnreferencedBlobs(view(m), SAFETY_NONE, start);
    expect(stats.deletedCount).toBe(0);
    expect(stats.keptTooNew).toBeGreaterThanOrEqual(2);
    expect((await listAll(st, "p")).map((b) => b.id)).toContain(pack);
  }, 60_000);

  test("orphan packs: kept under 24h with SafetyFull, deleted after; referenced packs never", async () => {
    const w = await open("writer");
    const small = await w.contents.writeContent(new TextEncoder().encode("keep me"), { prefix: "" });
    await w.contents.flush();
    const orphan = `p${"ab".repeat(16)}-s0123456789abcdef123`;
    await st.putBlob(orphan, new Uint8Array(randomBytes(5000)));
    clock.advance(23 * HOUR);
    const m = await open("maint");
    let stats = await deleteUnreferencedBlobs(view(m), SAFETY_FULL, clock.now());
    expect(stats.deletedCount).toBe(0);
    clock.advance(2 * HOUR);
    stats = await deleteUnreferencedBlobs(view(m), SAFETY_FULL, clock.now());
    expect(stats.deletedCount).toBe(1);
    expect(stats.deletedBytes).toBe(5000);
    const packs = (await listAll(st, "p")).map((b) => b.id);
    expect(packs).not.toContain(orphan);
    expect(new TextDecoder().decode(await (await open("r")).contents.getContent(small))).toBe("keep me");
  }, 60_000);

  test("an unreadable session marker aborts blob GC instead of deleting blindly", async () => {
    const w = await open("writer");
    await writerMidSession(w);
    const marker = (await listAll(st, "s"))[0].id;
    const raw = await st.getBlob(marker);
    raw[raw.length - 1] ^= 0xff;
    await st.putBlob(marker, raw);
    clock.advance(200 * HOUR);
    const m = await open("maint");
    await expect(deleteUnreferencedBlobs(view(m), SAFETY_NONE, clock.now())).rejects.toThrow(/session marker/);
    expect((await listAll(st, "p")).length).toBeGreaterThan(0);
  }, 60_000);
});
