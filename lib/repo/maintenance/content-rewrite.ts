// Full content rewrite (kopia repo/maintenance/content_rewrite.go): contents of packs smaller
// than 60% of maxPackSize are copied into new packs so that small packs become unreferenced
// and blob GC can delete them later. Deleted entries are rewritten too (keeping their deleted
// flag): their data must stay readable until the deletion watermark passes them.
import { CorsoError, errorMessage } from "../../errors.ts";
import type { ContentInfo } from "../types.ts";
import type { SafetyParameters } from "./safety.ts";
import type { MaintenanceRepository } from "./types.ts";

export const SHORT_PACK_THRESHOLD_PERCENT = 60;

export interface PackUsage {
  packBlobId: string;
  contentCount: number;
  totalSize: number;
  contents: ContentInfo[];
}

export interface RewriteStats {
  shortPacks: number;
  rewrittenCount: number;
  rewrittenBytes: number;
  tooRecentCount: number;
}

/** Groups the merged index (deleted entries included) by pack blob (kopia IteratePacks). */
export async function packUsage(repo: Pick<MaintenanceRepository, "contents">, prefix?: string): Promise<Map<string, PackUsage>> {
  const packs = new Map<string, PackUsage>();
  for await (const ci of repo.contents.iterateContents({ includeDeleted: true })) {
    if (prefix && !ci.packBlobId.startsWith(prefix)) continue;
    let pu = packs.get(ci.packBlobId);
    if (!pu) {
      pu = { packBlobId: ci.packBlobId, contentCount: 0, totalSize: 0, contents: [] };
      packs.set(ci.packBlobId, pu);
    }
    pu.contentCount++;
    pu.totalSize += ci.packedLength;
    pu.contents.push(ci);
  }
  return packs;
}

/**
 * Contents of short packs, per pack prefix: a lone short pack is left alone (nothing to
 * consolidate it with); from the second short pack on, the first one's contents join in.
 */
export function contentsInShortPacks(packs: Iterable<PackUsage>, threshold: number): { packs: PackUsage[]; contents: ContentInfo[] } {
  const count = new Map<string, number>();
  const first = new Map<string, PackUsage>();
  const outPacks: PackUsage[] = [];
  const out: ContentInfo[] = [];
  // Sorted for determinism (kopia iterates a Go map, i.e. in random order).
  const sorted = [...packs].sort((a, b) => (a.packBlobId < b.packBlobId ? -1 : a.packBlobId > b.packBlobId ? 1 : 0));
  for (const pi of sorted) {
    if (pi.totalSize >= threshold) continue;
    const prefix = pi.packBlobId.slice(0, 1);
    const n = (count.get(prefix) ?? 0) + 1;
    count.set(prefix, n);
    if (n === 1) {
      first.set(prefix, pi);
      continue;
    }
    if (n === 2) {
      const f = first.get(prefix)!;
      outPacks.push(f);
      out.push(...f.contents);
    }
    outPacks.push(pi);
    out.push(...pi.contents);
  }
  return { packs: outPacks, contents: out };
}

export async function rewriteShortPacks(
  repo: MaintenanceRepository,
  safety: SafetyParameters,
  now: Date,
  onProgress?: (msg: string) => void,
): Promise<RewriteStats> {
  const threshold = Math.floor((repo.maxPackSize * SHORT_PACK_THRESHOLD_PERCENT) / 100);
  onProgress?.("Rewriting contents from short packs...");
  const { packs, contents } = contentsInShortPacks((await packUsage(repo)).values(), threshold);
  const st: RewriteStats = { shortPacks: packs.length, rewrittenCount: 0, rewrittenBytes: 0, tooRecentCount: 0 };
  const failures: string[] = [];
  for (const ci of contents) {
    if (now.getTime() - ci.timestampSeconds * 1000 < safety.rewriteMinAgeMs) {
      st.tooRecentCount++;
      continue;
    }
    try {
      await repo.contents.rewriteContent(ci.contentId);
      st.rewrittenCount++;
      st.rewrittenBytes += ci.packedLength;
    } catch (e) {
      failures.push(`${ci.contentId} (pack ${ci.packBlobId}${ci.deleted ? ", deleted" : ""}): ${errorMessage(e)}`);
    }
  }
  onProgress?.(`Total bytes rewritten ${st.rewrittenBytes}`);
  if (failures.length > 0) {
    throw new CorsoError("rewrite-failed", `failed to rewrite ${failures.length} contents, first: ${failures[0]}`);
  }
  await repo.contents.flush();
  return st;
}
