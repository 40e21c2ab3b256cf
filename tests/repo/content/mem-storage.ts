// A tiny in-memory BlobStorage for unit tests (blob timestamps can be set explicitly).
import { BlobNotFoundError } from "../../../lib/errors.ts";
import type { BlobMetadata, BlobStorage, PutOptions } from "../../../lib/storage/types.ts";

export class MemStorage implements BlobStorage {
  readonly displayName = "mem://test";
  readonly blobs = new Map<string, { data: Uint8Array; timestamp: Date }>();
  puts: { id: string; opts?: PutOptions }[] = [];
  now: () => Date = () => new Date();
  failPut?: (id: string) => boolean;

  async getBlob(id: string, offset = 0, length = -1): Promise<Uint8Array> {
    const b = this.blobs.get(id);
    if (!b) throw new BlobNotFoundError(id);
    const end = length < 0 ? b.data.length : Math.min(b.data.length, offset + length);
    return b.data.slice(offset, end);
  }
  async getMetadata(id: string): Promise<BlobMetadata> {
    const b = this.blobs.get(id);
    if (!b) throw new BlobNotFoundError(id);
    return { id, length: b.data.length, timestamp: b.timestamp };
  }
  async putBlob(id: string, data: Uint8Array, opts?: PutOptions): Promise<void> {
    if (this.failPut?.(id)) throw new Error(`simulated write failure for ${id}`);
    this.puts.push({ id, opts });
    this.blobs.set(id, { data: data.slice(), timestamp: this.now() });
  }
  /** Test helper: adds a blob with a given timestamp. */
  set(id: string, data: Uint8Array | string, timestamp = new Date()): void {
    this.blobs.set(id, { data: typeof data === "string" ? new TextEncoder().encode(data) : data, timestamp });
  }
  async deleteBlob(id: string): Promise<void> {
    this.blobs.delete(id);
  }
  async *listBlobs(prefix: string): AsyncIterable<BlobMetadata> {
    for (const [id, b] of [...this.blobs]) if (id.startsWith(prefix)) yield { id, length: b.data.length, timestamp: b.timestamp };
  }
  async close(): Promise<void> {}
}
