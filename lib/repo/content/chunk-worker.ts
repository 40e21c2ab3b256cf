// Worker entry of the chunk pool (chunk-pool.ts): hashes, compresses and encrypts one content
// off the main thread. Input bytes arrive transferred and the packed bytes go back transferred
// in recycled buffers: fewer multi-MB allocations matter because freed ones are returned to the
// OS and page-faulted in again (that was ~1/3 of ingest CPU as kernel time). Must stay importable only by chunk-pool.ts and listed as
// an extra entrypoint in scripts/build.ts (compiled binaries bundle workers separately).
import { createCipheriv, createHmac } from "node:crypto";
import { contentKeyDerivationSecret, createEncryptor, DEFAULT_ENCRYPTION_ALGORITHM } from "../../crypto/encryption.ts";
import { randomBytes } from "../../crypto/random.ts";
import { createHashFunc } from "../../crypto/hash.ts";
import type { Encryptor, HashFunc } from "../../crypto/types.ts";
import { compressTransient, compressorHeaderId } from "../compression/index.ts";
import { sizeClass } from "./buffer-pool.ts";
import type { ChunkJob, ChunkReply, KeysMessage } from "./chunk-pool.ts";

declare const self: {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(msg: unknown, transfer?: ArrayBuffer[]): void;
};

// The cipher's output (one fresh buffer per content) is off-heap garbage the collector
// underestimates: a young-generation collection every few MB keeps this worker's RSS small. Not
// a full one each time: Bun returns memory to the OS after a full collection, and the next
// chunk's output then page-faults in again (~1,000 faults per 4 MiB; AES-GCM ran at ~1.3 GB/s
// that way against ~3 GB/s with young collections). A full collection every 128 MB still
// bounds what survives into the old generation.
const GC_EVERY = 8 << 20;
const FULL_GC_EVERY = 128 << 20;
let sinceFullGc = 0;
let sinceGc = 0;


interface Keys {
  hash: HashFunc;
  enc: Encryptor;
  /** AES256-GCM-HMAC-SHA256 only: HKDF content-key root, for sealing straight into `out`. */
  kds?: Buffer;
}

const keys = new Map<number, Promise<Keys>>();

const NONCE = 12;
const TAG = 16;

/**
 * kopia's AES256-GCM-HMAC-SHA256 content encryption (same bytes as Encryptor.encrypt:
 * nonce || ct || tag, key = HMAC-SHA256(kds, iv), AAD = iv), written directly into a recycled
 * buffer: one cipher output allocation per content instead of three.
 */
function sealAesInto(kds: Buffer, iv: Uint8Array, payload: Uint8Array, spare: ArrayBuffer | undefined): { out: ArrayBuffer; len: number } {
  const key = createHmac("sha256", kds).update(iv).digest();
  const nonce = randomBytes(NONCE);
  const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG });
  c.setAAD(iv);
  const len = NONCE + payload.length + TAG;
  const out = spare && spare.byteLength >= len ? spare : new ArrayBuffer(sizeClass(len));
  const u = new Uint8Array(out, 0, len);
  u.set(nonce, 0);
  let off = NONCE;
  const body = c.update(payload);
  u.set(body, off);
  off += body.length;
  const fin = c.final();
  u.set(fin, off);
  off += fin.length;
  u.set(c.getAuthTag(), off);
  if (off + TAG !== len) throw new Error(`chunk worker: sealed ${off + TAG} bytes, expected ${len}`);
  return { out, len };
}

async function handle(job: ChunkJob): Promise<void> {
  try {
    const k = keys.get(job.keys);
    if (!k) throw new Error(`chunk worker: unknown key set ${job.keys}`);
    const { hash, enc, kds } = await k;
    const data = new Uint8Array(job.data, 0, job.len);
    const h = hash(data);
    let payload: Uint8Array = data;
    let headerId = 0;
    if (job.compression && job.compression !== "none") {
      const c = compressTransient(job.compression, data); // sealed below before any await
      if (c.length < data.length) {
        payload = c;
        headerId = compressorHeaderId(job.compression);
      }
    }
    const iv = h.subarray(h.length - 16);
    let out: ArrayBuffer;
    let packedLen: number;
    if (kds) {
      ({ out, len: packedLen } = sealAesInto(kds, iv, payload, job.out));
    } else {
      // other algorithms: their encryptor, then into a recycled buffer
      const packed = enc.encrypt(payload, iv);
      packedLen = packed.length;
      out = job.out && job.out.byteLength >= packedLen ? job.out : new ArrayBuffer(sizeClass(packedLen));
      new Uint8Array(out, 0, packedLen).set(packed);
    }
    const reply: ChunkReply = { id: job.id, hash: h, packed: out, packedLen, headerId, input: job.data };
    const transfer = [out, job.data];
    self.postMessage(reply, transfer);
    sinceGc += job.len;
    sinceFullGc += job.len;
    if (sinceGc >= GC_EVERY) {
      sinceGc = 0;
      const full = sinceFullGc >= FULL_GC_EVERY;
      if (full) sinceFullGc = 0;
      Bun.gc(full);
    }
  } catch (e) {
    const reply: ChunkReply = { id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), input: job.data, out: job.out };
    self.postMessage(reply, job.out ? [job.data, job.out] : [job.data]);
  }
}

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as KeysMessage | ChunkJob;
  if (m.t === "keys") {
    const p = createHashFunc(m.hashName, m.secret).then(
      (hash): Keys => ({
        hash,
        enc: createEncryptor(m.encName, m.masterKey),
        kds: m.encName === DEFAULT_ENCRYPTION_ALGORITHM ? Buffer.from(contentKeyDerivationSecret(m.masterKey)) : undefined,
      }),
    );
    p.catch(() => {}); // reported per job
    keys.set(m.id, p);
    return;
  }
  void handle(m);
};
