// Backup details and fault errors ("streamstore", internal/streamstore, spec kopia §12.4): one
// separate snapshot holding tenant/<service>Metadata/details/details/details and
// tenant/<service>Metadata/fault_error/details/fault_error, each a 4-byte header + JSON. Its
// reasons are the backup's with the metadata service (source host e.g.
// exchangeMetadataemail-exchangeMetadataevents); no backup-id / canon tags.
import { CorruptDataError } from "../errors.ts";
import type { Repository } from "../repo/repository.ts";
import { loadSnapshot } from "../repo/snapshot/manifest.ts";
import { SnapshotTreeBuilder } from "../repo/snapshot/tree-builder.ts";
import { emptyFaults, type DetailsEntry, type FaultErrors } from "./details.ts";
import { encodeDetailsBody, encodeDetailsStream, iterateDetailsEntries } from "./details-stream.ts";
import { serializationHeader } from "./serialization.ts";
import { encodeElements } from "./path-encoder.ts";
import { stripHeader, withHeader } from "./serialization.ts";
import { CORSO_COMPRESSION, corsoSource, lookupEntry, reasonTags, writeCorsoSnapshot } from "./snapshots.ts";
import { encodeElement } from "./path-encoder.ts";

const DETAILS = "details";
const FAULTS = "fault_error";

function detailsPath(metaService: string, purpose: string, item: string): string[] {
  return encodeElements([metaService, purpose, DETAILS, item]);
}

export async function writeStreamStore(
  repo: Repository,
  init: {
    tenant: string; resource: string; service: string;
    /** The backup's categories: the snapshot's reasons are the backup's, with the metadata service (Reason.ToMetadata). */
    categories: readonly string[];
    /** Entries, their JSON texts streamed (large backups), or the already comma-separated
     * inside of the entries array as bytes. */
    details: readonly DetailsEntry[] | AsyncIterable<string> | { entriesJson: AsyncIterable<Uint8Array> };
    faults: FaultErrors; startedAt: Date;
  },
): Promise<string> {
  const meta = `${init.service}Metadata`;
  const b = new SnapshotTreeBuilder(repo, { rootName: encodeElement(init.tenant), compression: CORSO_COMPRESSION });
  const now = new Date();
  const d = init.details;
  const body = async function* () {
    yield serializationHeader();
    if ("entriesJson" in d) {
      yield* encodeDetailsBody(d.entriesJson);
      return;
    }
    const texts: AsyncIterable<string> = Array.isArray(d)
      ? (async function* () {
        for (const e of d as readonly DetailsEntry[]) yield JSON.stringify(e);
      })()
      : (d as AsyncIterable<string>);
    yield* encodeDetailsStream(texts);
  };
  await b.addFile(detailsPath(meta, DETAILS, DETAILS), body(), { mtime: now });
  await b.addFile(detailsPath(meta, FAULTS, FAULTS), withHeader(JSON.stringify(init.faults)), { mtime: now });
  const { root, stats } = await b.finish();
  const reasons = (init.categories.length ? init.categories : [DETAILS]).map((category) => ({ service: meta, category }));
  return writeCorsoSnapshot(repo, {
    source: corsoSource(init.tenant, init.resource, reasons),
    tags: reasonTags(init.resource, reasons),
    root,
    stats,
    startedAt: init.startedAt,
  });
}

/** Streams the details entries (JSON texts) of a details snapshot without loading them all. */
export async function* streamDetailsTexts(repo: Repository, snapshotId: string, service: string): AsyncGenerator<string> {
  const snap = await loadSnapshot(repo.manifests, snapshotId);
  if (!snap.rootEntry) throw new CorruptDataError(`details snapshot ${snapshotId} has no root`);
  const e = await lookupEntry(repo, snap.rootEntry, detailsPath(`${service}Metadata`, DETAILS, DETAILS));
  if (!e) throw new CorruptDataError(`details snapshot ${snapshotId} has no details`);
  const reader = await repo.objects.open(e.obj);
  async function* body(): AsyncGenerator<Uint8Array> {
    let skip = 4;
    for await (const chunk of reader.stream({ prefetch: 2 })) {
      if (skip > 0) {
        const cut = Math.min(skip, chunk.length);
        if (skip === 4 && chunk.length >= 4) stripHeader(chunk.subarray(0, 4), `details of ${snapshotId}`);
        skip -= cut;
        if (cut < chunk.length) yield chunk.subarray(cut);
        continue;
      }
      yield chunk;
    }
  }
  yield* iterateDetailsEntries(body());
}

export async function readStreamStore(repo: Repository, snapshotId: string, service: string): Promise<{ details: DetailsEntry[]; faults: FaultErrors }> {
  const snap = await loadSnapshot(repo.manifests, snapshotId);
  if (!snap.rootEntry) throw new CorruptDataError(`details snapshot ${snapshotId} has no root`);
  const meta = `${service}Metadata`;
  const read = async (purpose: string, item: string): Promise<string | undefined> => {
    const e = await lookupEntry(repo, snap.rootEntry!, detailsPath(meta, purpose, item));
    if (!e) return undefined;
    return Buffer.from(stripHeader(await repo.objects.readObject(e.obj), `${purpose} of ${snapshotId}`).body).toString("utf8");
  };
  const details: DetailsEntry[] = [];
  for await (const t of streamDetailsTexts(repo, snapshotId, service)) details.push(JSON.parse(t));
  const f = await read(FAULTS, FAULTS);
  let faults = emptyFaults();
  if (f !== undefined) {
    try {
      faults = { ...faults, ...JSON.parse(f) };
    } catch {
      throw new CorruptDataError(`fault errors of ${snapshotId} are not valid JSON`);
    }
  }
  return { details, faults };
}
