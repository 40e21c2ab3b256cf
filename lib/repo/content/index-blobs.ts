// Loading and writing index blobs for the content layer, and the compaction function the epoch
// manager calls (ManagerV1.CompactEpoch).
import { randomBytes } from "../../crypto/random.ts";
import type { BlobStorage } from "../../storage/types.ts";
import { decryptBlob, encryptBlob, toHex, type Crypter } from "../blobcrypto.ts";
import { IndexBuilder, openIndex } from "./index-builder.ts";
import type { IndexReader } from "./index-reader.ts";

/** Fetches, decrypts and parses one index blob. */
export async function loadIndexBlob(st: BlobStorage, c: Crypter, blobId: string): Promise<IndexReader> {
  const data = await st.getBlob(blobId);
  const plain = decryptBlob(c, data, blobId);
  return openIndex(plain, c.encryptor.overhead, `index blob ${blobId}`);
}

/** Merges the given index blobs (deleted entries kept) into `outputPrefix<hash>-s<rand>-c<N>` blobs. */
export async function compactIndexBlobs(
  st: BlobStorage,
  c: Crypter,
  blobIds: string[],
  outputPrefix: string,
  indexVersion: number,
  load: (id: string) => Promise<IndexReader> = (id) => loadIndexBlob(st, c, id),
): Promise<string[]> {
  const b = new IndexBuilder();
  for (const id of blobIds) {
    const r = await load(id);
    for (let i = 0; i < r.entryCount; i++) b.add(r.entryAt(i));
  }
  const shards = b.buildShards(indexVersion, true);
  const suffix = `s${toHex(randomBytes(8))}-c${shards.length}`;
  const out: string[] = [];
  for (const s of shards) {
    const { blobId, data } = encryptBlob(c, s, outputPrefix, suffix);
    await st.putBlob(blobId, data);
    out.push(blobId);
  }
  return out;
}
