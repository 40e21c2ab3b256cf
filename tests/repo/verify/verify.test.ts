import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createContentRepository } from "../../../lib/repo/content-repository.ts";
import { verifyRepository } from "../../../lib/repo/verify.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import type { BlobStorage } from "../../../lib/storage/types.ts";
import { openTestRepository, randomData, tempDir, writeSnapshot } from "../maintenance/helpers.ts";

const PW = "verify-pw";
let dir: { path: string; cleanup: () => Promise<void> };
let st: BlobStorage;
const opened: any[] = [];

async function open(): Promise<any> {
  const r = await openTestRepository(st, PW, { hostname: "h", username: "u" });
  opened.push(r);
  return r;
}

const F1 = randomData(150_000, 7);
const F2 = randomData(90_000, 8);

async function fixture() {
  const w = await open();
  const snap = await writeSnapshot(w, { "one.bin": F1, dir: { "two.bin": F2 } }, { host: "h", user: "u", path: "/v" }, new Date());
  const doc = JSON.parse(new TextDecoder().decode(await w.objects.readObject(snap.rootObjectId)));
  const one: string = doc.entries.find((e: any) => e.name === "one.bin").obj;
  const info = await w.contents.getContentInfo(one);
  return { w, snap, one, info };
}

beforeEach(async () => {
  dir = await tempDir("corso-verify-");
  st = await openFilesystemStorage({ path: join(dir.path, "repo"), create: true });
  await createContentRepository(st, PW);
});
afterEach(async () => {
  for (const r of opened.splice(0)) await r.close?.().catch(() => {});
  await dir.cleanup();
});

describe("verifyRepository", () => {
  test("a healthy repository has no problems; 100% reads every content", async () => {
    await fixture();
    const r = await verifyRepository(await open(), { readDataPercent: 100 });
    expect(r.problems).toEqual([]);
    expect(r.snapshotsChecked).toBe(1);
    let n = 0;
    for await (const _ of (await open()).contents.iterateContents({})) n++;
    expect(r.contentsChecked).toBe(n);
    expect(r.bytesRead).toBeGreaterThan(F1.length + F2.length);
  }, 60_000);

  test("a flipped byte inside a pack is reported with the content and pack", async () => {
    const { one, info } = await fixture();
    const raw = await st.getBlob(info.packBlobId);
    raw[info.packOffset + 40] ^= 0x01;
    await st.putBlob(info.packBlobId, raw);
    const r = await verifyRepository(await open(), { readDataPercent: 100 });
    expect(r.problems.length).toBe(1);
    expect(r.problems[0]).toContain(one);
    expect(r.problems[0]).toContain(info.packBlobId);
    // 0%: only manifests are read, the damaged data content is not
    const r0 = await verifyRepository(await open(), { readDataPercent: 0 });
    expect(r0.problems).toEqual([]);
  }, 60_000);

  test("a deleted pack blob is reported for every content and the snapshot using it", async () => {
    const { snap, one, info } = await fixture();
    await st.deleteBlob(info.packBlobId);
    const r = await verifyRepository(await open(), { readDataPercent: 0 });
    expect(r.problems.some((p) => p.includes(one) && p.includes(info.packBlobId) && p.includes("not found"))).toBe(true);
    expect(r.problems.some((p) => p.includes(`snapshot ${snap.manifestId}`) && p.includes("/one.bin") && p.includes(info.packBlobId))).toBe(true);
    // F2 was in the same pack: reported too, verification did not stop at the first problem
    expect(r.problems.length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  test("a truncated pack: entry range exceeds the blob", async () => {
    const { one, info } = await fixture();
    const raw = await st.getBlob(info.packBlobId);
    await st.putBlob(info.packBlobId, raw.subarray(0, info.packOffset + 10));
    const r = await verifyRepository(await open(), { readDataPercent: 0 });
    expect(r.problems.some((p) => p.includes(one) && p.includes("exceeds pack blob"))).toBe(true);
  }, 60_000);

  test("a snapshot referencing a deleted content is reported", async () => {
    const { w, snap, one } = await fixture();
    await w.contents.deleteContent(one);
    await w.flush();
    const r = await verifyRepository(await open(), { readDataPercent: 0 });
    expect(r.problems).toEqual([expect.stringContaining(`snapshot ${snap.manifestId}: /one.bin: object ${one}: content ${one} is deleted`)]);
  }, 60_000);

  test("sampling is deterministic per seed and proportional", async () => {
    await fixture();
    const a = await verifyRepository(await open(), { readDataPercent: 50, seed: 1 });
    const b = await verifyRepository(await open(), { readDataPercent: 50, seed: 1 });
    expect(a.contentsChecked).toBe(b.contentsChecked);
    expect(a.bytesRead).toBe(b.bytesRead);
    const all = await verifyRepository(await open(), { readDataPercent: 100 });
    expect(a.contentsChecked).toBeLessThanOrEqual(all.contentsChecked);
  }, 60_000);
});
