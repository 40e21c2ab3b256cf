// Repository verification: index ↔ pack consistency, reachability of everything snapshots
// reference, and a (percentage) sample of contents downloaded, decrypted, decompressed and
// re-hashed. Every problem is collected and named (content, pack, snapshot); nothing stops at
// the first one.
import { errorMessage } from "../errors.ts";
import type { BlobStorage } from "../storage/types.ts";
import type { HashFunc } from "../crypto/types.ts";
import type { ContentInfo, ContentManager, ManifestEntryMetadata } from "./types.ts";
import { parseDirectoryEntries } from "./maintenance/reachability.ts";

export interface VerifyOptions {
  /** 0..100: share of (non-deleted) contents to download and re-hash. */
  readDataPercent: number;
  /** Seed for the sample; the same seed picks the same contents. Default: random. */
  seed?: number;
  onProgress?: (msg: string) => void;
}

export interface VerifyResult {
  problems: string[];
  contentsChecked: number;
  bytesRead: number;
  snapshotsChecked: number;
}

/** What verification needs from an opened Repository. */
export interface VerifiableRepository {
  storage: BlobStorage;
  contents: ContentManager;
  objects: { readObject(id: string): Promise<Uint8Array>; backingContents(id: string): Promise<string[]> };
  manifests: { find(labels: Record<string, string>): Promise<ManifestEntryMetadata[]>; get(id: string): Promise<unknown> };
  hash: HashFunc;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** FNV-1a 32 over the content ID mixed with the seed: a stable, uniform sample. */
function sampleKey(contentId: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < contentId.length; i++) {
    h ^= contentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche so that nearby IDs spread
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

function payloadOf(got: unknown): any {
  if (got && typeof got === "object" && "payload" in (got as Record<string, unknown>)) return (got as any).payload;
  return got;
}

export async function verifyRepository(repo: VerifiableRepository, opts: VerifyOptions): Promise<VerifyResult> {
  const progress = opts.onProgress ?? (() => {});
  const res: VerifyResult = { problems: [], contentsChecked: 0, bytesRead: 0, snapshotsChecked: 0 };
  const problem = (p: string) => {
    res.problems.push(p);
    progress(`problem: ${p}`);
  };
  const pct = Math.max(0, Math.min(100, opts.readDataPercent));
  const seed = opts.seed ?? Math.floor(Math.random() * 0x7fffffff);

  await repo.contents.refresh();

  // 1. Index ↔ pack consistency.
  progress("Checking index entries against pack blobs...");
  const packs = new Map<string, number>();
  for (const prefix of ["p", "q"]) for await (const bm of repo.storage.listBlobs(prefix)) packs.set(bm.id, bm.length);
  const live: ContentInfo[] = [];
  for await (const ci of repo.contents.iterateContents({ includeDeleted: false })) {
    live.push(ci);
    const len = packs.get(ci.packBlobId);
    if (len === undefined) {
      problem(`content ${ci.contentId}: pack blob ${ci.packBlobId} not found`);
    } else if (ci.packOffset < 0 || ci.packOffset + ci.packedLength > len) {
      problem(
        `content ${ci.contentId}: range [${ci.packOffset}, ${ci.packOffset + ci.packedLength}) exceeds pack blob ${ci.packBlobId} (${len} bytes)`,
      );
    }
  }
  const byId = new Map(live.map((c) => [c.contentId, c]));

  // 2. Manifests readable; snapshots fully reachable.
  progress("Checking snapshots...");
  const snapshots = await repo.manifests.find({ type: "snapshot" });
  const checkedObjects = new Map<string, boolean>();
  for (const md of snapshots) {
    res.snapshotsChecked++;
    let root: any;
    try {
      root = payloadOf(await repo.manifests.get(md.id))?.rootEntry;
    } catch (e) {
      problem(`snapshot ${md.id}: manifest unreadable: ${errorMessage(e)}`);
      continue;
    }
    if (!root || typeof root.obj !== "string" || !root.obj) {
      problem(`snapshot ${md.id}: manifest has no root object`);
      continue;
    }
    const stack: { obj: string; type: string; path: string }[] = [{ obj: root.obj, type: String(root.type ?? "d"), path: "/" }];
    while (stack.length > 0) {
      const it = stack.pop()!;
      const prior = checkedObjects.get(it.obj);
      if (prior !== undefined) {
        if (!prior) problem(`snapshot ${md.id}: ${it.path}: object ${it.obj} is damaged (see above)`);
        continue;
      }
      let ok = true;
      let cids: string[] = [];
      try {
        cids = await repo.objects.backingContents(it.obj);
      } catch (e) {
        ok = false;
        problem(`snapshot ${md.id}: ${it.path}: object ${it.obj}: ${errorMessage(e)}`);
      }
      for (const cid of cids) {
        const live = byId.get(cid);
        if (live) {
          if (!packs.has(live.packBlobId)) {
            ok = false;
            problem(`snapshot ${md.id}: ${it.path}: object ${it.obj}: content ${cid}: pack blob ${live.packBlobId} not found`);
          }
          continue;
        }
        ok = false;
        const info = await repo.contents.getContentInfo(cid);
        problem(
          `snapshot ${md.id}: ${it.path}: object ${it.obj}: content ${cid} ${info?.deleted ? `is deleted (pack ${info.packBlobId})` : "not found"}`,
        );
      }
      if (ok && it.type === "d") {
        try {
          const entries = parseDirectoryEntries(await repo.objects.readObject(it.obj), it.obj);
          for (const e of entries) {
            stack.push({ obj: e.obj, type: e.type, path: it.path === "/" ? `/${e.name}` : `${it.path}/${e.name}` });
          }
        } catch (e) {
          ok = false;
          problem(`snapshot ${md.id}: ${it.path}: directory ${it.obj} unreadable: ${errorMessage(e)}`);
        }
      }
      checkedObjects.set(it.obj, ok);
    }
  }

  // 3. Download, decrypt, decompress and re-hash a sample (manifest contents always).
  progress(`Reading ${pct}% of contents...`);
  const threshold = Math.floor((pct / 100) * 0x100000000);
  const sample = live.filter((c) => c.contentId.startsWith("m") || pct >= 100 || (pct > 0 && sampleKey(c.contentId, seed) < threshold));
  let next = 0;
  const worker = async () => {
    while (next < sample.length) {
      const ci = sample[next++];
      try {
        const data = await repo.contents.getContent(ci.contentId);
        res.bytesRead += ci.packedLength;
        const want = ci.contentId.length % 2 === 1 ? ci.contentId.slice(1) : ci.contentId;
        const got = hex(repo.hash(data));
        if (got !== want) problem(`content ${ci.contentId} (pack ${ci.packBlobId}): hash mismatch, data hashes to ${got}`);
        if (data.length !== ci.originalLength) {
          problem(`content ${ci.contentId} (pack ${ci.packBlobId}): length ${data.length} differs from index (${ci.originalLength})`);
        }
      } catch (e) {
        const msg = errorMessage(e);
        problem(msg.includes(ci.contentId) && msg.includes(ci.packBlobId) ? msg : `content ${ci.contentId} (pack ${ci.packBlobId}): ${msg}`);
      }
      res.contentsChecked++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, sample.length) }, worker));
  progress(`Verified ${res.contentsChecked} contents (${res.bytesRead} bytes), ${res.snapshotsChecked} snapshots, ${res.problems.length} problems.`);
  return res;
}
