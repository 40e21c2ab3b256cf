// One directory's entries collected before its object is written, without holding them all in
// memory: past `spillAt` file entries they go to disk in sorted runs (entry-spill.ts) and the
// directory object is generated streamingly into an object writer — the same bytes
// writeDirectory produces from an array, so dedup and kopia compatibility are unchanged.
import type { ObjectManager } from "../object/object-manager.ts";
import { DIRECTORY_STREAM, MAX_FAILED_ENTRIES_PER_SUMMARY, addToSummary, compareEntries, encodeDirEntry, encodeSummary, type DirEntry, type DirectorySummary, type FailedEntry } from "./dir-entry.ts";
import { DIRECTORY_PREFIX, writeDirectory } from "./directory.ts";
import { DirSpill, SpillFile, type SpilledEntry } from "./entry-spill.ts";

export const DEFAULT_SPILL_AT = 16_384;

/**
 * Writes a directory whose file entries are partly spilled: `dirs` (subdirectory entries, in
 * memory), the spilled runs and `rest` (newest file entries, in memory). Of equal file names the
 * newest wins; `dropped` hears of each replaced entry.
 */
export async function writeSpilledDirectory(
  objects: ObjectManager,
  dirs: DirEntry[],
  spill: DirSpill,
  rest: DirEntry[],
  dirMtimeNs: bigint,
  description: string,
  dropped: (e: SpilledEntry) => void = () => {},
  pace?: () => void,
): Promise<{ objectId: string; summary: DirectorySummary }> {
  dirs.sort(compareEntries);
  const s: DirectorySummary = { size: 0, files: 0, symlinks: 0, dirs: 1, maxTimeNs: 0n, numFailed: 0, numIgnoredErrors: 0 };
  const errors: FailedEntry[] = [];
  const w = objects.newWriter({ prefix: DIRECTORY_PREFIX, description: `DIR:${description}` });
  let parts: string[] = [`{"stream":"${DIRECTORY_STREAM}","entries":[`];
  let partsLen = 0;
  let first = true;
  // synchronous except once per MB: an async call per entry would leave a promise and a
  // closure of garbage per entry (100,000s of them for a big folder)
  const flush = async () => {
    const b = Buffer.from(parts.join(""), "utf8");
    parts = [];
    partsLen = 0;
    await w.write(b);
  };
  const emit = (json: string): Promise<void> | undefined => {
    parts.push(first ? json : "," + json);
    first = false;
    partsLen += json.length + 1;
    return partsLen >= 1 << 20 ? flush() : undefined;
  };
  // the summary as summarize() computes it, entry by entry
  for (const d of dirs) {
    addToSummary(s, errors, d);
    const p = emit(encodeDirEntry(d));
    if (p) await p;
  }
  let n = 0;
  for (const e of spill.merged(rest, dropped)) {
    // the caller may collect garbage now and then (a string and an object per entry)
    if (pace && ++n % 8192 === 0) pace();
    if (e.mtimeNs > s.maxTimeNs) s.maxTimeNs = e.mtimeNs;
    if (e.type === "s") s.symlinks++;
    else if (e.type === "f") {
      s.files++;
      s.size += e.size;
    }
    const p = emit(e.json);
    if (p) await p;
  }
  if (first) s.maxTimeNs = dirMtimeNs; // no entries at all (cannot happen with a spill)
  if (errors.length > 0) {
    errors.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    s.errors = errors.slice(0, MAX_FAILED_ENTRIES_PER_SUMMARY);
  }
  parts.push(`${first ? "null" : "]"},"summary":${encodeSummary(s)}}\n`);
  if (first) parts[0] = `{"stream":"${DIRECTORY_STREAM}","entries":`;
  await w.write(Buffer.from(parts.join(""), "utf8"));
  return { objectId: await w.result(), summary: s };
}

/**
 * A directory's entries, array-like (`push`, `length`), spilled to disk past `spillAt` file
 * entries; `write` produces the directory object (writeDirectory's bytes) and releases them.
 */
export class DirectoryBuilder {
  private dirs: DirEntry[] = [];
  private files: DirEntry[] = [];
  private spill?: DirSpill;
  private file?: SpillFile;

  constructor(private readonly spillAt = DEFAULT_SPILL_AT) {}

  static of(entries: Iterable<DirEntry>, spillAt?: number): DirectoryBuilder {
    const b = new DirectoryBuilder(spillAt);
    for (const e of entries) b.push(e);
    return b;
  }

  get length(): number {
    return this.dirs.length + this.files.length + (this.spill?.count ?? 0);
  }

  push(...entries: DirEntry[]): number {
    for (const e of entries) {
      if (e.type === "d") this.dirs.push(e);
      else this.files.push(e);
    }
    if (this.files.length >= this.spillAt) {
      this.file ??= new SpillFile();
      // nobody asks a builder whether it holds a name: no per-name filter
      this.spill ??= new DirSpill(this.file, { membership: false });
      this.spill.spill(this.files);
      this.files = [];
    }
    return this.length;
  }

  /** `pace` is called every 8,192 entries of a spilled directory (e.g. to collect garbage). */
  async write(objects: ObjectManager, dirMtimeNs: bigint, opts: { description?: string; pace?: () => void } = {}): Promise<{ objectId: string; summary: DirectorySummary }> {
    try {
      if (!this.spill) return await writeDirectory(objects, this.dirs.concat(this.files), dirMtimeNs, opts);
      return await writeSpilledDirectory(objects, this.dirs, this.spill, this.files, dirMtimeNs, opts.description || ".", undefined, opts.pace);
    } finally {
      this.close();
    }
  }

  /** Releases the entries (and the temp file) without writing. */
  close(): void {
    this.dirs = [];
    this.files = [];
    this.spill = undefined;
    this.file?.close();
    this.file = undefined;
  }
}
