// Backup details and fault errors ("streamstore", internal/streamstore, spec kopia §12.4): one
// separate snapshot holding tenant/<service>Metadata/details/details/details and
// tenant/<service>Metadata/fault_error/details/fault_error, each a 4-byte header + JSON. No
// backup-id / canon tags.
import { CorruptDataError } from "../errors.ts";
import type { Repository } from "../repo/repository.ts";
import { loadSnapshot } from "../repo/snapshot/manifest.ts";
import { SnapshotTreeBuilder } from "../repo/snapshot/tree-builder.ts";
import { decodeDetails, encodeDetails, emptyFaults, type DetailsEntry, type FaultErrors } from "./details.ts";
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
  init: { tenant: string; resource: string; service: string; details: readonly DetailsEntry[]; faults: FaultErrors; startedAt: Date },
): Promise<string> {
  const meta = `${init.service}Metadata`;
  const b = new SnapshotTreeBuilder(repo, { rootName: encodeElement(init.tenant), compression: CORSO_COMPRESSION });
  const now = new Date();
  await b.addFile(detailsPath(meta, DETAILS, DETAILS), withHeader(encodeDetails(init.details)), { mtime: now });
  await b.addFile(detailsPath(meta, FAULTS, FAULTS), withHeader(JSON.stringify(init.faults)), { mtime: now });
  const { root, stats } = await b.finish();
  const reasons = [{ service: meta, category: DETAILS }];
  return writeCorsoSnapshot(repo, {
    source: corsoSource(init.tenant, init.resource, reasons),
    tags: reasonTags(init.resource, reasons),
    root,
    stats,
    startedAt: init.startedAt,
  });
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
  const d = await read(DETAILS, DETAILS);
  if (d === undefined) throw new CorruptDataError(`details snapshot ${snapshotId} has no details`);
  const f = await read(FAULTS, FAULTS);
  let faults = emptyFaults();
  if (f !== undefined) {
    try {
      faults = { ...faults, ...JSON.parse(f) };
    } catch {
      throw new CorruptDataError(`fault errors of ${snapshotId} are not valid JSON`);
    }
  }
  return { details: decodeDetails(d), faults };
}
