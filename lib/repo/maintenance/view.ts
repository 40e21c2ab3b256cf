// Builds the MaintenanceRepository view from an opened Repository (lib/repo/repository.ts):
// storage, content manager, object and manifest managers, crypto and format parameters.
import { CorsoError } from "../../errors.ts";
import { decryptBlob, type Crypter } from "../blobcrypto.ts";
import type { MaintenanceRepository } from "./types.ts";

function need<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new CorsoError("internal", `maintenance: repository handle has no ${what}`);
  return v;
}

/** Accepts a Repository (or anything exposing the same members) and returns the view. */
export function maintenanceViewOf(r: any): MaintenanceRepository {
  if (r && r.__maintenanceView === true) return r as MaintenanceRepository;
  const contents = need(r?.contents, "content manager");
  const objects = need(r?.objects, "object manager");
  const manifests = need(r?.manifests, "manifest manager");
  const crypter: Crypter = need(r?.crypter ?? r?.content?.crypter, "crypter");
  const config = need(r?.config, "repository config");
  const em = contents.epochManager;
  const view: MaintenanceRepository & { __maintenanceView: true } = {
    __maintenanceView: true,
    get storage() {
      return r.storage;
    },
    contents,
    objects,
    manifests,
    deriveKey: (purpose: string, length: number) => r.deriveKey(purpose, length),
    decryptMetadataBlob: (blobId: string, data: Uint8Array) => decryptBlob(crypter, data, blobId),
    maxPackSize: config.maxPackSize || 20 << 20,
    get retention() {
      const c = r.blobCfg ?? r.content?.blobCfg ?? {};
      return { retentionMode: c.retentionMode, retentionPeriod: c.retentionPeriod };
    },
    readOnly: r.readOnly === true || contents.readOnly === true,
    hasEpochManager: em !== undefined,
    async advanceDeletionWatermark(t: Date): Promise<boolean> {
      if (!em) return false;
      return em.writeDeletionWatermark(t);
    },
    async epochMaintenance() {
      if (!em) return { compactedEpochs: [], supersededIndexBlobsDeleted: 0, markersDeleted: 0 };
      const compactedEpochs: number[] = await em.compactSettledEpochs();
      em.invalidate();
      const superseded: string[] = await em.cleanupSupersededIndexes();
      const markers: string[] = await em.cleanupEpochMarkers();
      await contents.refresh();
      return { compactedEpochs, supersededIndexBlobsDeleted: superseded.length, markersDeleted: markers.length };
    },
  };
  return view;
}
