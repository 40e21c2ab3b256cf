// Corso's pre-maintenance cleanup on a real repository's manifests (virtual clock for ages).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanupOrphanedBackups } from "../../lib/corso/cleanup-backups.ts";
import { createContentRepository } from "../../lib/repo/content-repository.ts";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import { ClockedStorage, HOUR, VirtualClock, openTestRepository, tempDir } from "../repo/maintenance/helpers.ts";

const PW = "cleanup-pw";
const DAY = 24 * HOUR;
const TENANT = "tenant-1";
const b64url = (s: string) => Buffer.from(s).toString("base64url").padEnd(Math.ceil(s.length / 3) * 4, "=");

let dir: { path: string; cleanup: () => Promise<void> };
let clock: VirtualClock;
let repo: any;

beforeEach(async () => {
  dir = await tempDir("corso-cleanup-");
  clock = new VirtualClock(Date.parse("2026-04-01T00:00:00Z"));
  const st = new ClockedStorage(await openFilesystemStorage({ path: join(dir.path, "repo"), create: true }), clock);
  await createContentRepository(st, PW);
  repo = await openTestRepository(st, PW, { hostname: "h", username: "u", now: clock.now });
});
afterEach(async () => {
  await repo?.close?.().catch(() => {});
  await dir.cleanup();
});

let seq = 0;
async function dataSnapshot(resource: string, reason = "exchangeemail"): Promise<string> {
  return repo.manifests.put(
    {
      type: "snapshot", hostname: reason, username: `${TENANT}-${resource}`, path: b64url(TENANT),
      "tag:is-canon-backup": "0", "tag:backup-id": `b${seq++}`, [`tag:${resource}`]: "0", [`tag:${reason}`]: "0",
    },
    { source: { host: reason, userName: `${TENANT}-${resource}`, path: b64url(TENANT) }, rootEntry: { type: "d", obj: "k00" } },
  );
}
async function detailsSnapshot(resource: string): Promise<string> {
  return repo.manifests.put(
    { type: "snapshot", hostname: "exchangeMetadatadetails", username: `${TENANT}-${resource}`, path: b64url(TENANT), [`tag:${resource}`]: "0" },
    { rootEntry: { type: "d", obj: "k00" } },
  );
}
async function backupModel(p: { snapshotID: string; streamStoreID?: string; detailsID?: string; resource: string; type?: string; created: Date; version?: string }): Promise<string> {
  return repo.manifests.put(
    { type: "BackupSchema", stableID: `stable-${seq++}`, storeVersion: p.version ?? "1", "backup-type": p.type ?? "merge-backup", service: "exchange" },
    {
      ID: `stable-${seq}`, creationTime: p.created.toISOString(), snapshotID: p.snapshotID, streamStoreID: p.streamStoreID ?? "",
      status: "Completed", protectedResourceID: p.resource, detailsID: p.detailsID ?? "",
    },
  );
}
async function completeBackup(resource: string, type = "merge-backup") {
  const data = await dataSnapshot(resource);
  const details = await detailsSnapshot(resource);
  const model = await backupModel({ snapshotID: data, streamStoreID: details, resource, type, created: clock.now() });
  return { data, details, model };
}
const live = async () => new Set((await repo.manifests.find({})).map((m: any) => m.id));

describe("cleanupOrphanedBackups", () => {
  test("deletes old orphaned and incomplete items, keeps complete and young ones", async () => {
    const complete = await completeBackup("r1");
    const orphanData = await dataSnapshot("r2");
    const orphanDetails = await detailsSnapshot("r2");
    const incompleteData = await dataSnapshot("r3");
    const incompleteModel = await backupModel({ snapshotID: incompleteData, streamStoreID: "missing-details", resource: "r3", created: clock.now() });
    const legacyDetails = await repo.manifests.put({ type: "BackupDetailsSchema", stableID: "legacy-1", storeVersion: "1" }, { entries: [] });
    const legacyData = await dataSnapshot("r4");
    const legacyModel = await backupModel({ snapshotID: legacyData, detailsID: legacyDetails, resource: "r4", created: clock.now() });
    const orphanLegacyDetails = await repo.manifests.put({ type: "BackupDetailsSchema", stableID: "legacy-2", storeVersion: "1" }, { entries: [] });
    const policy = await repo.manifests.put({ type: "policy", policyType: "global" }, {});
    await repo.flush();
    clock.advance(7.5 * DAY);
    const youngOrphan = await dataSnapshot("r5");
    await repo.flush();
    clock.advance(0.6 * DAY);

    const r = await cleanupOrphanedBackups(repo.manifests, { now: clock.now, contents: repo.contents });
    expect(new Set(r.deleted)).toEqual(new Set([orphanData, orphanDetails, incompleteData, incompleteModel, orphanLegacyDetails]));
    const left = await live();
    for (const id of [complete.data, complete.details, complete.model, legacyDetails, legacyData, legacyModel, policy, youngOrphan]) {
      expect(left.has(id)).toBe(true);
    }
    for (const id of r.deleted) expect(left.has(id)).toBe(false);
  });

  test("old assist backups are deleted unless they are the newest for their reason", async () => {
    const a1 = await completeBackup("r1", "assist-backup");
    clock.advance(HOUR);
    const a2 = await completeBackup("r1", "assist-backup");
    clock.advance(HOUR);
    const other = await completeBackup("r9", "assist-backup"); // different resource: its own reason
    await repo.flush();
    clock.advance(8 * DAY);
    const r = await cleanupOrphanedBackups(repo.manifests, { now: clock.now, contents: repo.contents });
    expect(new Set(r.assistDeleted)).toEqual(new Set([a1.model, a1.data, a1.details]));
    const left = await live();
    for (const id of [a2.model, a2.data, a2.details, other.model, other.data, other.details]) expect(left.has(id)).toBe(true);
  });

  test("a newer merge backup for the same reason retires every older assist backup", async () => {
    const a = await completeBackup("r1", "assist-backup");
    clock.advance(HOUR);
    const m = await completeBackup("r1", "merge-backup");
    await repo.flush();
    clock.advance(8 * DAY);
    const r = await cleanupOrphanedBackups(repo.manifests, { now: clock.now, contents: repo.contents });
    expect(new Set(r.deleted)).toEqual(new Set([a.model, a.data, a.details]));
    const left = await live();
    for (const id of [m.model, m.data, m.details]) expect(left.has(id)).toBe(true);
  });

  test("deletions are durable: a fresh handle sees them", async () => {
    const orphan = await dataSnapshot("r2");
    await repo.flush();
    clock.advance(8 * DAY);
    await cleanupOrphanedBackups(repo.manifests, { now: clock.now, contents: repo.contents });
    const again = await openTestRepository(repo.storage, PW, { hostname: "h", username: "u", now: clock.now });
    expect((await again.manifests.find({ type: "snapshot" })).map((m: any) => m.id)).not.toContain(orphan);
    await again.close();
  });

  test("a backup model with an unknown store version fails the cleanup without deleting anything", async () => {
    const orphan = await dataSnapshot("r2");
    await backupModel({ snapshotID: orphan, resource: "r2", created: clock.now(), version: "7" });
    await repo.flush();
    clock.advance(8 * DAY);
    await expect(cleanupOrphanedBackups(repo.manifests, { now: clock.now })).rejects.toThrow(/bad model version "7"/);
    expect((await live()).has(orphan)).toBe(true);
  });
});

describe("corsoRepoMaintenance", () => {
  test("cleanup then full maintenance frees an orphaned backup's data; complete backups restore", async () => {
    const { corsoRepoMaintenance } = await import("../../lib/corso/cleanup-backups.ts");
    const { randomData, readTreeFile, writeSnapshot } = await import("../repo/maintenance/helpers.ts");
    const keep = randomData(100_000, 1);
    const orphan = randomData(100_000, 2);
    const labels = (r: string) => ({ "tag:is-canon-backup": "0", [`tag:${r}`]: "0", "tag:exchangeemail": "0" });
    const src = (r: string) => ({ host: "exchangeemail", user: `${TENANT}-${r}`, path: b64url(TENANT) });
    const good = await writeSnapshot(repo, { "item.eml": keep }, src("r1"), clock.now(), labels("r1"));
    const details = await writeSnapshot(repo, { details: new TextEncoder().encode("{}") }, src("r1"), clock.now(), { "tag:r1": "0" });
    await backupModel({ snapshotID: good.manifestId, streamStoreID: details.manifestId, resource: "r1", created: clock.now() });
    const bad = await writeSnapshot(repo, { "item.eml": orphan }, src("r2"), clock.now(), labels("r2"));
    const badDoc = JSON.parse(new TextDecoder().decode(await repo.objects.readObject(bad.rootObjectId)));
    const badContent = badDoc.entries[0].obj;
    await repo.flush();
    clock.advance(8 * DAY);
    const opts = { mode: "full" as const, owner: "u@h", safety: "none" as const, now: clock.now };
    let r = await corsoRepoMaintenance(repo, opts);
    expect(r.cleanup!.deleted).toEqual([bad.manifestId]);
    expect(r.cleanupError).toBeUndefined();
    expect(r.contentsDeleted).toBeGreaterThanOrEqual(2);
    clock.advance(60_000);
    r = await corsoRepoMaintenance(repo, opts);
    const fresh = await openTestRepository(repo.storage, PW, { hostname: "h", username: "u", now: clock.now });
    expect(await fresh.contents.getContentInfo(badContent)).toBeUndefined();
    expect(Buffer.from(await readTreeFile(fresh, good.rootObjectId, "item.eml")).equals(Buffer.from(keep))).toBe(true);
    await fresh.close();
  }, 60_000);

  test("a failing cleanup is reported but maintenance still runs", async () => {
    const { corsoRepoMaintenance } = await import("../../lib/corso/cleanup-backups.ts");
    await backupModel({ snapshotID: "x", resource: "r", created: clock.now(), version: "9" });
    await repo.flush();
    clock.advance(8 * DAY);
    const r = await corsoRepoMaintenance(repo, { mode: "full", owner: "u@h", safety: "none", now: clock.now });
    expect(r.cleanupError).toMatch(/some space may not be freed: .*bad model version/);
    expect(r.tasks.some((t) => t.task === "snapshot-gc" && t.ran && !t.error)).toBe(true);
  }, 60_000);
});
