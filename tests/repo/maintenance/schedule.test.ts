import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { aesGcmOpen } from "../../../lib/crypto/aes-gcm.ts";
import { hkdfSha256 } from "../../../lib/crypto/hkdf.ts";
import { CorruptDataError } from "../../../lib/errors.ts";
import { createContentRepository, openContentRepository, type ContentRepository } from "../../../lib/repo/content-repository.ts";
import { SAFETY_FULL, SAFETY_NONE } from "../../../lib/repo/maintenance/safety.ts";
import {
  MAINTENANCE_SCHEDULE_BLOB_ID, TASK, addRun, emptySchedule, findSafeDropTime, parseSchedule, readSchedule, serializeSchedule,
  shouldDeleteOrphanedPacks, shouldFullRewriteContents, writeSchedule, type RunInfo,
} from "../../../lib/repo/maintenance/schedule.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { HOUR, kopiaCli, tempDir } from "./helpers.ts";

const T0 = Date.parse("2026-01-10T12:00:00Z");
const run = (startH: number, endH: number, success = true): RunInfo => ({
  start: new Date(T0 + startH * HOUR),
  end: new Date(T0 + endH * HOUR),
  success,
});

describe("schedule JSON", () => {
  test("serialises like Go (sorted run keys, zero times, omitempty) and round-trips", () => {
    const s = emptySchedule();
    addRun(s, TASK.snapshotGC, run(0, 1));
    addRun(s, TASK.cleanupLogs, { ...run(2, 3, false), error: "boom" });
    const json = new TextDecoder().decode(serializeSchedule(s));
    expect(json).toBe(
      '{"nextFullMaintenance":"0001-01-01T00:00:00Z","nextQuickMaintenance":"0001-01-01T00:00:00Z","runs":{' +
        '"cleanup-logs":[{"start":"2026-01-10T14:00:00Z","end":"2026-01-10T15:00:00Z","error":"boom"}],' +
        '"snapshot-gc":[{"start":"2026-01-10T12:00:00Z","end":"2026-01-10T13:00:00Z","success":true}]}}',
    );
    const back = parseSchedule(serializeSchedule(s));
    expect(back.nextFullMaintenance).toBeUndefined();
    expect(back.runs[TASK.snapshotGC][0]).toEqual(run(0, 1));
    expect(back.runs[TASK.cleanupLogs][0].error).toBe("boom");
    expect(back.runs[TASK.cleanupLogs][0].success).toBe(false);
  });

  test("parses Go output with nanoseconds, offsets and null runs", () => {
    const s = parseSchedule(
      new TextEncoder().encode(
        '{"nextFullMaintenance":"2026-01-11T13:00:00.123456789+01:00","nextQuickMaintenance":"0001-01-01T00:00:00Z","runs":null}',
      ),
    );
    expect(s.nextFullMaintenance?.toISOString()).toBe("2026-01-11T12:00:00.123Z");
    expect(s.nextQuickMaintenance).toBeUndefined();
    expect(s.runs).toEqual({});
  });

  test("rejects garbage", () => {
    expect(() => parseSchedule(new TextEncoder().encode("{nope"))).toThrow(CorruptDataError);
    expect(() => parseSchedule(new TextEncoder().encode('{"nextFullMaintenance":"yesterday"}'))).toThrow(CorruptDataError);
  });

  test("keeps at most 5 runs per task, newest first", () => {
    const s = emptySchedule();
    for (let i = 0; i < 7; i++) addRun(s, TASK.snapshotGC, run(i, i + 0.5));
    expect(s.runs[TASK.snapshotGC].length).toBe(5);
    expect(s.runs[TASK.snapshotGC][0].start.getTime()).toBe(T0 + 6 * HOUR);
    expect(s.runs[TASK.snapshotGC][4].start.getTime()).toBe(T0 + 2 * HOUR);
  });
});

describe("safety decisions", () => {
  test("safe drop time needs two successful GCs more than 4h apart (SafetyFull)", () => {
    expect(findSafeDropTime([], SAFETY_FULL)).toBeUndefined();
    expect(findSafeDropTime([run(0, 1)], SAFETY_FULL)).toBeUndefined();
    // second run starts 3h after the first ended: too close
    expect(findSafeDropTime([run(4, 5), run(0, 1)], SAFETY_FULL)).toBeUndefined();
    // failed runs don't count
    expect(findSafeDropTime([run(6, 7), run(0, 1, false)], SAFETY_FULL)).toBeUndefined();
    // 5h apart: drop = older start − 1h
    expect(findSafeDropTime([run(6, 7), run(0, 1)], SAFETY_FULL)?.getTime()).toBe(T0 - HOUR);
    // picks the newest older run that is far enough
    expect(findSafeDropTime([run(20, 21), run(18, 19), run(10, 11), run(0, 1)], SAFETY_FULL)?.getTime()).toBe(T0 + 9 * HOUR);
    // SafetyNone: any two runs, no extra margin
    expect(findSafeDropTime([run(0.5, 0.6), run(0, 0.1)], SAFETY_NONE)?.getTime()).toBe(T0);
  });

  test("rewrite and blob deletion alternate with SafetyFull", () => {
    const s = emptySchedule();
    expect(shouldFullRewriteContents(s, SAFETY_FULL)).toBe(true);
    addRun(s, TASK.rewriteContentsFull, run(0, 1));
    expect(shouldFullRewriteContents(s, SAFETY_FULL)).toBe(false);
    expect(shouldFullRewriteContents(s, SAFETY_NONE)).toBe(true);
    expect(shouldDeleteOrphanedPacks(new Date(T0 + 1.5 * HOUR), s, SAFETY_FULL)).toBe(false);
    expect(shouldDeleteOrphanedPacks(new Date(T0 + 2 * HOUR), s, SAFETY_FULL)).toBe(true);
    expect(shouldDeleteOrphanedPacks(new Date(T0 + 1 * HOUR), s, SAFETY_NONE)).toBe(true);
    addRun(s, TASK.deleteOrphanedBlobsFull, run(2, 2.1));
    expect(shouldFullRewriteContents(s, SAFETY_FULL)).toBe(true);
  });
});

describe("kopia.maintenance blob", () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let repo: ContentRepository;
  const password = "schedule-test-pw";

  beforeAll(async () => {
    dir = await tempDir("corso-sched-");
    const st = await openFilesystemStorage({ path: join(dir.path, "repo"), create: true });
    await createContentRepository(st, password);
    repo = await openContentRepository(st, password, { hostname: "h", username: "u" });
  });
  afterAll(async () => {
    await repo?.close();
    await dir?.cleanup();
  });

  test("missing blob reads as an empty schedule", async () => {
    expect(await readSchedule(repo)).toEqual(emptySchedule());
  });

  test("encrypted with HKDF(masterKey, uniqueID, 'maintenance schedule'), AAD 'maintenance'", async () => {
    const s = emptySchedule();
    s.nextFullMaintenance = new Date(T0);
    addRun(s, TASK.snapshotGC, run(0, 1));
    await writeSchedule(repo, s);
    const raw = await repo.storage.getBlob(MAINTENANCE_SCHEDULE_BLOB_ID);
    const key = hkdfSha256(repo.config.masterKey, repo.uniqueId, "maintenance schedule", 32);
    const plain = JSON.parse(new TextDecoder().decode(aesGcmOpen(key, raw, new TextEncoder().encode("maintenance"))));
    expect(plain.nextFullMaintenance).toBe("2026-01-10T12:00:00Z");
    expect(plain.runs["snapshot-gc"][0].success).toBe(true);
    expect(() => aesGcmOpen(key, raw, new TextEncoder().encode("other"))).toThrow();
    const back = await readSchedule(repo);
    expect(back.runs[TASK.snapshotGC][0]).toEqual(run(0, 1));
  });

  test("a damaged blob is a clear CorruptDataError", async () => {
    const raw = await repo.storage.getBlob(MAINTENANCE_SCHEDULE_BLOB_ID);
    const bad = raw.slice();
    bad[20] ^= 1;
    await repo.storage.putBlob(MAINTENANCE_SCHEDULE_BLOB_ID, bad);
    await expect(readSchedule(repo)).rejects.toThrow(/kopia.maintenance: unable to decrypt/);
    await repo.storage.putBlob(MAINTENANCE_SCHEDULE_BLOB_ID, raw);
  });

  test("kopia 0.15 reads the schedule we wrote", async () => {
    const s = emptySchedule();
    s.nextFullMaintenance = new Date(Date.now() + 24 * HOUR);
    s.nextQuickMaintenance = new Date(Date.now() + HOUR);
    addRun(s, TASK.snapshotGC, { start: new Date(T0), end: new Date(T0 + 1000), success: true });
    addRun(s, TASK.cleanupLogs, { start: new Date(T0), end: new Date(T0 + 1000), success: false, error: "disk on fire" });
    await writeSchedule(repo, s);
    const k = kopiaCli(join(dir.path, "kopia"), password);
    k.run(["repository", "connect", "filesystem", `--path=${join(dir.path, "repo")}`, "--override-hostname=h", "--override-username=u"]);
    const info = JSON.parse(k.run(["maintenance", "info", "--json"]).stdout);
    expect(info.schedule.runs["snapshot-gc"][0].success).toBe(true);
    expect(new Date(info.schedule.runs["snapshot-gc"][0].start).getTime()).toBe(T0);
    expect(info.schedule.runs["cleanup-logs"][0].error).toBe("disk on fire");
    expect(new Date(info.schedule.nextFullMaintenance).getTime()).toBe(s.nextFullMaintenance.getTime());
  });
});
