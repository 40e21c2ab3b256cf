// Maintenance interop with the real kopia 0.15: kopia and we maintain the same repository in
// turn; afterwards kopia's own verifiers and restore must be clean.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MaintenanceNotOwnedError, TASK, getMaintenanceParams, readSchedule, runMaintenance, setMaintenanceParams } from "../../../lib/repo/maintenance/index.ts";
import { verifyRepository } from "../../../lib/repo/verify.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import type { BlobStorage } from "../../../lib/storage/types.ts";
import { kopiaCli, randomData, readTreeFile, tempDir, writeSnapshot, type KopiaCli, openTestRepository } from "./helpers.ts";

const PW = "interop-pw";
const OWNER = "u@h";
let dir: { path: string; cleanup: () => Promise<void> };
let k: KopiaCli;
let st: BlobStorage;
const opened: any[] = [];

const A_SMALL = randomData(120_000, 11);
const A_BIG = randomData(9 << 20, 12); // several chunks: indirect object
const B_ONLY = randomData(400_000, 13);
const C_OURS = randomData(250_000, 14);

async function open(): Promise<any> {
  const r = await openTestRepository(st, PW, { hostname: "h", username: "u" });
  opened.push(r);
  return r;
}

function snapshotsBySource(): Map<string, string> {
  const list = JSON.parse(k.run(["snapshot", "list", "--all", "--json"]).stdout) as any[];
  return new Map(list.map((s) => [s.source.path, s.id]));
}

beforeAll(async () => {
  dir = await tempDir("corso-kopia-maint-");
  const repoPath = join(dir.path, "repo");
  k = kopiaCli(join(dir.path, "kopia"), PW);
  k.run(["repository", "create", "filesystem", `--path=${repoPath}`, "--override-hostname=h", "--override-username=u"]);
  for (const [name, files] of [["A", { "small.bin": A_SMALL, "big.bin": A_BIG }], ["B", { "b.bin": B_ONLY, "small.bin": A_SMALL }]] as const) {
    const p = join(dir.path, "src", name);
    await mkdir(join(p, "nested"), { recursive: true });
    for (const [f, data] of Object.entries(files)) await writeFile(join(p, "nested", f), data);
    k.run(["snapshot", "create", p]);
  }
  st = await openFilesystemStorage({ path: repoPath });
}, 120_000);

afterAll(async () => {
  for (const r of opened.splice(0)) await r.close?.().catch(() => {});
  await dir?.cleanup();
});

describe("maintenance interop with kopia 0.15", () => {
  test("our snapshot in a kopia repo; kopia deletes B and runs full maintenance; we run full maintenance after it", async () => {
    const w = await open();
    const c = await writeSnapshot(w, { ours: { "c.bin": C_OURS } }, { host: "h", user: "u", path: "/ours" }, new Date());
    await w.close?.();
    const ids = snapshotsBySource();
    k.run(["snapshot", "delete", ids.get(join(dir.path, "src", "B"))!, "--delete"]);
    k.run(["maintenance", "run", "--full", "--safety=none"]);

    const m = await open();
    let r = await runMaintenance(m, { mode: "full", owner: OWNER, safety: "none" });
    expect(r.ownerClaimed).toBe(false);
    expect(r.snapshotGC!.snapshots).toBe(2);
    await Bun.sleep(1100); // rewritten deleted entries carry the next second's timestamp
    r = await runMaintenance(await open(), { mode: "full", owner: OWNER, safety: "none" });
    expect(r.tasks.filter((t) => t.error)).toEqual([]);

    // kopia's history and ours are one
    const s = await readSchedule(m);
    expect(s.runs[TASK.snapshotGC].length).toBeGreaterThanOrEqual(3); // kopia's auto + explicit, ours
    expect(s.runs[TASK.snapshotGC].every((x) => x.success)).toBe(true);

    const fresh = await open();
    expect(Buffer.from(await readTreeFile(fresh, c.rootObjectId, "ours/c.bin")).equals(Buffer.from(C_OURS))).toBe(true);
    expect((await verifyRepository(fresh, { readDataPercent: 100 })).problems).toEqual([]);
  }, 180_000);

  test("after our maintenance kopia verifies and restores everything, and its own maintenance succeeds", async () => {
    k.run(["snapshot", "verify", "--verify-files-percent=100"]);
    k.run(["content", "verify", "--full"]);
    const ids = snapshotsBySource();
    const out = join(dir.path, "restored");
    k.run(["snapshot", "restore", ids.get(join(dir.path, "src", "A"))!, out]);
    expect(Buffer.from(await readFile(join(out, "nested", "big.bin"))).equals(Buffer.from(A_BIG))).toBe(true);
    expect(Buffer.from(await readFile(join(out, "nested", "small.bin"))).equals(Buffer.from(A_SMALL))).toBe(true);
    const info = JSON.parse(k.run(["maintenance", "info", "--json"]).stdout);
    expect(info.owner).toBe(OWNER);
    k.run(["maintenance", "run", "--full", "--safety=none"]);
    k.run(["snapshot", "verify", "--verify-files-percent=100"]);
    k.run(["content", "verify", "--full"]);
    expect((await verifyRepository(await open(), { readDataPercent: 100 })).problems).toEqual([]);
  }, 180_000);

  test("B's unique data is gone from the index after both tools' maintenance", async () => {
    const m = await open();
    let liveData = 0;
    let totalOriginal = 0;
    for await (const ci of m.contents.iterateContents({ includeDeleted: true })) {
      if (!ci.contentId.startsWith("m") && ci.contentId.length === 32) {
        liveData++;
        totalOriginal += ci.originalLength;
      }
    }
    // A (small + big chunks) and our C remain; B's 400 KB file does not
    expect(liveData).toBeGreaterThan(0);
    expect(totalOriginal).toBeLessThan(A_SMALL.length + A_BIG.length + C_OURS.length + 64 * 1024);
  }, 180_000);

  test("maintenance parameters round-trip between kopia and us; kopia's owner is respected", async () => {
    k.run(["maintenance", "set", "--owner=someone@elsewhere", "--full-interval=36h", "--max-retained-log-count=77"]);
    const m = await open();
    const p = await getMaintenanceParams(m.manifests);
    expect(p.owner).toBe("someone@elsewhere");
    expect(p.full.intervalMs).toBe(36 * 3600_000);
    expect(p.logRetention.maxCount).toBe(77);
    await expect(runMaintenance(m, { mode: "full", owner: OWNER, safety: "none" })).rejects.toBeInstanceOf(MaintenanceNotOwnedError);

    await setMaintenanceParams(m.manifests, { ...p, owner: OWNER, extendObjectLocks: false, quick: { enabled: false, intervalMs: 2 * 3600_000 } }, m.contents);
    const info = JSON.parse(k.run(["maintenance", "info", "--json"]).stdout);
    expect(info.owner).toBe(OWNER);
    expect(info.quick).toEqual({ enabled: false, interval: 2 * 3600e9 });
    expect(info.full.interval).toBe(36 * 3600e9);
    expect(info.logRetention.maxCount).toBe(77);
    k.run(["maintenance", "run", "--full", "--safety=none"]); // kopia (u@h) is the owner again
  }, 180_000);
});
