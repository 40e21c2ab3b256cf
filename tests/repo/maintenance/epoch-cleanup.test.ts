// Epoch cleanup through full maintenance: many small index writes over simulated hours advance
// epochs; maintenance compacts settled epochs and, once the compacted set is older than
// CleanupSafetyMargin on the storage clock, deletes the superseded xn blobs and old markers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createContentRepository } from "../../../lib/repo/content-repository.ts";
import { runMaintenance } from "../../../lib/repo/maintenance/index.ts";
import { verifyRepository } from "../../../lib/repo/verify.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { listAll } from "../../../lib/storage/types.ts";
import { ClockedStorage, HOUR, VirtualClock, kopiaCli, openTestRepository, randomData, readTreeFile, tempDir, writeSnapshot } from "./helpers.ts";

const PW = "epoch-pw";
const MIN = 60_000;
let dir: { path: string; cleanup: () => Promise<void> };
let clock: VirtualClock;
let st: ClockedStorage;
const opened: any[] = [];
const open = async (host: string) => {
  const r = await openTestRepository(st, PW, { hostname: host, username: "u", now: clock.now });
  opened.push(r);
  return r;
};
const epochOf = (id: string) => Number(/^x[nse](\d+)/.exec(id)![1]);

beforeAll(async () => {
  dir = await tempDir("corso-epoch-maint-");
  clock = new VirtualClock(Date.parse("2026-05-01T00:00:00Z"));
  st = new ClockedStorage(await openFilesystemStorage({ path: join(dir.path, "repo"), create: true }), clock);
  await createContentRepository(st, PW, {
    epochParameters: { MinEpochDuration: 10 * MIN * 1e6, EpochRefreshFrequency: 3 * MIN * 1e6 },
  });
});
afterAll(async () => {
  for (const r of opened.splice(0)) await r.close?.().catch(() => {});
  await dir.cleanup();
});

test("superseded index blobs and old epoch markers are removed only after the safety margin", async () => {
  const w = await open("writer");
  const tree: Record<string, Uint8Array> = {};
  for (let i = 0; i < 100; i++) {
    const d = randomData(2000, 1000 + i);
    tree[`f${i}`] = d;
    await w.objects.writeObject(d);
    await w.flush(); // one xn blob per flush
    clock.advance(MIN);
  }
  const snap = await writeSnapshot(w, tree, { host: "h", user: "u", path: "/e" }, clock.now());
  const markers = (await listAll(st, "xe")).map((b) => epochOf(b.id));
  const W = Math.max(...markers);
  expect(W).toBeGreaterThanOrEqual(3);

  // Maintenance now: settled epochs get (or already have) xs sets, but those are too new.
  let r = await runMaintenance(await open("m"), { mode: "full", owner: "u@m", safety: "none", now: clock.now });
  for (let e = 0; e <= W - 2; e++) expect((await listAll(st, `xs${e}_`)).length).toBeGreaterThan(0);
  expect(r.epoch!.supersededIndexBlobsDeleted).toBe(0);
  expect((await listAll(st, "xn0_")).length).toBeGreaterThan(0);

  // 5h later a writer adds an index blob (advancing the storage clock); now the xs sets are
  // older than the 4h CleanupSafetyMargin.
  clock.advance(5 * HOUR);
  const w2 = await open("writer2");
  await w2.objects.writeObject(randomData(3000, 7));
  await w2.flush();
  r = await runMaintenance(await open("m2"), { mode: "full", owner: "u@m", safety: "none", now: clock.now });
  expect(r.epoch!.supersededIndexBlobsDeleted).toBeGreaterThan(0);
  const W2 = Math.max(...(await listAll(st, "xe")).map((b) => epochOf(b.id)));
  for (let e = 0; e <= W2 - 2; e++) {
    if ((await listAll(st, `xs${e}_`)).length > 0) expect((await listAll(st, `xn${e}_`)).length).toBe(0);
  }
  for (const id of (await listAll(st, "xe")).map((b) => b.id)) expect(epochOf(id)).toBeGreaterThanOrEqual(W2 - 1);

  // Everything is still there, for us and for kopia.
  const fresh = await open("reader");
  for (const i of [0, 37, 99]) {
    expect(Buffer.from(await readTreeFile(fresh, snap.rootObjectId, `f${i}`)).equals(Buffer.from(tree[`f${i}`]))).toBe(true);
  }
  expect((await verifyRepository(fresh, { readDataPercent: 100 })).problems).toEqual([]);
  const k = kopiaCli(join(dir.path, "kopia"), PW);
  k.run(["repository", "connect", "filesystem", `--path=${join(dir.path, "repo")}`, "--override-hostname=h", "--override-username=u", "--readonly"]);
  k.run(["content", "verify", "--full"]);
  k.run(["snapshot", "verify", "--verify-files-percent=100"]);
}, 180_000);
