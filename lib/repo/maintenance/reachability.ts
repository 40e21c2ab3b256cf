// Finds every content reachable from snapshot manifests (kopia snapshotgc findInUseContentIDs):
// root entry → directory objects → every entry's object, including indirect-list contents.
// Any unreadable manifest, directory or missing content aborts: GC must never run on a
// partial view of what is in use.
import { CorruptDataError, errorMessage } from "../../errors.ts";
import type { MaintenanceRepository } from "./types.ts";

export const SNAPSHOT_MANIFEST_LABELS = Object.freeze({ type: "snapshot" });

export interface SnapshotRoot {
  manifestId: string;
  rootObjectId: string;
  /** "d" directory, "f" file (single-file snapshot). */
  rootType: string;
}

interface DirEntryRef {
  name: string;
  type: string;
  obj: string;
}

/** Extracts the payload of a manifests.get() result (either {payload} or the payload itself). */
export function manifestPayload(got: unknown): any {
  if (got && typeof got === "object" && "payload" in (got as any)) return (got as any).payload;
  return got;
}

export async function listSnapshotRoots(repo: Pick<MaintenanceRepository, "manifests">): Promise<SnapshotRoot[]> {
  const mds = await repo.manifests.find({ ...SNAPSHOT_MANIFEST_LABELS });
  const out: SnapshotRoot[] = [];
  for (const md of mds) {
    const payload = manifestPayload(await repo.manifests.get(md.id));
    const root = payload?.rootEntry;
    if (!root || typeof root.obj !== "string" || root.obj === "") {
      throw new CorruptDataError(`snapshot manifest ${md.id} has no root object`);
    }
    out.push({ manifestId: md.id, rootObjectId: root.obj, rootType: typeof root.type === "string" ? root.type : "d" });
  }
  return out;
}

/** Parses a kopia:directory object (spec §10.3) into the entries that reference objects. */
export function parseDirectoryEntries(data: Uint8Array, objectId: string): DirEntryRef[] {
  let doc: any;
  try {
    doc = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    throw new CorruptDataError(`directory object ${objectId}: invalid JSON (${errorMessage(e)})`);
  }
  if (!doc || doc.stream !== "kopia:directory") {
    throw new CorruptDataError(`directory object ${objectId}: not a kopia:directory stream`);
  }
  const entries = Array.isArray(doc.entries) ? doc.entries : [];
  const out: DirEntryRef[] = [];
  for (const e of entries) {
    if (!e || typeof e !== "object") continue;
    if (typeof e.obj !== "string" || e.obj === "") continue; // symlinks without objects etc.
    out.push({ name: String(e.name ?? ""), type: String(e.type ?? ""), obj: e.obj });
  }
  return out;
}

export interface WalkOptions {
  /** Require every backing content to exist in the index (deleted is fine: GC undeletes). */
  checkExists?: boolean;
  parallel?: number;
  onObject?: (objectId: string, contentIds: string[]) => void;
}

/**
 * Walks the given roots and returns the set of content IDs in use. Objects shared between
 * snapshots are visited once.
 */
export async function findInUseContents(
  repo: Pick<MaintenanceRepository, "objects" | "contents">,
  roots: SnapshotRoot[],
  opts: WalkOptions = {},
): Promise<Set<string>> {
  const used = new Set<string>();
  const visited = new Set<string>();
  const queue: { obj: string; type: string; path: string }[] = [];
  for (const r of roots) {
    if (!visited.has(r.rootObjectId)) {
      visited.add(r.rootObjectId);
      queue.push({ obj: r.rootObjectId, type: r.rootType, path: `snapshot ${r.manifestId}` });
    }
  }
  const checkExists = opts.checkExists ?? true;
  let failure: unknown;
  const processOne = async (item: { obj: string; type: string; path: string }) => {
    let cids: string[];
    try {
      cids = await repo.objects.backingContents(item.obj);
    } catch (e) {
      throw new CorruptDataError(`error verifying ${item.obj} (${item.path}): ${errorMessage(e)}`, { cause: e });
    }
    for (const cid of cids) {
      if (checkExists && !used.has(cid)) {
        const info = await repo.contents.getContentInfo(cid);
        if (!info) throw new CorruptDataError(`error verifying ${item.obj} (${item.path}): content ${cid} not found`);
      }
      used.add(cid);
    }
    opts.onObject?.(item.obj, cids);
    if (item.type === "d") {
      let entries: DirEntryRef[];
      try {
        entries = parseDirectoryEntries(await repo.objects.readObject(item.obj), item.obj);
      } catch (e) {
        throw new CorruptDataError(`error reading directory ${item.obj} (${item.path}): ${errorMessage(e)}`, { cause: e });
      }
      for (const e of entries) {
        if (visited.has(e.obj)) continue;
        visited.add(e.obj);
        queue.push({ obj: e.obj, type: e.type, path: `${item.path}/${e.name}` });
      }
    }
  };
  const parallel = Math.max(1, opts.parallel ?? 8);
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failure !== undefined) return;
      while (active < parallel && queue.length > 0) {
        const item = queue.shift()!;
        active++;
        processOne(item).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          (e) => {
            failure = e;
            reject(e);
          },
        );
      }
      if (queue.length === 0 && active === 0) resolve();
    };
    pump();
  });
  return used;
}
