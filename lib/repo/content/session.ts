// Write sessions (repo/content/sessions.go). A session ID names every pack written by one
// writer between flushes; its marker blob `s<hash>-<sessionID>` protects uncommitted packs from
// garbage collection until the session's index blobs are written.
import { randomBytes } from "../../crypto/random.ts";
import type { BlobStorage } from "../../storage/types.ts";
import { decryptBlob, encryptBlob, toHex, type Crypter } from "../blobcrypto.ts";
import { goMarshal, goTime, parseGoTime, parseJsonBytes } from "../format/go-json.ts";

export const SESSION_BLOB_PREFIX = "s";
const SESSION_EPOCH_START = Date.UTC(2000, 0, 1);
const SESSION_GRANULARITY_MS = 30 * 24 * 3600 * 1000;

export function generateSessionId(now: Date = new Date()): string {
  const months = Math.floor((now.getTime() - SESSION_EPOCH_START) / SESSION_GRANULARITY_MS);
  return `s${toHex(randomBytes(8))}${months.toString(16)}`;
}

export interface SessionInfo {
  id: string;
  startTime: Date;
  checkpointTime: Date;
  username: string;
  hostname: string;
}

export function sessionIdFromBlobId(blobId: string): string {
  const parts = blobId.split("-");
  for (const p of parts.slice(1)) if (p.startsWith("s")) return p;
  return "";
}

/** Writes an encrypted session marker; returns its blob ID. */
export async function writeSessionMarker(st: BlobStorage, c: Crypter, s: SessionInfo): Promise<string> {
  const js = goMarshal({
    id: s.id,
    startTime: goTime(s.startTime),
    checkpointTime: goTime(s.checkpointTime),
    username: s.username,
    hostname: s.hostname,
  });
  const { blobId, data } = encryptBlob(c, new TextEncoder().encode(js), SESSION_BLOB_PREFIX, s.id);
  await st.putBlob(blobId, data);
  return blobId;
}

/** Active sessions by ID (latest checkpoint wins), as maintenance needs them. */
export async function listActiveSessions(st: BlobStorage, c: Crypter): Promise<Map<string, SessionInfo>> {
  const out = new Map<string, SessionInfo>();
  for await (const m of st.listBlobs(SESSION_BLOB_PREFIX)) {
    const sid = sessionIdFromBlobId(m.id);
    if (!sid) continue;
    let data: Uint8Array;
    try {
      data = await st.getBlob(m.id);
    } catch {
      continue; // deleted meanwhile
    }
    const o = parseJsonBytes(decryptBlob(c, data, m.id), `session marker ${m.id}`);
    const si: SessionInfo = {
      id: String(o.id ?? sid),
      startTime: parseGoTime(o.startTime),
      checkpointTime: parseGoTime(o.checkpointTime),
      username: String(o.username ?? ""),
      hostname: String(o.hostname ?? ""),
    };
    const old = out.get(sid);
    if (!old || si.checkpointTime > old.checkpointTime) out.set(sid, si);
  }
  return out;
}
