// One mailbox's Exchange backup, in Corso's shape: containers enumerated in full, per-container
// delta with the base's token, new/changed items fetched (streamed: fetch → write → drop),
// unchanged items carried over from the base snapshot's directories without downloading,
// removed items dropped, moved folders re-rooted, vanished folders left out (tombstoned); then
// the item-data snapshot (with delta/previouspath metadata), the details + fault_error
// streamstore snapshot and the BackupSchema model (merge, or assist when items failed).
import { randomUUID } from "node:crypto";
import {
  BACKUP_SCHEMA, BACKUP_TYPE_TAG, BACKUP_VERSION, SERVICE_TAG, encodeBackupModel, exchangeBackupSelector,
  type BackupModel, type BackupType,
} from "../../corso/backup-model.ts";
import {
  FolderEntries, contactInfo, emptyFaults, eventInfo, itemEntry, mailInfo,
  type DetailsEntry, type ExchangeInfo, type FaultErrors, type FaultItem,
} from "../../corso/details.ts";
import { putModel } from "../../corso/model-store.ts";
import { decodeElement, encodeElement, encodeElements } from "../../corso/path-encoder.ts";
import {
  CorsoPath, DELTA_FILE, EXCHANGE_SERVICE, PREVIOUS_PATH_FILE, exchangeFolderPath, exchangeMetadataPath, joinElements, splitElements,
  type ExchangeCategory,
} from "../../corso/path.ts";
import { stripHeader, withHeader } from "../../corso/serialization.ts";
import { CORSO_COMPRESSION, TAG_BACKUP_ID, TAG_CANON, corsoSource, reasonTags, writeCorsoSnapshot } from "../../corso/snapshots.ts";
import { writeStreamStore } from "../../corso/streamstore.ts";
import { errorMessage } from "../../errors.ts";
import { GraphError, isDeletedInFlight, skipCauseOf, type DeltaEvent, type FetchedItem, type GraphClient } from "../../m365/graph/index.ts";
import type { Repository } from "../../repo/repository.ts";
import type { DirEntry } from "../../repo/snapshot/dir-entry.ts";
import { findDirectoryEntry, iterateDirectory } from "../../repo/snapshot/directory.ts";
import { SnapshotTreeBuilder } from "../../repo/snapshot/tree-builder.ts";
import { DirectoryBuilder } from "../../repo/snapshot/directory-builder.ts";
import { GO_ZERO_TIME_UNIX_NANO, dateToNs } from "../../repo/manifest/go-json.ts";
import { findCategoryBase, type CategoryBase } from "./base.ts";
import { Checkpointer } from "./checkpoint.ts";
import { FetchQueue } from "./fetch-queue.ts";
import { type MailboxPreflight, startPreflight } from "./preflight.ts";
import { IdMap, U32List } from "./id-set.ts";
import { enumerateContainers, type Container } from "./containers.ts";
import { storedItemJson } from "./item-payload.ts";
import type { ResolvedMailbox } from "./resolve.ts";
import { streamDetailsTexts } from "../../corso/streamstore.ts";
import { commaJoined } from "../../corso/details-stream.ts";
import { BaseDetailsIndex, DetailsSpool } from "./details-spool.ts";
import type { BackupRunResult, BackupStats, ExchangeBackupOptions } from "./types.ts";

/**
 * JSC collects lazily, so the garbage of parsed items (live data stays small: ~50 MB at 50k
 * items) would let RSS grow with the mailbox (600 MB at 100k). A full collection every few
 * thousand items keeps it near 300 MB for ~2% of the run time. Every 2,000 (not 3,000) since
 * the per-item state left the JS heap (compact ID maps): a full collection marks few objects now.
 */
const GC_EVERY_ITEMS = 2000;
let gcCountdown = GC_EVERY_ITEMS;
function gcNow(): void {
  gcCountdown = GC_EVERY_ITEMS;
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}
/**
 * A full collection at a phase boundary, unless one ran within the last half interval anywhere
 * in the process: mailboxes backed up side by side finish together, and each collection stops
 * all of them (8 mailboxes forced ~16 in their last second).
 */
function gcAtBoundary(): void {
  if (gcCountdown <= GC_EVERY_ITEMS / 2) gcNow();
}
/** A young-generation collection this often in between: cheap, and it frees most of an item's garbage. */
const EDEN_GC_EVERY_ITEMS = 500;
function youngGc(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(false);
}
function gcNudge(): void {
  if (--gcCountdown <= 0) gcNow();
  else if (gcCountdown % EDEN_GC_EVERY_ITEMS === 0) youngGc();
}

const DEFAULT_CHECKPOINT_MS = 5 * 60_000;
const DEFAULT_CHECKPOINT_BYTES = 64 << 20;

/** Stops the run at the first error (fail-fast). */
class FailFastStop extends Error {}

export interface MailboxContext {
  repo: Repository;
  graph: GraphClient;
  opts: ExchangeBackupOptions;
  mailbox: ResolvedMailbox;
}

function newStats(startedAt: Date): BackupStats {
  return {
    itemsRead: 0, itemsWritten: 0, nonMetaItemsWritten: 0, itemsCached: 0, itemsRemoved: 0, bytesRead: 0, bytesUploaded: 0,
    nonMetaBytesUploaded: 0, foldersEnumerated: 0, foldersReset: 0, graphRequests: 0,
    startedAt: startedAt.toISOString(), completedAt: "",
  };
}

function fileItem(id: string, name: string, cause: string, c?: Container): FaultItem {
  return { id, name, type: "file", cause, additional: c ? { container_id: c.id, container_name: joinElements(c.locPath) } : null };
}

async function fetchItem(graph: GraphClient, user: string, cat: ExchangeCategory, id: string): Promise<FetchedItem> {
  if (cat === "email") return graph.mail.getMessage(user, id);
  if (cat === "contacts") return graph.contacts.getContact(user, id);
  return graph.events.getEvent(user, id);
}

function deltaOf(graph: GraphClient, user: string, cat: ExchangeCategory, folder: string, link?: string): AsyncGenerator<DeltaEvent> {
  if (cat === "email") return graph.mail.messageDelta(user, folder, link);
  if (cat === "contacts") return graph.contacts.contactDelta(user, folder, link);
  return graph.events.eventDelta(user, folder, link);
}

function infoFor(cat: ExchangeCategory, json: any, parentPath: string, storedLength: number): ExchangeInfo {
  if (cat === "email") return mailInfo(json, parentPath);
  if (cat === "events") return eventInfo(json, parentPath, storedLength);
  return contactInfo(json, parentPath, storedLength);
}

/** A delta listing's lastModifiedDateTime in ms (NaN: absent or unparsable, i.e. never cached). */
function modMs(v: unknown): number {
  return typeof v === "string" && v ? new Date(v).getTime() : NaN;
}

/**
 * A folder's file entries in memory before they go to disk in a sorted run: a DirEntry is
 * ~250 bytes and up to four folders are open at once; 100,000-item folders then merge ~25 runs.
 */
const FOLDER_SPILL_AT = 4096;

/** Delta-listed IDs between full collections while a folder is listed. */
const LIST_GC_EVERY = 20_000;

/** The next folder is listed once fewer than this many items wait in the mailbox's fetch queue. */
const LOOKAHEAD_ITEMS = 25_000;

/** Per-entry state in a folder's `added` map: carried over from the base (not fetched). */
const CACHED = 1;

function mtimeOf(v: unknown): Date {
  const d = typeof v === "string" ? new Date(v) : new Date(NaN);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

export async function backupMailbox(ctx: MailboxContext): Promise<BackupRunResult> {
  const { repo, graph, opts, mailbox } = ctx;
  const tenant = opts.tenantId;
  const user = mailbox.id;
  const startedAt = new Date();
  const stats = newStats(startedAt);
  const requests0 = graph.counters.requests;
  const faults: FaultErrors = emptyFaults(Boolean(opts.failFast));
  const result = (status: BackupRunResult["status"], extra: Partial<BackupRunResult> = {}): BackupRunResult => {
    stats.completedAt = new Date().toISOString();
    stats.graphRequests = graph.counters.requests - requests0;
    return {
      resource: { id: mailbox.id, name: mailbox.name }, status, stats,
      errors: faults.items, skipped: faults.skipped.map((s) => s.item), alerts: faults.alerts, ...extra,
    };
  };

  const cats = [...new Set(opts.categories)].sort() as ExchangeCategory[];
  // the mailbox check and the first category's folder listing go out together (or were started
  // by the caller while the repository connected)
  let pre: MailboxPreflight | undefined = opts.preflight?.(user);
  if (!pre || pre.category !== cats[0]) pre = cats.length ? startPreflight(graph, user, cats[0]) : undefined;
  if (!(await (pre?.enabled ?? graph.discovery.mailboxEnabled(user)))) {
    return result("NotEnabled", { failure: `mailbox ${mailbox.name}: service not enabled (the user has no Exchange mailbox)` });
  }

  // Exchange is paced by Graph (≤ 16 requests/s per mailbox) and its items are small: a chunk
  // worker would add ~25 MB of RSS (its heap and chunk-sized buffers, mostly for the details
  // written at the end) for CPU the JS thread has to spare
  repo.contents.setUseWorkers?.(false);
  const backupId = randomUUID();
  const parallel = Math.min(4, Math.max(1, opts.parallelism ?? 4));
  // The Graph client caps a mailbox at 4 requests in flight; two extra workers parse and store
  // fetched items meanwhile, so a slot never waits for our processing.
  const fetchQueue = new FetchQueue(parallel >= 4 ? parallel + 2 : parallel);
  const incrementals = !opts.disableIncrementals;
  const safetyMs = opts.modTimeSafetyMs ?? 60_000;
  const builder = new SnapshotTreeBuilder(repo, { rootName: encodeElement(tenant), compression: CORSO_COMPRESSION });
  const spool = new DetailsSpool();
  const folders = new FolderEntries();
  const indexes: BaseDetailsIndex[] = [];
  try {
  const cp = new Checkpointer(repo, opts.checkpointEveryMs ?? DEFAULT_CHECKPOINT_MS, opts.checkpointEveryBytes ?? DEFAULT_CHECKPOINT_BYTES, (b) =>
    opts.onProgress?.({ type: "checkpoint", resource: user, bytes: b }));
  let interrupted = false;
  const stopped = () => {
    if (opts.signal?.aborted) interrupted = true;
    return interrupted || faults.failure !== null;
  };
  const seenErr = new Set<string>();
  const addError = (item: FaultItem) => {
    const key = `${item.type}:${item.id}`;
    if (seenErr.has(key)) return;
    seenErr.add(key);
    faults.items.push(item);
    if (opts.failFast && !faults.failure) faults.failure = { msg: item.cause };
  };
  const baseDetailsCache = new Map<string, BaseDetailsIndex>();
  const baseDetails = async (b: CategoryBase): Promise<BaseDetailsIndex> => {
    let m = baseDetailsCache.get(b.backup.ID);
    if (!m) {
      // a big base's details are hundreds of MB of short-lived strings: collected as they go
      m = await BaseDetailsIndex.build(streamDetailsTexts(repo, b.backup.streamStoreID, EXCHANGE_SERVICE), { pace: gcNow, paceEvery: GC_EVERY_ITEMS });
      indexes.push(m);
      baseDetailsCache.set(b.backup.ID, m);
    }
    return m;
  };

  const writeMeta = async (cat: ExchangeCategory, file: string, obj: Record<string, string>) => {
    const p = exchangeMetadataPath(tenant, user, cat, file);
    const body = withHeader(JSON.stringify(obj));
    await builder.addFile(encodeElements(p.relElements()), body, { mtime: new Date() });
    stats.itemsWritten++;
    stats.bytesUploaded += body.length;
    stats.bytesRead += body.length;
  };

  for (const cat of cats) {
    const base = incrementals || stopped() ? await findCategoryBase(repo, user, cat) : undefined;
    // without incrementals an older snapshot still serves as a kopia-style cache (unchanged mtime ⇒ reuse)
    const cacheBase = base ?? (opts.forceItemDataDownload ? undefined : await findCategoryBase(repo, user, cat));
    const bdet = cacheBase ? await baseDetails(cacheBase) : undefined;
    if (bdet) gcNow();
    const prevPaths = new Map<string, string>();
    const deltas = new Map<string, string>();
    const cacheStart = cacheBase ? Date.parse(cacheBase.backup.startedAt) || 0 : 0;

    // A base folder's directory is found level by level (each level's scan stops after its
    // subdirectories, which kopia lists first) and its file entries are streamed, never held:
    // a 1,000,000-message folder's directory is ~300 MB of JSON.
    const baseDir = async (prev: string | undefined): Promise<DirEntry | undefined> => {
      if (!prev || !cacheBase) return undefined;
      let p: CorsoPath;
      try {
        p = CorsoPath.parse(prev, false);
      } catch {
        return undefined;
      }
      let d: DirEntry = cacheBase.root;
      for (const name of encodeElements(p.relElements())) {
        if (d.type !== "d") return undefined;
        const next = await findDirectoryEntry(repo.objects, d.obj, name, "d");
        if (!next) return undefined;
        d = next;
      }
      return d.type === "d" ? d : undefined;
    };
    const baseFiles = async function* (dir: DirEntry | undefined): AsyncGenerator<DirEntry> {
      if (!dir) return;
      for await (const e of iterateDirectory(repo.objects, dir.obj)) if (e.type === "f") yield e;
    };

    // the entries of the container being processed; its directory object is written as soon as
    // the container is done, so the tree builder never holds per-item entries
    let sink: DirectoryBuilder | null = null;
    const carry = async (c: Container, prev: string, e: DirEntry, linked = false, into: DirectoryBuilder | null = sink): Promise<void> => {
      const itemId = decodeElement(e.name);
      const cur = exchangeFolderPath(tenant, user, cat, c.idPath).withItem(itemId);
      if (!linked) {
        if (into) into.push({ ...e, summ: undefined });
        else await builder.addExistingFile(encodeElements(cur.relElements()), e);
      }
      stats.itemsCached++;
      gcNudge();
      const old = bdet?.get(CorsoPath.parse(prev, false).withItem(itemId).shortRef());
      const loc = joinElements(c.locPath);
      let info = old?.exchange;
      if (!info) {
        // the base's details lack the item (older or foreign backup): rebuild its entry from the
        // stored JSON (a local read, no Graph call)
        try {
          const stored = stripHeader(await repo.objects.readObject(e.obj), `item ${itemId}`);
          if (stored.deletedInFlight) return;
          const text = Buffer.from(stored.body).toString("utf8");
          info = infoFor(cat, JSON.parse(text), loc, stored.body.length);
        } catch {
          return;
        }
      }
      const ent = itemEntry(cur, loc, { ...info, parentPath: loc });
      spool.add(ent);
      folders.add(cur, c.locPath, ent.exchange!);
      opts.onProgress?.({ type: "item", resource: user, category: cat, itemId, bytes: e.size, cached: true });
    };

    // a category the run never reached (interrupted / fail-fast): the base is kept as it was,
    // tokens included, so nothing is lost and nothing is fetched twice
    const keepBase = async (keepTokens: boolean) => {
      if (!base) return;
      for (const [cid, prev] of base.previousPaths) {
        const p = CorsoPath.parse(prev, false);
        const c: Container = { id: cid, idPath: [...p.folders], locPath: [...p.folders], displayName: cid };
        let first = true;
        for await (const e of baseFiles(await baseDir(prev))) {
          if (first) {
            first = false;
            const old = bdet?.get(p.withItem(decodeElement(e.name)).shortRef());
            if (old?.locationRef) c.locPath = splitElements(old.locationRef);
          }
          await carry(c, prev, e);
        }
        prevPaths.set(cid, prev);
        const tok = base.deltas.get(cid);
        if (keepTokens && tok) deltas.set(cid, tok);
      }
    };
    if (stopped()) {
      await keepBase(true);
      await writeMeta(cat, DELTA_FILE, Object.fromEntries(deltas));
      await writeMeta(cat, PREVIOUS_PATH_FILE, Object.fromEntries(prevPaths));
      continue;
    }

    let containers: Container[];
    try {
      const early = pre?.category === cat ? pre : undefined;
      pre = undefined;
      containers = await (early ? early.containers : enumerateContainers(graph, user, cat));
    } catch (e) {
      // keep what the base had: every previous container carried over unchanged, no tokens
      faults.recovered.push({ msg: `enumerating ${cat} containers of ${mailbox.name}: ${errorMessage(e)}` });
      addError({ id: `${user}/${cat}`, name: cat, type: "container", cause: errorMessage(e), additional: null });
      await keepBase(false);
      await writeMeta(cat, DELTA_FILE, {});
      await writeMeta(cat, PREVIOUS_PATH_FILE, Object.fromEntries(prevPaths));
      continue;
    }

    // children before parents: a folder's directory object (its items plus its subfolders'
    // directories) is written when it is done and handed to its parent or to the tree builder
    containers.sort((a, b) => b.idPath.length - a.idPath.length);
    const containerKeys = new Set(containers.map((c) => exchangeFolderPath(tenant, user, cat, c.idPath).toString()));
    const childDirs = new Map<string, DirEntry[]>();
    const finishContainer = async (c: Container, cur: CorsoPath, entries: DirectoryBuilder, reused?: DirEntry): Promise<void> => {
      const key = cur.toString();
      const kids = childDirs.get(key) ?? [];
      childDirs.delete(key);
      let dirEntry: DirEntry | undefined;
      if (reused) {
        // the base directory is reused whole when its subfolders came out identical too (they
        // are listed first: only the start of the object is read)
        const oldKids: DirEntry[] = [];
        for await (const e of iterateDirectory(repo.objects, reused.obj, { dirsOnly: true })) oldKids.push(e);
        const same = oldKids.length === kids.length && kids.every((k) => oldKids.some((o) => o.name === k.name && o.obj === k.obj));
        if (same) dirEntry = { ...reused, name: encodeElement(c.id) };
      }
      if (!dirEntry) {
        // a huge folder's entries are spilled to disk and its directory object written streamingly
        let all = entries;
        if (reused) {
          all = new DirectoryBuilder(FOLDER_SPILL_AT);
          for await (const e of iterateDirectory(repo.objects, reused.obj)) if (e.type !== "d") all.push(e);
        }
        all.push(...kids);
        if (all.length === 0) return;
        const big = all.length >= 16_384;
        const { objectId, summary } = await all.write(repo.objects, GO_ZERO_TIME_UNIX_NANO, { description: key, pace: gcNow });
        // writing a big folder's directory leaves a burst of garbage (one string per entry)
        if (big) gcNow();
        dirEntry = { name: encodeElement(c.id), type: "d", mode: 0o777, size: 0, mtimeNs: GO_ZERO_TIME_UNIX_NANO, uid: 0, gid: 0, obj: objectId, summ: summary };
      }
      entries.close();
      const parentKey = cur.dir().toString();
      if (c.idPath.length > 1 && containerKeys.has(parentKey)) {
        const list = childDirs.get(parentKey) ?? [];
        list.push(dirEntry);
        childDirs.set(parentKey, list);
      } else await builder.addExistingDirectory(encodeElements(cur.relElements()), dirEntry);
    };
    // folders overlap: the next folders are listed while this one's items are fetched on the
    // mailbox's one shared pool; each folder is finished (token, directory object) strictly in
    // order — children before parents — once its fetches are done
    let tail: Promise<void> = Promise.resolve();
    let postErr: unknown;
    const fetchesOut: Promise<void>[] = [];
    for (const c of containers) {
      if (postErr !== undefined) throw postErr;
      // bounded lookahead: at most 3 folders' fetches outstanding
      if (fetchesOut.length >= 3) await fetchesOut.shift();
      // and huge folders are listed only when the queue runs low: their ID maps are not held
      // three at a time (the backlog still covers the next folder's listing)
      await fetchQueue.whenBacklogBelow(LOOKAHEAD_ITEMS);
      const cur = exchangeFolderPath(tenant, user, cat, c.idPath);
      let afterFetch: (() => Promise<void>) | undefined;
      const entries = new DirectoryBuilder(FOLDER_SPILL_AT);
      let reused: DirEntry | undefined;
      sink = entries;
      try {
      const prev = base?.previousPaths.get(c.id);
      const cachePrev = prev ?? cacheBase?.previousPaths.get(c.id);
      const loc = joinElements(c.locPath);
      if (stopped()) {
        // interrupted: the folders not reached keep the base's items (re-rooted) and token
        if (cachePrev) {
          for await (const e of baseFiles(await baseDir(cachePrev))) await carry(c, cachePrev, e);
          prevPaths.set(c.id, cur.toString());
          const tok = base?.deltas.get(c.id);
          if (tok && prev) deltas.set(c.id, tok);
        }
        continue;
      }
      stats.foldersEnumerated++;
      const token = base?.deltas.get(c.id);
      // compact ID maps (UTF-8 bytes in typed arrays): id → modified time in ms (NaN: none)
      const added = new IdMap();
      const removed = new IdMap();
      let reset = false;
      let listed = 0;
      let deltaLink: string | undefined;
      let enumError: unknown;
      try {
        for await (const ev of deltaOf(graph, user, cat, c.id, token)) {
          if (ev.type === "reset") {
            added.clear();
            removed.clear();
            reset = true;
          } else if (ev.type === "page") {
            for (const a of ev.added) added.set(String(a.id), modMs(a.lastModifiedDateTime));
            for (const r of ev.removed) removed.set(String(r.id));
            // a huge folder's listing is ~100 pages of parsed JSON before any item is fetched
            listed += ev.added.length + ev.removed.length;
            if (listed >= LIST_GC_EVERY) {
              listed = 0;
              gcNow();
            }
          } else {
            deltaLink = ev.deltaLink;
            if (ev.reset) reset = true;
          }
        }
      } catch (e) {
        enumError = e;
      }
      if (enumError !== undefined) {
        if (enumError instanceof GraphError && enumError.kind === "not-found") {
          // deleted while the backup ran: treated as gone (tombstone), no error
          continue;
        }
        addError({ id: c.id, name: loc, type: "container", cause: errorMessage(enumError), additional: { container_id: c.id, container_name: loc } });
        if (cachePrev) for await (const e of baseFiles(await baseDir(cachePrev))) await carry(c, cachePrev, e);
        prevPaths.set(c.id, cur.toString());
        continue;
      }
      if (reset || !token) stats.foldersReset += token ? 1 : 0;
      for (const i of removed.indexes()) added.delete(removed.idAt(i));
      stats.itemsRemoved += token && !reset ? removed.size : 0;
      opts.onProgress?.({ type: "folder", resource: user, category: cat, folder: loc, added: added.size, removed: removed.size, reset });

      const bdir = await baseDir(cachePrev);
      const merging = Boolean(token && !reset && prev);
      if (merging && prev === cur.toString() && added.size === 0 && removed.size === 0 && bdir) {
        // unchanged folder: the base directory object is reused (if its subfolders are unchanged
        // too); details are still copied item by item
        reused = bdir;
        for await (const e of baseFiles(bdir)) await carry(c, prev, e, true);
        prevPaths.set(c.id, cur.toString());
        if (deltaLink) deltas.set(c.id, deltaLink);
        continue;
      }
      // one streamed pass over the base folder: unchanged items (by mod time) and, when merging
      // a delta, the items the delta did not mention are carried over
      const useCache = !opts.forceItemDataDownload;
      if (bdir && (merging || (useCache && added.size > 0))) {
        for await (const e of baseFiles(bdir)) {
          const id = decodeElement(e.name);
          const i = added.indexOf(id);
          if (i >= 0) {
            // kopia-assisted cache: same path and same mod time ⇒ not downloaded again — but only
            // for times safely before the base started, so two edits within one second are never
            // confused
            const ms = added.valueAt(i);
            if (useCache && !Number.isNaN(ms) && e.mtimeNs === BigInt(ms) * 1_000_000n && ms + safetyMs <= cacheStart) {
              await carry(c, cachePrev!, e);
              added.setState(i, CACHED);
            }
          } else if (merging && !removed.has(id)) await carry(c, cachePrev!, e);
        }
      }
      removed.clear();
      const toFetch = new U32List();
      for (const i of added.indexes()) if (added.stateAt(i) !== CACHED) toFetch.push(i);
      let containerErrors = 0;
      const attempted = new Uint8Array(added.count);
      const fetching = fetchQueue.submit(toFetch, async (ix) => {
        attempted[ix] = 1;
        const id = added.idAt(ix);
        await cp.enter();
        let written = 0;
        try {
          let it: FetchedItem;
          try {
            it = await fetchItem(graph, user, cat, id);
          } catch (e) {
            if (isDeletedInFlight(e)) return; // deleted between enumeration and fetch: not an error
            const cause = skipCauseOf(e, { service: "exchange", category: cat });
            if (cause) {
              faults.skipped.push({ item: fileItem(id, id, cause, c) });
              return;
            }
            containerErrors++;
            addError(fileItem(id, id, errorMessage(e), c));
            return;
          }
          for (const a of it.alerts) faults.alerts.push({ message: a, item: fileItem(id, id, a, c) });
          const text = storedItemJson(it);
          const body = withHeader(text);
          const itemPath = cur.withItem(id);
          const w = repo.objects.newWriter({ compression: CORSO_COMPRESSION, description: `FILE:${id}` });
          await w.write(body);
          const obj = await w.result();
          entries.push({
            name: encodeElement(id), type: "f", mode: 0o777, size: body.length,
            mtimeNs: dateToNs(mtimeOf(it.json.lastModifiedDateTime)), uid: 0, gid: 0, obj,
          });
          written = body.length;
          const info = infoFor(cat, it.json, loc, Buffer.byteLength(text));
          const ent = itemEntry(itemPath, loc, info);
          spool.add(ent);
          folders.add(itemPath, c.locPath, ent.exchange!);
          stats.itemsRead++;
          stats.itemsWritten++;
          stats.nonMetaItemsWritten++;
          stats.bytesRead += body.length;
          stats.bytesUploaded += body.length;
          stats.nonMetaBytesUploaded += body.length;
          opts.onProgress?.({ type: "item", resource: user, category: cat, itemId: id, bytes: body.length, cached: false });
          gcNudge();
        } finally {
          cp.leave(written);
        }
      }, stopped);
      if (toFetch.length > 0) fetchesOut.push(fetching.catch(() => {}));
      prevPaths.set(c.id, cur.toString());
      // keeps the token's place (the metadata's order) until the fetches tell whether it is kept
      if (deltaLink) deltas.set(c.id, deltaLink);
      afterFetch = async () => {
        try {
          await fetching;
        } finally {
          if (stopped() && bdir) {
            // not fetched before the stop: the base's (older) version is kept; no token is stored,
            // so the next run re-enumerates this folder and fetches what changed
            let missed = false;
            for (let k = 0; k < toFetch.length && !missed; k++) missed = !attempted[toFetch.at(k)];
            if (missed) {
              for await (const e of baseFiles(bdir)) {
                const i = added.indexOf(decodeElement(e.name));
                if (i >= 0 && added.stateAt(i) !== CACHED && !attempted[i]) await carry(c, cachePrev!, e, false, entries);
              }
            }
          }
          added.clear();
          toFetch.clear();
          // a token is only kept when every item of the folder made it: otherwise the next run
          // re-enumerates the folder (unchanged items are reused by mod time, failed ones fetched)
          if (!(deltaLink && containerErrors === 0 && !stopped())) deltas.delete(c.id);
        }
      };
      } finally {
        // also after every `continue` above
        sink = null;
        const run = afterFetch;
        tail = tail
          .then(async () => {
            try {
              if (run) await run();
            } finally {
              await finishContainer(c, cur, entries, reused);
            }
          })
          .catch((e) => {
            postErr ??= e;
          });
      }
    }
    await tail;
    if (postErr !== undefined) throw postErr;
    // subfolders whose parent folder was not written (should not happen): at their own paths
    for (const [key, kids] of childDirs) {
      const p = CorsoPath.parse(key, false);
      for (const k of kids) await builder.addExistingDirectory(encodeElements([...p.relElements(), decodeElement(k.name)]), k);
    }
    await writeMeta(cat, DELTA_FILE, Object.fromEntries(deltas));
    await writeMeta(cat, PREVIOUS_PATH_FILE, Object.fromEntries(prevPaths));
  }
  await cp.settle();

  if (interrupted && !faults.failure) faults.failure = { msg: "backup interrupted" };
  const { root, stats: snapStats } = await builder.finish();
  // folders written here reach the builder as finished directories; report kopia's split
  snapStats.cachedFiles = Math.min(snapStats.fileCount, stats.itemsCached);
  snapStats.nonCachedFiles = snapStats.fileCount - snapStats.cachedFiles;
  const reasons = cats.map((c) => ({ service: EXCHANGE_SERVICE, category: c }));
  const snapshotId = await writeCorsoSnapshot(repo, {
    source: corsoSource(tenant, user, reasons),
    tags: { ...reasonTags(user, reasons), [TAG_BACKUP_ID]: backupId, [TAG_CANON]: "0" },
    root,
    stats: snapStats,
    startedAt,
  });
  gcAtBoundary();
  const folderEntries = folders.entries();
  // the spool already holds the entries as JSON array text: copied as is, then the folders'
  const entriesJson = async function* () {
    // a large mailbox's details are hundreds of MB: the chunks' compressed and encrypted copies
    // are collected as they go (a young collection per 8 MiB, a full one per 64 MiB — never for
    // a small mailbox, whose details are ~1 MB)
    let copied = 0;
    for await (const block of spool.entriesJson()) {
      yield block;
      const before = copied;
      copied += block.length;
      if (Math.floor(copied / (64 << 20)) !== Math.floor(before / (64 << 20))) gcNow();
      else if (Math.floor(copied / (8 << 20)) !== Math.floor(before / (8 << 20))) youngGc();
    }
    yield* commaJoined((function* () {
      for (const f of folderEntries) yield JSON.stringify(f);
    })(), spool.count > 0);
  };
  const streamStoreId = await writeStreamStore(repo, { tenant, resource: user, service: EXCHANGE_SERVICE, categories: cats, details: { entriesJson: entriesJson() }, faults, startedAt });

  gcAtBoundary();
  const errorCount = faults.items.length + (faults.failure && !faults.items.some((i) => i.cause === faults.failure!.msg) ? 1 : 0);
  const backupType: BackupType = faults.items.length === 0 && !faults.failure ? "merge-backup" : "assist-backup";
  const itemsStored = spool.count;
  const modelStatus = itemsStored === 0 && errorCount === 0 ? "No Data" : "Completed";
  stats.completedAt = new Date().toISOString();
  const model: BackupModel = {
    ID: backupId,
    creationTime: new Date().toISOString(),
    snapshotID: snapshotId,
    streamStoreID: streamStoreId,
    status: modelStatus,
    selectors: exchangeBackupSelector(user, mailbox.name, cats),
    version: BACKUP_VERSION,
    failFast: Boolean(opts.failFast),
    errorCount,
    failure: faults.failure?.msg ?? "",
    bytesRead: stats.bytesRead,
    bytesUploaded: stats.bytesUploaded,
    itemsRead: stats.itemsRead,
    nonMetaBytesUploaded: stats.nonMetaBytesUploaded,
    nonMetaItemsWritten: stats.nonMetaItemsWritten,
    itemsWritten: stats.itemsWritten,
    resourceOwners: 1,
    startedAt: stats.startedAt,
    completedAt: stats.completedAt,
    totalSkippedItems: faults.skipped.length,
    skippedMalware: 0,
    skippedInvalidOneNoteFile: 0,
    resourceOwnerID: user,
    resourceOwnerName: mailbox.name,
  };
  await putModel(repo.manifests, BACKUP_SCHEMA, backupId, encodeBackupModel(model), { [SERVICE_TAG]: EXCHANGE_SERVICE, [BACKUP_TYPE_TAG]: backupType });
  await repo.flush();

  if (backupType === "merge-backup") {
    return result(modelStatus === "No Data" ? "No Data" : "Completed", { backupId, backupType });
  }
  const n = faults.items.length;
  const failure = faults.failure?.msg === "backup interrupted"
    ? `backup interrupted: saved what was done as assist backup ${backupId}`
    : n === 1 ? faults.items[0].cause : faults.failure && opts.failFast ? faults.failure.msg : `partial success: ${n} errors occurred`;
  return result("Failed", { backupId, backupType, failure });
  } finally {
    spool.close();
    for (const ix of indexes) ix.close();
  }
}
