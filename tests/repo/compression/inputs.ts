// Deterministic inputs for the compression fixtures (the fixtures store only kopia's compressed
// bytes; the plaintexts are regenerated here and checked by SHA-256 in fixtures/manifest.json).
import { pseudoRandom } from "../../crypto/util.ts";

function text(lines: number): string {
  const words = ["mailbox", "drive", "item", "backup", "kopia", "corso", "folder", "message", "attachment", "event"];
  let s = "";
  for (let i = 0; i < lines; i++) {
    s += `${i}\t${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3) % 10]}-${(i * 2654435761) % 1000}\n`;
  }
  return s;
}

/** ~20 KB of text: every compressor, small single block. */
export function smallInput(): Uint8Array {
  return new TextEncoder().encode(text(700));
}

/** ~2.2 MB mixing text, random runs, zero runs and long repeats: multiple S2/LZ4 blocks. */
export function mixedInput(): Uint8Array {
  const t = new TextEncoder().encode(text(40_000));
  const out = new Uint8Array(2_200_000);
  let p = 0;
  for (let k = 0; p < out.length; k++) {
    const part = k % 4 === 0 ? t.subarray(0, 300_000) : k % 4 === 1 ? pseudoRandom(4_000, k) : k % 4 === 2 ? new Uint8Array(70_000) : t.subarray(k * 1000, k * 1000 + 200_000);
    const n = Math.min(part.length, out.length - p);
    out.set(part.subarray(0, n), p);
    p += n;
  }
  return out;
}

export const INPUTS: Record<string, () => Uint8Array> = {
  empty: () => new Uint8Array(0),
  small: smallInput,
  mixed: mixedInput,
};

/** Which compressors get a fixture for which input (the large input only for the tricky formats). */
export const FIXTURE_PLAN: Record<string, string[]> = {
  empty: "ALL",
  small: "ALL",
  mixed: ["s2-default", "s2-better", "zstd-fastest", "zstd-better-compression", "lz4"],
} as unknown as Record<string, string[]>;
