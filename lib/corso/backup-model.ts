// Corso's backup.Backup model (pkg/backup/backup.go, spec corso-cli §10), stored as a
// BackupSchema model with tags service=<service> and backup-type=merge|assist|preview.
import type { ExchangeCategory } from "./path.ts";

export const BACKUP_SCHEMA = "BackupSchema";
/** Current backup format version (Groups9Update). */
export const BACKUP_VERSION = 9;
export const SERVICE_TAG = "service";
export const BACKUP_TYPE_TAG = "backup-type";
export type BackupType = "merge-backup" | "assist-backup" | "preview-backup";

/** selectors.Selector as stored (service 1 = Exchange); scopes are Corso-shaped maps. */
export interface StoredSelector {
  service: number;
  discreteOwner?: string;
  discreteOwnerName?: string;
  includes?: Record<string, string>[];
  [k: string]: unknown;
}

export interface BackupModel {
  ID: string;
  creationTime: string;
  snapshotID: string;
  streamStoreID: string;
  status: string;
  selectors: StoredSelector;
  protectedResourceID?: string;
  protectedResourceName?: string;
  version: number;
  failFast: boolean;
  errorCount: number;
  failure: string;
  // stats.ReadWrites
  bytesRead: number;
  bytesUploaded: number;
  itemsRead: number;
  nonMetaBytesUploaded: number;
  nonMetaItemsWritten: number;
  itemsWritten: number;
  resourceOwners: number;
  // stats.StartAndEndTime
  startedAt: string;
  completedAt: string;
  // stats.SkippedCounts
  totalSkippedItems: number;
  skippedMalware: number;
  skippedInvalidOneNoteFile: number;
  detailsID?: string;
  resourceOwnerID: string;
  resourceOwnerName: string;
  /** Model tags (not part of the payload): service, backup-type. */
  tags?: Record<string, string>;
}

const CATEGORY_SCOPE: Record<ExchangeCategory, string> = { email: "ExchangeMail", contacts: "ExchangeContact", events: "ExchangeEvent" };
const SCOPE_CATEGORY: Record<string, ExchangeCategory> = { ExchangeMail: "email", ExchangeContact: "contacts", ExchangeEvent: "events" };
const DATA_NAME: Record<ExchangeCategory, string> = { email: "Emails", contacts: "Contacts", events: "Events" };

/** The backup selector Corso records: one include scope per category, everything in it. */
export function exchangeBackupSelector(ownerId: string, ownerName: string, cats: readonly ExchangeCategory[]): StoredSelector {
  return {
    service: 1,
    discreteOwner: ownerId,
    discreteOwnerName: ownerName,
    includes: cats.map((c) => ({ category: CATEGORY_SCOPE[c], type: CATEGORY_SCOPE[c], [CATEGORY_SCOPE[c]]: "*" })),
  };
}

export function selectorCategories(s: StoredSelector | undefined): ExchangeCategory[] {
  const out = new Set<ExchangeCategory>();
  for (const sc of s?.includes ?? []) {
    const c = SCOPE_CATEGORY[String(sc.category ?? "")];
    if (c) out.add(c);
  }
  return [...out];
}

/** The `Data` column of `backup list`: sorted category names. */
export function backupDataTypes(b: BackupModel): string {
  return selectorCategories(b.selectors).map((c) => DATA_NAME[c]).sort().join(",");
}

/** Payload in Go field order (tags are labels, not payload). */
export function encodeBackupModel(b: BackupModel): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ID: b.ID,
    creationTime: b.creationTime,
    snapshotID: b.snapshotID,
    streamStoreID: b.streamStoreID,
    status: b.status,
    selectors: b.selectors,
  };
  if (b.protectedResourceID) o.protectedResourceID = b.protectedResourceID;
  if (b.protectedResourceName) o.protectedResourceName = b.protectedResourceName;
  Object.assign(o, {
    version: b.version,
    failFast: b.failFast,
    errorCount: b.errorCount,
    failure: b.failure,
    bytesRead: b.bytesRead,
    bytesUploaded: b.bytesUploaded,
    itemsRead: b.itemsRead,
    nonMetaBytesUploaded: b.nonMetaBytesUploaded,
    nonMetaItemsWritten: b.nonMetaItemsWritten,
    itemsWritten: b.itemsWritten,
    resourceOwners: b.resourceOwners,
    startedAt: b.startedAt,
    completedAt: b.completedAt,
    totalSkippedItems: b.totalSkippedItems,
    skippedMalware: b.skippedMalware,
    skippedInvalidOneNoteFile: b.skippedInvalidOneNoteFile,
    detailsID: b.detailsID ?? "",
    resourceOwnerID: b.resourceOwnerID,
    resourceOwnerName: b.resourceOwnerName,
  });
  return o;
}

export function decodeBackupModel(payload: any, tags: Record<string, string>): BackupModel {
  const p = payload ?? {};
  return { ...p, ID: String(p.ID ?? ""), tags: { ...tags } } as BackupModel;
}
