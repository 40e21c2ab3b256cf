// Worker entry of the chunk pool (chunk-pool.ts): hashes, compresses and encrypts one content
// off the main thread. Input bytes arrive transferred and the packed bytes go back transferred,
// so nothing is copied across threads. Must stay importable only by chunk-pool.ts and listed as
// an extra entrypoint in scripts/build.ts (compiled binaries bundle workers separately).
import { createEncryptor } from "../../crypto/encryption.ts";
import { createHashFunc } from "../../crypto/hash.ts";
import type { Encryptor, HashFunc } from "../../crypto/types.ts";
import { compress, compressorHeaderId } from "../compression/index.ts";
import { roundUp, type ChunkJob, type ChunkReply, type KeysMessage } from "./chunk-pool.ts";

declare const self: {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(msg: unknown, transfer?: ArrayBuffer[]): void;
};

// compressor/cipher outputs are off-heap garbage the collector underestimates; collect
// every few MB processed so each worker's RSS stays small
const GC_EVERY = 8 << 20;
let sinceGc = 0;


const keys = new Map<number, Promise<{ hash: HashFunc; enc: Encryptor }>>();

async function handle(job: ChunkJob): Promise<void> {
  try {
    const k = keys.get(job.keys);
    if (!k) throw new Error(`chunk worker: unknown key set ${job.keys}`);
    const { hash, enc } = await k;
    const data = new Uint8Array(job.data, 0, job.len);
    const h = hash(data);
    let payload: Uint8Array = data;
    let headerId = 0;
    if (job.compression && job.compression !== "none") {
      const c = compress(job.compression, data);
      if (c.length < data.length) {
        payload = c;
        headerId = compressorHeaderId(job.compression);
      }
    }
    const packed = enc.encrypt(payload, h.subarray(h.length - 16));
    // hand the bytes back in a recycled buffer (ours become worker garbage, collected here)
    let out: ArrayBuffer;
    if (job.out && job.out.byteLength >= packed.length) {
      out = job.out;
      new Uint8Array(out, 0, packed.length).set(packed);
    } else {
      out = new ArrayBuffer(roundUp(packed.length));
      new Uint8Array(out, 0, packed.length).set(packed);
    }
    const reply: ChunkReply = { id: job.id, hash: h, packed: out, packedLen: packed.length, headerId, input: job.data };
    const transfer = [out, job.data];
    self.postMessage(reply, transfer);
    sinceGc += job.len;
    if (sinceGc >= GC_EVERY) {
      sinceGc = 0;
      Bun.gc(true); // small heap: a full collection takes ~1 ms
    }
  } catch (e) {
    const reply: ChunkReply = { id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), input: job.data, out: job.out };
    self.postMessage(reply, job.out ? [job.data, job.out] : [job.data]);
  }
}

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as KeysMessage | ChunkJob;
  if (m.t === "keys") {
    const p = createHashFunc(m.hashName, m.secret).then((hash) => ({ hash, enc: createEncryptor(m.encName, m.masterKey) }));
    p.catch(() => {}); // reported per job
    keys.set(m.id, p);
    return;
  }
  void handle(m);
};
