// Drive upload sessions: sequential PUTs of `Content-Range` chunks to the pre-authenticated
// uploadUrl (no bearer token). Chunks are multiples of 320 KiB as Graph requires. A chunk that
// still fails after the HTTP-level retries is resumed from the server's nextExpectedRanges.

import { GraphError } from "./errors.ts";
import type { GraphHttp } from "./http.ts";
import type { GraphObject } from "./pager.ts";

export const UPLOAD_CHUNK_UNIT = 320 * 1024;
/** Corso copies in 5 MiB chunks (16 × 320 KiB). */
export const DEFAULT_UPLOAD_CHUNK = 16 * UPLOAD_CHUNK_UNIT;

export type UploadSource = Uint8Array | Blob | ReadableStream<Uint8Array>;

export function validChunkSize(n: number): number {
  if (!Number.isInteger(n) || n < UPLOAD_CHUNK_UNIT || n % UPLOAD_CHUNK_UNIT !== 0) {
    throw new RangeError(`upload chunk size must be a positive multiple of 320 KiB, got ${n}`);
  }
  return n;
}

/** Reads a source sequentially in fixed-size chunks; Blob/Uint8Array sources can also seek. */
class ChunkReader {
  private buf = new Uint8Array(0);
  private bufStart = 0; // absolute offset of buf[0]
  private reader?: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  private eof = false;
  constructor(private readonly src: UploadSource) {
    if (src instanceof ReadableStream) this.reader = src.getReader();
  }
  /** Bytes [start, start+len). Streams can only serve ranges at or after the current chunk. */
  async range(start: number, len: number): Promise<Uint8Array> {
    const src = this.src;
    if (src instanceof Uint8Array) return src.subarray(start, start + len);
    if (src instanceof Blob) return new Uint8Array(await src.slice(start, start + len).arrayBuffer());
    if (start < this.bufStart) throw new RangeError(`cannot rewind an upload stream to byte ${start}`);
    // drop consumed prefix
    if (start > this.bufStart) {
      const drop = Math.min(start - this.bufStart, this.buf.byteLength);
      this.buf = this.buf.subarray(drop);
      this.bufStart += drop;
    }
    while (this.bufStart + this.buf.byteLength < start + len && !this.eof) {
      const { done, value } = await this.reader!.read();
      if (done || !value) {
        this.eof = true;
        break;
      }
      const merged = new Uint8Array(this.buf.byteLength + value.byteLength);
      merged.set(this.buf, 0);
      merged.set(value, this.buf.byteLength);
      this.buf = merged;
    }
    if (start > this.bufStart + this.buf.byteLength) throw new RangeError(`upload source ended before byte ${start}`);
    return this.buf.subarray(start - this.bufStart, start - this.bufStart + len);
  }
  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => {});
  }
}

function nextExpectedStart(json: GraphObject): number | undefined {
  const r = json.nextExpectedRanges;
  if (!Array.isArray(r) || !r.length) return undefined;
  const m = /^(\d+)-/.exec(String(r[0]));
  return m ? Number(m[1]) : undefined;
}

export interface UploadOptions {
  chunkSize?: number;
  /** Status queries + chunk resends after a failed chunk (default 3). */
  maxChunkRecoveries?: number;
  signal?: AbortSignal;
}

/** Uploads `size` bytes from `source` to an upload session; returns the created driveItem. */
export async function uploadToSession(http: GraphHttp, uploadUrl: string, source: UploadSource, size: number, opts: UploadOptions = {}): Promise<GraphObject> {
  const chunk = validChunkSize(opts.chunkSize ?? 16 * UPLOAD_CHUNK_UNIT);
  const reader = new ChunkReader(source);
  let offset = 0;
  let recoveries = 0;
  try {
    if (size === 0) throw new RangeError("upload sessions cannot carry empty files: create them with PUT /content");
    for (;;) {
      const len = Math.min(chunk, size - offset);
      const bytes = await reader.range(offset, len);
      if (bytes.byteLength !== len) throw new RangeError(`upload source ended at byte ${offset + bytes.byteLength} of ${size}`);
      try {
        const res = await http.request({
          method: "PUT", url: uploadUrl, auth: false, service: "drive", body: bytes, maxAttempts: 4, signal: opts.signal,
          headers: { "Content-Range": `bytes ${offset}-${offset + len - 1}/${size}`, "Content-Type": "application/octet-stream" },
        });
        const json = res.text ? (JSON.parse(res.text) as GraphObject) : {};
        if (res.status === 200 || res.status === 201) return json;
        offset = nextExpectedStart(json) ?? offset + len;
      } catch (e) {
        if (!(e instanceof GraphError) || recoveries >= (opts.maxChunkRecoveries ?? 3) || e.kind === "not-found") throw e;
        recoveries++;
        // Ask the session where it stands and continue from there.
        const st = await http.request({ url: uploadUrl, auth: false, service: "drive", signal: opts.signal });
        const at = nextExpectedStart(st.text ? (JSON.parse(st.text) as GraphObject) : {});
        if (at === undefined) throw e;
        offset = at;
      }
      if (offset >= size) throw new GraphError({ status: 0, method: "PUT", url: uploadUrl, message: `upload session expects no more bytes but did not return the item` });
    }
  } finally {
    await reader.close();
  }
}
