// Snapshot manifests found by arbitrary labels (tags), oldest first.
import type { Repository } from "../../repo/repository.ts";
import { loadSnapshot, SNAPSHOT_TYPE, type SnapshotManifest } from "../../repo/snapshot/manifest.ts";

export async function listSnapshotsByLabels(repo: Repository, labels: Record<string, string>): Promise<SnapshotManifest[]> {
  const found = await repo.manifests.find({ ...labels, type: SNAPSHOT_TYPE });
  const out: SnapshotManifest[] = [];
  for (const md of found) out.push(await loadSnapshot(repo.manifests, md.id));
  out.sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : a.startTimeNs > b.startTimeNs ? 1 : 0));
  return out;
}
