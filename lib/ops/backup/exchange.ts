// `corso backup create exchange`: resolve the mailboxes (optionally one shard of them) and back
// each up as its own backup (Corso's SplitByResourceOwner), sequentially.
import type { ExchangeCategory } from "../../corso/path.ts";
import { EXCHANGE_CATEGORIES } from "../../corso/path.ts";
import { CorsoError, UsageError, errorMessage } from "../../errors.ts";
import type { GraphClient } from "../../m365/graph/index.ts";
import type { Repository } from "../../repo/repository.ts";
import { backupMailbox } from "./mailbox.ts";
import { checkShard, resolveMailboxes, shardOf } from "./resolve.ts";
import type { BackupRunResult, ExchangeBackupOptions } from "./types.ts";

export type { BackupRunResult, ExchangeBackupOptions };
export { MailboxNotFoundError, fnv1a, shardOf } from "./resolve.ts";

export async function runExchangeBackup(repo: Repository, graph: GraphClient, opts: ExchangeBackupOptions): Promise<BackupRunResult[]> {
  checkShard(opts.shard);
  const cats = (opts.categories.length ? opts.categories : [...EXCHANGE_CATEGORIES]) as ExchangeCategory[];
  for (const c of cats) {
    if (!EXCHANGE_CATEGORIES.includes(c)) throw new UsageError(`${c} is an unrecognized data type; must be one of contacts, email, or events`);
  }
  if (!opts.tenantId) throw new UsageError("tenant ID is required for an Exchange backup");
  let mailboxes = opts.resolved ? [...opts.resolved] : await resolveMailboxes(graph, opts.mailboxes);
  if (opts.shard) mailboxes = mailboxes.filter((m) => shardOf(m.id, opts.shard!.count) === opts.shard!.index);
  const out: BackupRunResult[] = [];
  for (let i = 0; i < mailboxes.length; i++) {
    const m = mailboxes[i];
    if (opts.signal?.aborted) break;
    opts.onProgress?.({ type: "mailbox-start", resource: m, index: i, total: mailboxes.length });
    let r: BackupRunResult;
    try {
      r = await backupMailbox({ repo, graph, opts: { ...opts, categories: cats }, mailbox: m });
    } catch (e) {
      if (!(e instanceof CorsoError) && !(e instanceof Error)) throw e;
      const now = new Date().toISOString();
      r = {
        resource: m, status: "Failed", errors: [], skipped: [], alerts: [], failure: errorMessage(e),
        stats: {
          itemsRead: 0, itemsWritten: 0, nonMetaItemsWritten: 0, itemsCached: 0, itemsRemoved: 0, bytesRead: 0, bytesUploaded: 0,
          nonMetaBytesUploaded: 0, foldersEnumerated: 0, foldersReset: 0, graphRequests: 0, startedAt: now, completedAt: now,
        },
      };
    }
    out.push(r);
    opts.onProgress?.({ type: "mailbox-done", result: r });
  }
  return out;
}
