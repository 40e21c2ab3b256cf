// `corso export exchange <dir>`: the selected items of a backup, read from its item-data
// snapshot one at a time and written as EML / ICS / VCF files (or into one zip) in Corso's
// export layout: Emails/<folders…>/, Events/<calendar>/, Contacts/<folder>/.
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Zip, ZipDeflate } from "fflate";
import { contactToVcf, eventToIcs, exportLayout, messageToEml, type ExportCategory } from "../../corso/export/index.ts";
import type { DetailsEntry, FaultItem } from "../../corso/details.ts";
import { encodeElements } from "../../corso/path-encoder.ts";
import { CorsoPath, splitElements } from "../../corso/path.ts";
import { filterDetails, type ExchangeSelector } from "../../corso/selectors/exchange.ts";
import { stripHeader } from "../../corso/serialization.ts";
import { CorruptDataError, errorMessage } from "../../errors.ts";
import type { Repository } from "../../repo/repository.ts";
import type { DirEntry } from "../../repo/snapshot/dir-entry.ts";
import { readDirectory } from "../../repo/snapshot/directory.ts";
import { loadSnapshot } from "../../repo/snapshot/manifest.ts";
import { getBackupDetails } from "../backups.ts";

export interface ExportOptions {
  archive?: boolean;
  failFast?: boolean;
  onItem?: (e: { path: string; bytes: number; entry: DetailsEntry }) => void;
}

export interface ExportResult {
  items: number;
  bytes: number;
  errors: FaultItem[];
  categories: Record<ExportCategory, { items: number; bytes: number }>;
  /** Path of the zip when archive was requested. */
  archive?: string;
}

const CAT: Record<number, ExportCategory> = { 3: "email", 2: "events", 1: "contacts" };

/** Parses stored JSON, sanitising control characters like Corso's sanitize.JSONBytes when needed. */
export function parseStoredJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(text.replace(/[\u0000-\u001f]/g, (c) => (c === "\n" || c === "\r" || c === "\t" ? c : "")));
  }
}

export function convertItem(cat: ExportCategory, json: any): string {
  if (cat === "email") return messageToEml(json);
  if (cat === "events") return eventToIcs(json);
  return contactToVcf(json);
}

class DirCache {
  private cache = new Map<string, Map<string, DirEntry>>();
  constructor(private readonly repo: Repository, private readonly root: DirEntry) {}

  async file(encoded: string[]): Promise<DirEntry | undefined> {
    const dirKey = encoded.slice(0, -1).join("/");
    let m = this.cache.get(dirKey);
    if (!m) {
      let cur: DirEntry | undefined = this.root;
      for (const n of encoded.slice(0, -1)) {
        if (!cur || cur.type !== "d") return undefined;
        cur = (await readDirectory(this.repo.objects, cur.obj)).find((e) => e.name === n);
      }
      if (!cur || cur.type !== "d") return undefined;
      m = new Map((await readDirectory(this.repo.objects, cur.obj)).map((e) => [e.name, e]));
      if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(dirKey, m);
    }
    return m.get(encoded[encoded.length - 1]);
  }
}

export async function exportExchange(
  repo: Repository,
  backupId: string,
  selector: ExchangeSelector,
  destDir: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const { backup, details } = await getBackupDetails(repo, backupId);
  const selected = filterDetails(details, selector);
  const snap = await loadSnapshot(repo.manifests, backup.snapshotID);
  if (!snap.rootEntry) throw new CorruptDataError(`backup ${backupId}: item-data snapshot has no root`);
  const dirs = new DirCache(repo, snap.rootEntry);
  const res: ExportResult = {
    items: 0, bytes: 0, errors: [],
    categories: { email: { items: 0, bytes: 0 }, events: { items: 0, bytes: 0 }, contacts: { items: 0, bytes: 0 } },
  };

  let zip: Zip | undefined;
  let zipDone: Promise<void> | undefined;
  if (opts.archive) {
    await mkdir(destDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
    res.archive = join(destDir, `Corso_Export_${stamp}.zip`);
    const out = createWriteStream(res.archive);
    zipDone = new Promise((resolve, reject) => {
      out.on("error", reject);
      out.on("finish", () => resolve());
    });
    zip = new Zip((err, chunk, final) => {
      if (err) {
        out.destroy(err);
        return;
      }
      out.write(chunk);
      if (final) out.end();
    });
  }

  for (const e of selected) {
    const cat = CAT[e.exchange!.itemType];
    const itemId = e.itemRef ?? splitElements(e.repoRef).at(-1)!;
    try {
      const p = CorsoPath.parse(e.repoRef, true);
      const fe = await dirs.file(encodeElements(p.relElements()));
      if (!fe) throw new CorruptDataError(`item ${e.shortRef} is missing from the backup's snapshot`);
      const stored = stripHeader(await repo.objects.readObject(fe.obj), `item ${e.shortRef}`);
      if (stored.deletedInFlight) continue;
      const json = parseStoredJson(Buffer.from(stored.body).toString("utf8"));
      const text = convertItem(cat, json);
      const folders = e.locationRef ? splitElements(e.locationRef) : p.folders;
      const rel = exportLayout({ category: cat, folders, id: itemId });
      const data = Buffer.from(text, "utf8");
      if (zip) {
        const f = new ZipDeflate(rel, { level: 6 });
        zip.add(f);
        f.push(data, true);
      } else {
        const abs = join(destDir, ...rel.split("/"));
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, data);
      }
      res.items++;
      res.bytes += data.length;
      res.categories[cat].items++;
      res.categories[cat].bytes += data.length;
      opts.onItem?.({ path: rel, bytes: data.length, entry: e });
    } catch (err) {
      res.errors.push({ id: itemId, name: e.shortRef, type: "file", cause: errorMessage(err), additional: { repo_ref: e.repoRef } });
      if (opts.failFast) break;
    }
  }
  if (zip) {
    zip.end();
    await zipDone;
  }
  return res;
}
