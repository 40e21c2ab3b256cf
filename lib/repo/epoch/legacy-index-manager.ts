// Legacy v0 index blob manager (format version 1; repo/content/indexblob/index_blob_manager_v0.go),
// read side: the active set is every `n` blob minus the inputs of `m` compaction logs whose
// outputs all exist.
import { BlobNotFoundError } from "../../errors.ts";
import type { BlobMetadata, BlobStorage } from "../../storage/types.ts";
import { decryptBlob, encryptBlob, type Crypter } from "../blobcrypto.ts";
import { parseJsonBytes } from "../format/go-json.ts";

export const LEGACY_INDEX_PREFIX = "n";
export const LEGACY_COMPACTION_LOG_PREFIX = "m";
export const LEGACY_POISON_BLOB_ID = "n00000000000000000000000000000000-repository_unreadable_by_this_kopia_version_upgrade_required";

async function listAll(st: BlobStorage, prefix: string): Promise<BlobMetadata[]> {
  const out: BlobMetadata[] = [];
  for await (const m of st.listBlobs(prefix)) out.push(m);
  return out;
}

export class LegacyIndexManager {
  constructor(readonly st: BlobStorage, private readonly crypter: Crypter) {}

  async listActiveIndexBlobs(): Promise<BlobMetadata[]> {
    const [logs, indexes] = await Promise.all([listAll(this.st, LEGACY_COMPACTION_LOG_PREFIX), listAll(this.st, LEGACY_INDEX_PREFIX)]);
    const active = new Map(indexes.filter((b) => b.id !== LEGACY_POISON_BLOB_ID).map((b) => [b.id, b]));
    const present = new Set(indexes.map((b) => b.id));
    for (const log of logs) {
      let data: Uint8Array;
      try {
        data = await this.st.getBlob(log.id);
      } catch (e) {
        if (e instanceof BlobNotFoundError) continue;
        throw e;
      }
      const entry = parseJsonBytes(decryptBlob(this.crypter, data, log.id), `compaction log ${log.id}`);
      const outputs: { id: string }[] = Array.isArray(entry?.outputMetadata) ? entry.outputMetadata : [];
      const inputs: { id: string }[] = Array.isArray(entry?.inputMetadata) ? entry.inputMetadata : [];
      if (!outputs.every((o) => present.has(String(o?.id)))) continue;
      for (const i of inputs) active.delete(String(i?.id));
    }
    return [...active.values()];
  }

  /** `n<hash>-<sessionID>` index blobs. */
  async writeIndexBlobs(shards: Uint8Array[], sessionId: string): Promise<BlobMetadata[]> {
    const out: BlobMetadata[] = [];
    for (const s of shards) {
      const { blobId, data } = encryptBlob(this.crypter, s, LEGACY_INDEX_PREFIX, sessionId);
      await this.st.putBlob(blobId, data);
      out.push({ id: blobId, length: data.length, timestamp: new Date() });
    }
    return out;
  }
}
