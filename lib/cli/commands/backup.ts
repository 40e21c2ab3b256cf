// `corso backup create exchange` (corso-cli spec §4.1): validates the flags as Corso does, connects
// the configured repository, resolves the mailboxes, runs one backup per mailbox
// (lib/ops/backup/exchange.ts) and prints Corso's messages: `Backup complete ∙ <id>` and the stats
// line per backup, `Completed Backups:` with the list table, `Unable to complete backup` per
// failure and finally `<n> of <m> backups failed` (exit 1). SIGINT/SIGTERM abort the run through
// an AbortSignal, so what was uploaded is checkpointed and reused by the next run.
import { UsageError } from "../../errors.ts";
import type { MailboxPreflight } from "../../ops/backup/preflight.ts";
import type { BackupProgressEvent, BackupRunResult } from "../../ops/backup/types.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { backupPrintable, humanizeBytes, type BackupView, useSyncStdout } from "../details-print.ts";
import { CommandError, wrapError } from "../errors.ts";
import { openGraph, resolveAzureCredentials, type AzureFlags } from "../graph-config.ts";
import { pii } from "../log.ts";
import { info, isJSON, outLine, printAll } from "../print.ts";
import type { RepoFlags } from "../repo-config.ts";
import { closeConnected, connectConfigured, loadConfigFile, openSibling, type Sibling } from "../session.ts";

type Category = "email" | "contacts" | "events";
const CATEGORIES: Category[] = ["email", "contacts", "events"];

/** Corso's comma-separated string slice (pflag StringSlice, simplified: no CSV quoting). */
export function splitList(v: string | boolean | undefined): string[] | undefined {
  if (typeof v !== "string") return undefined;
  if (v.trim() === "") return [];
  return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** `--shard i/n` (1-based i): the library's 0-based partition index. */
export function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n || n > 10_000) {
    throw new UsageError(`invalid argument "${v}" for "--shard" flag: expected i/n with 1 <= i <= n (e.g. 1/4)`);
  }
  return { index: i - 1, count: n };
}

export interface CreateInput {
  mailboxes: string[];
  categories: Category[];
  shard?: { index: number; count: number };
  /** Mailboxes backed up at the same time (each with its own repository connection). */
  parallel: number;
}

export const DEFAULT_PARALLEL_MAILBOXES = 8;

export function parseParallel(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PARALLEL_MAILBOXES;
  const n = Number(v.trim());
  if (!/^\s*\d+\s*$/.test(v) || n < 1 || n > 64) {
    throw new UsageError(`invalid argument "${v}" for "--parallel-mailboxes" flag: expected a number from 1 to 64`);
  }
  return n;
}

/** Flag validation, before anything is touched (Corso's preRun and validate order). */
export function validateCreateFlags(f: FlagValues): CreateInput {
  const hasUser = typeof f.user === "string";
  const hasMailbox = typeof f.mailbox === "string";
  if (!hasUser && !hasMailbox) throw new UsageError("either --user or --mailbox flag is required");
  if (hasUser && hasMailbox) throw new UsageError("cannot use both [mailbox, user] flags in the same command");
  const mailboxes = splitList(hasMailbox ? f.mailbox : f.user) ?? [];
  if (mailboxes.length === 0) throw new UsageError("--user/--mailbox requires one or more email addresses or the wildcard '*'");
  const data = splitList(f.data) ?? [];
  for (const d of data) {
    if (!CATEGORIES.includes(d as Category)) throw new UsageError(`${d} is an unrecognized data type; must be one of contacts, email, or events`);
  }
  const categories = data.length === 0 ? [...CATEGORIES] : CATEGORIES.filter((c) => data.includes(c));
  // Accepted for Corso compatibility: range checks only (values are the client's own defaults).
  if (typeof f.fetchParallelism === "string" && !/^\s*\d+\s*$/.test(f.fetchParallelism)) {
    throw new UsageError(`invalid argument "${f.fetchParallelism}" for "--fetch-parallelism" flag: strconv.ParseInt: parsing "${f.fetchParallelism}": invalid syntax`);
  }
  if (typeof f.deltaPageSize === "string" && !/^\s*\d+\s*$/.test(f.deltaPageSize)) {
    throw new UsageError(`invalid argument "${f.deltaPageSize}" for "--delta-page-size" flag: strconv.ParseInt: parsing "${f.deltaPageSize}": invalid syntax`);
  }
  const wildcard = mailboxes.includes("*");
  return {
    mailboxes: wildcard ? ["*"] : mailboxes,
    categories,
    shard: parseShard(typeof f.shard === "string" ? f.shard : undefined),
    parallel: parseParallel(typeof f.parallelMailboxes === "string" ? f.parallelMailboxes : undefined),
  };
}

type Graph = Awaited<ReturnType<typeof openGraph>>;

/** Named mailboxes must exist and have Exchange: one clear line otherwise, before any backup.
 * The names are checked at the same time; the first failing name in the user's order is reported. */
async function checkNamedMailboxes(graph: Graph, names: string[], tenantId: string): Promise<void> {
  const { isGraphError } = await import("../../m365/graph/index.ts");
  const { settleInOrder } = await import("../../ops/backup/resolve.ts");
  const check = async (name: string): Promise<void> => {
    let id: string;
    try {
      id = String((await graph.discovery.user(name, "id,userPrincipalName")).id ?? name);
    } catch (e) {
      if (isGraphError(e) && (e.status === 404 || e.kind === "user-not-found" || e.kind === "not-found")) {
        throw new CommandError("mailbox-not-found", `Unable to initiate backup: mailbox ${name} not found in tenant ${tenantId}`);
      }
      throw wrapError("Failed to retrieve M365 users", e);
    }
    let enabled: boolean;
    try {
      enabled = await graph.discovery.mailboxEnabled(id);
    } catch (e) {
      throw wrapError("Failed to retrieve M365 users", e);
    }
    if (!enabled) {
      throw new CommandError("service-not-enabled", `Unable to initiate backup: ${name} has no Exchange Online mailbox (service not enabled)`);
    }
  };
  await settleInOrder(names, CHECK_CONCURRENCY, check);
}

/** Mailbox lookups in flight at once (different mailboxes: Graph's per-mailbox limits do not bind). */
const CHECK_CONCURRENCY = 8;

function progressText(e: BackupProgressEvent, st: { mailbox: string; n: string; items: number; bytes: number }): string {
  if (e.type === "mailbox-start") {
    st.mailbox = e.resource.name || e.resource.id;
    st.n = `${e.index + 1}/${e.total}`;
    st.items = 0;
    st.bytes = 0;
  } else if (e.type === "item") {
    st.items++;
    st.bytes += e.bytes;
  }
  return `${st.n} ${st.mailbox}: ${st.items} items, ${humanizeBytes(st.bytes)}`;
}

/** Wires SIGINT/SIGTERM to an AbortController for the duration of fn; a second signal exits. */
async function withInterrupt<T>(ctx: CommandContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130);
    ctx.log.warn("interrupted: saving what was backed up", { signal: sig });
    info(`\nInterrupted (${sig}): saving what has been backed up so far. Press Ctrl-C again to quit immediately.`);
    ac.abort(new CommandError("interrupted", `backup interrupted by ${sig}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

type Connected = Awaited<ReturnType<typeof connectConfigured>>;

/**
 * The extra repository connections for concurrent mailboxes, opened in the background as soon as
 * the first connection is up (from its derived key: no second KDF), so that opening them overlaps
 * with the Graph lookups. How many are needed is known only once the mailboxes are resolved;
 * `take` hands out that many (or reports the first failure when fewer opened) and `close` closes
 * the rest.
 */
class Siblings {
  private readonly attempts: Promise<PromiseSettledResult<Sibling>>[] = [];
  private readonly closing = new Map<Sibling, Promise<void>>();
  private released: Promise<void> | undefined;

  constructor(
    private readonly c: Connected,
    count: number,
  ) {
    this.grow(count);
  }

  /** Starts opening connections until `n` have been started. */
  private grow(n: number): void {
    while (this.attempts.length < n) {
      this.attempts.push(openSibling(this.c).then((value) => ({ status: "fulfilled", value }), (reason) => ({ status: "rejected", reason })));
    }
  }

  private async opened(): Promise<{ ok: Sibling[]; failed?: PromiseRejectedResult }> {
    const settled = await Promise.all(this.attempts);
    return {
      ok: settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
      failed: settled.find((r): r is PromiseRejectedResult => r.status === "rejected"),
    };
  }

  /** n open connections; the others are closed in the background. Throws the first opening
   * error if fewer than n opened. */
  async take(ctx: CommandContext, n: number): Promise<Sibling[]> {
    this.grow(n);
    const { ok, failed } = await this.opened();
    if (ok.length < n) throw failed!.reason;
    for (const x of ok.slice(n)) this.closeOne(ctx, x);
    return ok.slice(0, n);
  }

  /** None is needed: all are closed in the background (as they finish opening). */
  release(ctx: CommandContext): void {
    this.released ??= this.opened().then(({ ok }) => {
      for (const x of ok) this.closeOne(ctx, x);
    });
  }

  /** Closes every connection not closed yet and waits for all closes (idempotent). */
  async close(ctx: CommandContext): Promise<void> {
    await this.released;
    for (const x of (await this.opened()).ok) this.closeOne(ctx, x);
    await Promise.all(this.closing.values());
  }

  private closeOne(ctx: CommandContext, x: Sibling): Promise<void> {
    let p = this.closing.get(x);
    if (!p) {
      p = closeConnected(ctx, x);
      this.closing.set(x, p);
    }
    return p;
  }
}

/** Extra connections opened ahead for `--mailbox '*'` before the number of mailboxes is known. */
const SPECULATIVE_SIBLINGS = DEFAULT_PARALLEL_MAILBOXES - 1;

/** Runs fn over the mailboxes with up to `parallel` workers, each on its own repository
 * connection (the first uses `c`, the others come from `siblings`); results keep the mailboxes'
 * order. */
async function runConcurrently<M>(
  ctx: CommandContext,
  c: Connected,
  siblings: Siblings,
  list: M[],
  parallel: number,
  signal: AbortSignal,
  fn: (repo: any, m: M, index: number) => Promise<BackupRunResult[]>,
): Promise<BackupRunResult[]> {
  const workers = Math.min(parallel, list.length);
  const out: BackupRunResult[][] = new Array(list.length);
  try {
    const extra = await siblings.take(ctx, workers - 1);
    const repos = [c.repo, ...extra.map((x) => x.repo)];
    let next = 0;
    await Promise.all(
      repos.map(async (repo) => {
        for (;;) {
          if (signal.aborted) return;
          const i = next++;
          if (i >= list.length) return;
          out[i] = await fn(repo, list[i], i);
        }
      }),
    );
  } finally {
    await siblings.close(ctx);
  }
  return out.filter(Boolean).flat();
}

function failureCause(r: BackupRunResult): string {
  if (r.failure) return r.failure;
  if (r.errors.length > 0) {
    const first = r.errors[0];
    const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : "";
    return `running backup: partial success: ${r.errors.length} errors occurred: ${first.name || first.id}: ${first.cause}${more}`;
  }
  return `backup status ${r.status}`;
}

export async function createExchange(ctx: CommandContext, f: FlagValues): Promise<void> {
  useSyncStdout(ctx);
  const input = validateCreateFlags(f);
  const named = input.mailboxes[0] !== "*";
  // Mailboxes run concurrently unless there is only one (or --parallel-mailboxes 1).
  const concurrent = input.parallel > 1 && !(named && input.mailboxes.length === 1);
  // Graph's part of the start-up (token, named-mailbox checks, the mailbox listing) does not need
  // the repository, so it runs while the repository connects (the passphrase KDF alone is
  // ~0.2–0.4 s of CPU). Its errors surface where they did when it ran afterwards: only after a
  // successful connect, in the same order (credentials, named mailboxes, then the listing inside
  // the backup step).
  const file = await loadConfigFile(ctx);
  const handled = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => {}); // awaited (and reported) later
    return p;
  };
  const graphReady = file.exists
    ? handled(
        (async () => {
          const creds = resolveAzureCredentials(f as AzureFlags, file, ctx.env);
          const graph = await openGraph(creds, ctx.env);
          if (named) await checkNamedMailboxes(graph, input.mailboxes, creds.tenantId);
          return { creds, graph };
        })(),
      )
    : undefined;
  const listing = graphReady && concurrent
    ? handled(graphReady.then(async ({ graph }) => (await import("../../ops/backup/resolve.ts")).resolveMailboxes(graph, input.mailboxes)))
    : undefined;
  // The first mailboxes' Graph preliminaries (mailbox check, first folder listing) start as soon
  // as the listing is in, also overlapping the repository connect.
  const early = new Map<string, MailboxPreflight>();
  const taken = new Set<string>();
  if (listing) {
    handled(
      Promise.all([listing, graphReady!, import("../../ops/backup/preflight.ts"), import("../../ops/backup/resolve.ts")]).then(
        ([list, { graph }, { firstCategory, startPreflight }, { shardOf }]) => {
          const mine = input.shard ? list.filter((m) => shardOf(m.id, input.shard!.count) === input.shard!.index) : list;
          if (mine.length <= 1) return;
          const cat = firstCategory(input.categories);
          // (a mailbox that already started did its own)
          for (const m of mine.slice(0, input.parallel)) if (!taken.has(m.id)) early.set(m.id, startPreflight(graph, m.id, cat));
        },
      ),
    );
  }
  const takePreflight = (id: string): MailboxPreflight | undefined => {
    const p = early.get(id);
    early.delete(id);
    taken.add(id);
    return p;
  };
  const c = await connectConfigured(ctx, f as RepoFlags, {}, file);
  const completed: string[] = [];
  const failures: string[] = [];
  let total = 0;
  // The extra connections open now, while Graph is still resolving the mailboxes. For '*' the
  // count is a guess (at most SPECULATIVE_SIBLINGS; more are opened once the listing says so).
  const siblingCount = concurrent ? Math.min(input.parallel, named ? input.mailboxes.length : SPECULATIVE_SIBLINGS + 1) - 1 : 0;
  const siblings = new Siblings(c, siblingCount);
  try {
    const { creds, graph } = await graphReady!;
    const { runExchangeBackup } = await import("../../ops/backup/exchange.ts");
    const st = { mailbox: "", n: "", items: 0, bytes: 0 };
    const models = new Map<string, BackupView | undefined>();
    const onResult = (r: BackupRunResult) => {
      ctx.log.info("mailbox backup finished", { mailbox: pii(r.resource.name || r.resource.id), status: r.status, backupId: r.backupId ?? "", errors: r.errors.length });
    };
    const base = {
      tenantId: creds.tenantId,
      categories: input.categories,
      failFast: f.failFast === true,
      disableIncrementals: f.disableIncrementals === true,
      forceItemDataDownload: f.forceItemDataDownload === true,
    };
    const progress = (update: (s: string) => void) => (e: BackupProgressEvent) => {
      if (e.type === "mailbox-done") onResult(e.result);
      update(progressText(e, st));
    };
    // One call backs the mailboxes up one after another (Corso's order). With several mailboxes,
    // up to --parallel-mailboxes of them run at once, each on its own repository connection (as
    // separate processes would, but opened from the first one's derived key): Graph's limits
    // are per mailbox, so this is what fills them. Mailboxes are resolved once, here.
    const run = async (signal: AbortSignal, update: (s: string) => void): Promise<BackupRunResult[]> => {
      if (!concurrent) {
        return runExchangeBackup(c.repo, graph, { ...base, mailboxes: input.mailboxes, shard: input.shard, signal, onProgress: progress(update) });
      }
      const { shardOf } = await import("../../ops/backup/resolve.ts");
      let list = await listing!;
      if (input.shard) list = list.filter((m) => shardOf(m.id, input.shard!.count) === input.shard!.index);
      if (list.length <= 1 || input.parallel <= 1) {
        siblings.release(ctx);
        return runExchangeBackup(c.repo, graph, { ...base, mailboxes: list.map((m) => m.id), resolved: list, signal, onProgress: progress(update) });
      }
      return runConcurrently(ctx, c, siblings, list, input.parallel, signal, async (repo, m, i) => {
        update(`${i + 1}/${list.length} ${m.name || m.id}`);
        const rs = await runExchangeBackup(repo, graph, {
          ...base, mailboxes: [m.id], resolved: [m], signal, preflight: takePreflight, onProgress: (e) => e.type === "mailbox-done" && onResult(e.result),
        });
        // Read the saved models through the connection that wrote them (others have not seen them).
        const { getBackup } = await import("../../ops/backups.ts");
        for (const r of rs) if (r.backupId) models.set(r.backupId, (await getBackup(repo, r.backupId).catch(() => undefined)) as BackupView | undefined);
        return rs;
      });
    };
    let results: BackupRunResult[];
    try {
      results = await withInterrupt(ctx, (signal) =>
        ctx.progress.interactive ? ctx.progress.step("Backing up Exchange data", (update) => run(signal, update)) : run(signal, () => {}),
      );
    } catch (e) {
      if ((e as { code?: string })?.code === "mailbox-not-found" || (e as Error)?.name === "MailboxNotFoundError") throw e;
      throw wrapError("Failed to run backup", e);
    }
    // "NotEnabled" resources are skipped silently, as Corso skips ErrServiceNotEnabled.
    const counted = results.filter((r) => r.status !== "NotEnabled");
    total = counted.length;
    for (const r of counted) {
      const name = r.resource.name || r.resource.id;
      const ok = r.backupId && r.status !== "Failed" && r.errors.length === 0 && r.backupType !== "assist-backup";
      if (ok) {
        completed.push(r.backupId!);
        if (isJSON()) info(`Backup complete - ID: ${r.backupId}`);
        else {
          info(`Backup complete ∙ ${r.backupId}`);
          outLine(
            `Bytes uploaded: ${humanizeBytes(r.stats.nonMetaBytesUploaded)} | Items uploaded: ${r.stats.nonMetaItemsWritten} | ` +
              `Items skipped: ${r.skipped.length} | Errors: ${r.errors.length}`,
          );
        }
        continue;
      }
      const cause = failureCause(r);
      const saved = r.backupId && !cause.includes(r.backupId) ? ` (data saved as assist backup ${r.backupId}; the next run reuses it)` : "";
      info(`Error: Unable to complete backup\nCause: ${name}: ${cause}${saved}`);
      failures.push(`${name}: ${cause}${saved}`);
    }
    if (completed.length > 0) {
      const { getBackup } = await import("../../ops/backups.ts");
      const shown: BackupView[] = [];
      for (const id of completed) shown.push(models.get(id) ?? ((await getBackup(c.repo, id)) as unknown as BackupView));
      info("\nCompleted Backups:");
      printAll(shown.map(backupPrintable));
    } else if (total === 0 && failures.length === 0) {
      info(input.shard ? `No mailboxes in shard ${input.shard.index + 1}/${input.shard.count}` : "No mailboxes with Exchange data to back up");
    }
  } finally {
    await siblings.close(ctx);
    await closeConnected(ctx, c);
  }
  if (failures.length > 0) {
    throw new CommandError("backup-failed", `${failures.length} of ${total} backups failed: ∙ ${failures.join(" ∙ ")}`);
  }
}
