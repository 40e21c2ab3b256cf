// Public types of the Exchange backup operation (the CLI codes against these).
import type { FaultItem } from "../../corso/details.ts";
import type { ExchangeCategory } from "../../corso/path.ts";
import type { MailboxPreflight } from "./preflight.ts";

export type { FaultItem };

export interface ExchangeBackupOptions {
  tenantId: string;
  /** UPNs or IDs, or ["*"] for every user with a mailbox. */
  mailboxes: string[];
  /** Mailboxes the caller already resolved (resolveMailboxes): backed up as given, without
   * looking `mailboxes` up again. */
  resolved?: { id: string; name: string }[];
  categories: ExchangeCategory[];
  failFast?: boolean;
  disableIncrementals?: boolean;
  /** Download every item even when the base snapshot already holds it unchanged. */
  forceItemDataDownload?: boolean;
  /** Stable hash partition of the resolved mailboxes: only index i of n. */
  shard?: { index: number; count: number };
  onProgress?: (e: BackupProgressEvent) => void;
  signal?: AbortSignal;
  /** Items fetched concurrently per mailbox (1..4, default 4: Exchange's per-mailbox limit). */
  parallelism?: number;
  /** Checkpoint (flush contents + index) after this many ms … (default 5 min). */
  checkpointEveryMs?: number;
  /** … or after this many bytes written since the last checkpoint (default 64 MiB). */
  checkpointEveryBytes?: number;
  /**
   * An item listed with the same lastModifiedDateTime as its copy in the base is reused without
   * downloading only when that time is at least this much older than the base backup's start
   * (Graph times have one-second resolution and clocks differ; default 60 s).
   */
  modTimeSafetyMs?: number;
  /**
   * Graph calls a caller started early for a mailbox (startPreflight): the mailbox check and the
   * first category's folder listing. Called once per mailbox; undefined means start them now.
   */
  preflight?: (mailboxId: string) => MailboxPreflight | undefined;
}

export type BackupProgressEvent =
  | { type: "mailbox-start"; resource: { id: string; name: string }; index: number; total: number }
  | { type: "folder"; resource: string; category: ExchangeCategory; folder: string; added: number; removed: number; reset: boolean }
  | { type: "item"; resource: string; category: ExchangeCategory; itemId: string; bytes: number; cached: boolean }
  | { type: "checkpoint"; resource: string; bytes: number }
  | { type: "mailbox-done"; result: BackupRunResult };

export type BackupRunStatus = "Completed" | "Failed" | "No Data" | "NotEnabled";

export interface BackupStats {
  /** Items downloaded from Graph and written. */
  itemsRead: number;
  /** Item-data files in the snapshot (data + metadata), like kopia's TotalFileCount. */
  itemsWritten: number;
  nonMetaItemsWritten: number;
  /** Items carried over from the base without downloading. */
  itemsCached: number;
  itemsRemoved: number;
  bytesRead: number;
  bytesUploaded: number;
  nonMetaBytesUploaded: number;
  foldersEnumerated: number;
  foldersReset: number;
  graphRequests: number;
  startedAt: string;
  completedAt: string;
}

export interface BackupRunResult {
  /** Present when a backup model was saved (merge or assist). */
  backupId?: string;
  backupType?: "merge-backup" | "assist-backup";
  resource: { id: string; name: string };
  status: BackupRunStatus;
  stats: BackupStats;
  errors: FaultItem[];
  skipped: FaultItem[];
  alerts: { message: string; item: FaultItem }[];
  /** One-line reason when status is Failed (or NotEnabled). */
  failure?: string;
}
