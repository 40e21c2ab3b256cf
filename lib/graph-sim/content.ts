// Seekable deterministic content. File and attachment bodies are never stored: the bytes at any offset
// are an AES-128-CTR keystream keyed by (seed, id, version), so a 10 GiB file or a million attachments
// cost nothing until read, and a Range request starts at its offset in O(1).

import { createCipheriv, createHash } from "node:crypto";

export interface ContentSource {
  size: number;
  /** Bytes [start, end) — end exclusive. */
  read(start: number, end: number): Uint8Array;
}

export function generatedContent(seed: number, key: string, size: number): ContentSource {
  const k = createHash("sha256").update(`content|${seed}|${key}`).digest().subarray(0, 16);
  return {
    size,
    read(start, end) {
      end = Math.min(end, size);
      if (end <= start) return new Uint8Array(0);
      const block = Math.floor(start / 16);
      const iv = Buffer.alloc(16);
      iv.writeUInt32BE(Math.floor(block / 2 ** 32) >>> 0, 8);
      iv.writeUInt32BE(block >>> 0, 12);
      const skip = start - block * 16;
      const c = createCipheriv("aes-128-ctr", k, iv);
      const out = c.update(Buffer.alloc(end - start + skip));
      return new Uint8Array(out.buffer, out.byteOffset + skip, end - start);
    },
  };
}

export function bufferContent(buf: Uint8Array): ContentSource {
  return { size: buf.length, read: (s, e) => buf.subarray(s, Math.min(e, buf.length)) };
}

/** Parses a single-range "bytes=a-b" / "bytes=a-" / "bytes=-n" header. undefined = no/ignored header, null = unsatisfiable. */
export function parseRange(h: string | null, size: number): { start: number; end: number } | null | undefined {
  if (!h) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multi-range or malformed: ignored, like many servers
  let start: number, end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start) return null;
  return { start, end };
}

export const CHUNK = 64 * 1024;
