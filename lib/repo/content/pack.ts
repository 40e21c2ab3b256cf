// Pack blobs (spec §7.1): [formatBytes] preamble(32 random) contents… padding(1..4096 random)
// encrypt(localIndex, iv=HASH(localIndex)) postamble. The pack-local index lets a pack be
// re-indexed if its index blob is lost.
import { crc32 } from "node:zlib";
import { CorruptDataError } from "../../errors.ts";
import { randomBytes } from "../../crypto/random.ts";
import type { BlobStorage } from "../../storage/types.ts";
import type { Crypter } from "../blobcrypto.ts";
import type { ContentInfo } from "../types.ts";
import { IndexBuilder } from "./index-builder.ts";

export const PREAMBLE_LENGTH = 32;
export const PADDING_UNIT = 4096;
export const POSTAMBLE_SEARCH_SIZE = 8192;

function crc32ieee(b: Uint8Array): number {
  return crc32(b) >>> 0;
}

function putUvarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function readUvarint(b: Uint8Array, pos: number): [number, number] | undefined {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos + i < b.length; i++) {
    const c = b[pos + i];
    x += (c & 0x7f) * mul;
    if (c < 0x80) return [x, pos + i + 1];
    mul *= 128;
  }
  return undefined;
}

export interface Postamble {
  iv: Uint8Array;
  localIndexOffset: number;
  localIndexLength: number;
}

export function encodePostamble(p: Postamble): Uint8Array {
  const b: number[] = [];
  putUvarint(b, 1);
  putUvarint(b, p.iv.length);
  for (const x of p.iv) b.push(x);
  putUvarint(b, p.localIndexOffset);
  putUvarint(b, p.localIndexLength);
  const sum = crc32ieee(Uint8Array.from(b));
  b.push((sum >>> 24) & 0xff, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff);
  if (b.length > 255) throw new CorruptDataError(`postamble too long: ${b.length}`);
  b.push(b.length);
  return Uint8Array.from(b);
}

/** Finds the postamble at the very end of `b` (findPostamble); undefined when invalid. */
export function findPostamble(b: Uint8Array): Postamble | undefined {
  if (b.length === 0) return undefined;
  const n = b[b.length - 1];
  if (n < 5) return undefined;
  const start = b.length - 1 - n;
  if (start < 0) return undefined;
  const body = b.subarray(start, b.length - 1);
  const payload = body.subarray(0, body.length - 4);
  const cs = ((body[body.length - 4] << 24) | (body[body.length - 3] << 16) | (body[body.length - 2] << 8) | body[body.length - 1]) >>> 0;
  if (crc32ieee(payload) !== cs) return undefined;
  let r = readUvarint(payload, 0);
  if (!r || r[0] !== 1) return undefined;
  r = readUvarint(payload, r[1]);
  if (!r) return undefined;
  const ivLen = r[0];
  let pos = r[1];
  if (ivLen > payload.length - pos) return undefined;
  const iv = payload.slice(pos, pos + ivLen);
  pos += ivLen;
  const off = readUvarint(payload, pos);
  if (!off) return undefined;
  const len = readUvarint(payload, off[1]);
  if (!len) return undefined;
  return { iv, localIndexOffset: off[0], localIndexLength: len[0] };
}

// Pack buffers are recycled: a sealed pack's buffer returns here once its upload succeeded
// (release()), so steady-state ingest reuses a few ~maxPackSize buffers instead of faulting in
// fresh pages for every pack and concatenating chunks at seal time.
const packBufferPool: Uint8Array[] = [];
const PACK_POOL_MAX = 1;
const MIN_POOLED = 4 << 20;
const INITIAL_CAPACITY = 256 << 10;

function takePackBuffer(min: number): Uint8Array {
  for (let i = packBufferPool.length - 1; i >= 0; i--) {
    if (packBufferPool[i].length >= min) return packBufferPool.splice(i, 1)[0];
  }
  return new Uint8Array(min);
}

/** A pack being assembled in memory: contents are copied into one growing buffer. */
export class PackBuilder {
  private buf: Uint8Array;
  private len = 0;
  private sealed = false;
  /** Entries of this pack's local index (own contents plus deletion markers). */
  readonly items = new Map<string, ContentInfo>();
  /** Number of items whose data lives in this pack. */
  ownContents = 0;

  /**
   * `capacityHint`: expected final size (data packs: maxPackSize plus one content). With it the
   * pack starts in a recycled buffer of that size; without it (metadata packs) it starts small.
   */
  constructor(readonly packBlobId: string, formatBytes?: Uint8Array, capacityHint?: number) {
    this.buf = capacityHint && capacityHint >= MIN_POOLED ? takePackBuffer(capacityHint) : new Uint8Array(INITIAL_CAPACITY);
    if (formatBytes?.length) this.append(formatBytes);
    this.append(randomBytes(PREAMBLE_LENGTH));
  }

  get length(): number {
    return this.len;
  }

  private append(b: Uint8Array): void {
    if (this.sealed) throw new CorruptDataError(`pack ${this.packBlobId} is already sealed`);
    const need = this.len + b.length;
    if (need > this.buf.length) {
      let cap = Math.max(this.buf.length * 2, INITIAL_CAPACITY);
      while (cap < need) cap *= 2;
      const nb = cap >= MIN_POOLED ? takePackBuffer(cap) : new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.recycle(this.buf);
      this.buf = nb;
    }
    this.buf.set(b, this.len);
    this.len = need;
  }

  private recycle(b: Uint8Array): void {
    if (b.length >= MIN_POOLED && packBufferPool.length < PACK_POOL_MAX) packBufferPool.push(b);
  }

  /** Appends encrypted content bytes (copied); returns its offset. */
  appendContent(encrypted: Uint8Array): number {
    const off = this.len;
    this.append(encrypted);
    this.ownContents++;
    return off;
  }

  /** Reads back a pending content (a view valid until the next append or release()). */
  readRange(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.len) {
      throw new CorruptDataError(`pending pack ${this.packBlobId}: range ${offset}+${length} not found`);
    }
    return this.buf.subarray(offset, offset + length);
  }

  /**
   * Pads, appends the encrypted local index and postamble; returns the final bytes (a view of
   * this builder's buffer, valid until release()), or undefined when the pack holds no content
   * of its own (only deletion markers).
   */
  seal(c: Crypter, indexVersion: number): Uint8Array | undefined {
    if (this.ownContents === 0) return undefined;
    const missing = PADDING_UNIT - (this.len % PADDING_UNIT);
    this.append(randomBytes(missing));
    const b = new IndexBuilder();
    for (const i of this.items.values()) b.add(i);
    const localIndex = b.build(indexVersion);
    const iv = c.hash(localIndex);
    const enc = c.encryptor.encrypt(localIndex, iv);
    const localIndexOffset = this.len;
    this.append(enc);
    this.append(encodePostamble({ iv, localIndexOffset, localIndexLength: enc.length }));
    this.sealed = true;
    return this.buf.subarray(0, this.len);
  }

  /**
   * Returns the buffer for reuse by later packs. Only once nothing reads the sealed bytes any
   * more (after a successful upload); views obtained earlier become invalid.
   */
  release(): void {
    this.sealed = true;
    this.recycle(this.buf);
    this.buf = new Uint8Array(0);
    this.len = 0;
  }
}

function extractLocalIndex(c: Crypter, payload: Uint8Array, offset: number, packBlobId: string): Uint8Array {
  const p = findPostamble(payload);
  if (!p) throw new CorruptDataError(`unable to find valid postamble in pack ${packBlobId}`);
  if (offset > p.localIndexOffset) throw new CorruptDataError(`not enough data read for local index of pack ${packBlobId}`);
  const start = p.localIndexOffset - offset;
  if (start + p.localIndexLength > payload.length) throw new CorruptDataError(`invalid local index offset/length in pack ${packBlobId}`);
  try {
    return c.encryptor.decrypt(payload.subarray(start, start + p.localIndexLength), p.iv);
  } catch (e) {
    throw new CorruptDataError(`unable to decrypt local index of pack ${packBlobId}`, { cause: e });
  }
}

/** Reads the decrypted local index of a pack: tail read first, whole-blob read as fallback. */
export async function readPackLocalIndex(st: BlobStorage, c: Crypter, packBlobId: string, length?: number): Promise<Uint8Array> {
  const len = length ?? (await st.getMetadata(packBlobId)).length;
  let firstErr: unknown;
  if (len >= POSTAMBLE_SEARCH_SIZE) {
    try {
      const tail = await st.getBlob(packBlobId, len - POSTAMBLE_SEARCH_SIZE, POSTAMBLE_SEARCH_SIZE);
      return extractLocalIndex(c, tail, len - POSTAMBLE_SEARCH_SIZE, packBlobId);
    } catch (e) {
      firstErr = e;
    }
  }
  try {
    return extractLocalIndex(c, await st.getBlob(packBlobId), 0, packBlobId);
  } catch (e) {
    throw firstErr instanceof CorruptDataError && !(e instanceof CorruptDataError) ? firstErr : e;
  }
}
