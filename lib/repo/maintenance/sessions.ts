// Session markers (kopia repo/content/sessions.go, spec §7.5): a writer puts an encrypted
// `s<hash>-<sessionID>` blob before its first pack and deletes it after its index is written.
// Blob GC keeps the packs of sessions whose last checkpoint is recent.
import { CorruptDataError, errorMessage } from "../../errors.ts";
import { BlobNotFoundError } from "../../errors.ts";
import { listAll } from "../../storage/types.ts";
import { sessionIdFromBlobId, type SessionInfo } from "../content/session.ts";
import type { MaintenanceRepository } from "./types.ts";

export { sessionIdFromBlobId, type SessionInfo };

/** All sessions with a marker, each with its latest checkpoint. Unreadable markers abort. */
export async function listActiveSessions(
  repo: Pick<MaintenanceRepository, "storage" | "decryptMetadataBlob">,
): Promise<Map<string, SessionInfo>> {
  const out = new Map<string, SessionInfo>();
  for (const bm of await listAll(repo.storage, "s")) {
    const sid = sessionIdFromBlobId(bm.id);
    if (!sid) throw new CorruptDataError(`found invalid session blob ${bm.id}`);
    let raw: Uint8Array;
    try {
      raw = await repo.storage.getBlob(bm.id);
    } catch (e) {
      if (e instanceof BlobNotFoundError) continue; // committed meanwhile
      throw e;
    }
    let o: any;
    try {
      o = JSON.parse(new TextDecoder().decode(repo.decryptMetadataBlob(bm.id, raw)));
    } catch (e) {
      throw new CorruptDataError(`error reading session marker ${bm.id}: ${errorMessage(e)}`, { cause: e });
    }
    const si: SessionInfo = {
      id: typeof o?.id === "string" ? o.id : sid,
      startTime: new Date(o?.startTime ?? 0),
      checkpointTime: new Date(o?.checkpointTime ?? 0),
      username: String(o?.username ?? ""),
      hostname: String(o?.hostname ?? ""),
    };
    if (Number.isNaN(si.checkpointTime.getTime())) si.checkpointTime = new Date(0);
    const old = out.get(sid);
    if (!old || si.checkpointTime.getTime() > old.checkpointTime.getTime()) out.set(sid, si);
  }
  return out;
}
