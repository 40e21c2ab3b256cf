// Measures full maintenance (SafetyNone) and verification on a synthetic filesystem repository:
// one snapshot of N small files plus a deleted snapshot of N/2 files.
//   bun scripts/bench-maintenance.ts [N=5000]
import { join } from "node:path";
import { createContentRepository } from "../lib/repo/content-repository.ts";
import { runMaintenance } from "../lib/repo/maintenance/index.ts";
import { verifyRepository } from "../lib/repo/verify.ts";
import { openFilesystemStorage } from "../lib/storage/filesystem.ts";
import { openTestRepository, randomData, tempDir, writeSnapshot } from "../tests/repo/maintenance/helpers.ts";

const N = Number(process.argv[2] ?? 5000);
const dir = await tempDir("corso-bench-maint-");
try {
  const st = await openFilesystemStorage({ path: join(dir.path, "repo"), create: true });
  await createContentRepository(st, "pw");
  const repo = await openTestRepository(st, "pw", { hostname: "h", username: "u" });
  const keep: Record<string, Uint8Array> = {};
  const drop: Record<string, Uint8Array> = {};
  for (let i = 0; i < N; i++) keep[`k${i}`] = randomData(4096, i + 1);
  for (let i = 0; i < N / 2; i++) drop[`d${i}`] = randomData(4096, 1_000_000 + i);
  let t = performance.now();
  await writeSnapshot(repo, keep, { host: "h", user: "u", path: "/keep" }, new Date());
  const d = await writeSnapshot(repo, drop, { host: "h", user: "u", path: "/drop" }, new Date());
  console.log(`write ${N * 1.5} files: ${(performance.now() - t).toFixed(0)} ms`);
  await repo.manifests.delete(d.manifestId);
  await repo.flush();
  t = performance.now();
  const r = await runMaintenance(repo, { mode: "full", owner: "u@h", safety: "none" });
  console.log(`full maintenance: ${(performance.now() - t).toFixed(0)} ms; deleted ${r.contentsDeleted} contents, rewrote ${r.contentsRewritten}, freed ${r.blobsDeleted} blobs`);
  for (const task of r.tasks) console.log(`  ${task.task}: ${task.ran ? `${task.durationMs.toFixed(0)} ms` : `skipped (${task.skipped})`}`);
  t = performance.now();
  const v = await verifyRepository(repo, { readDataPercent: 100 });
  console.log(`verify 100%: ${(performance.now() - t).toFixed(0)} ms; ${v.contentsChecked} contents, ${v.bytesRead} bytes, ${v.problems.length} problems`);
  await repo.close();
} finally {
  await dir.cleanup();
}
