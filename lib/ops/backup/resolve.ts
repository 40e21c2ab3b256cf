// Mailbox resolution for `--mailbox a@x,b@y | '*'` and the stable `--shard i/n` partition.
import { CorsoError, UsageError } from "../../errors.ts";
import { GraphError, type GraphClient } from "../../m365/graph/index.ts";

export interface ResolvedMailbox {
  id: string;
  name: string;
}

/** A mailbox the user named does not exist in the tenant. */
export class MailboxNotFoundError extends CorsoError {
  constructor(readonly mailbox: string) {
    super("mailbox-not-found", `mailbox ${mailbox} not found in the tenant`);
  }
}

/** 32-bit FNV-1a over UTF-8. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Shard of a resolved mailbox: FNV-1a of the lowercased user ID, mod n. */
export function shardOf(userId: string, count: number): number {
  return fnv1a(userId.toLowerCase()) % count;
}

export function checkShard(shard: { index: number; count: number } | undefined): void {
  if (!shard) return;
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new UsageError(`invalid shard ${index}/${count}: need 0 <= i < n`);
  }
}

/**
 * Resolves names to user IDs (errors name the unknown mailbox); "*" lists every user. Order is
 * the user's order (or the directory's for "*"), duplicates removed.
 */
export async function resolveMailboxes(graph: GraphClient, mailboxes: readonly string[]): Promise<ResolvedMailbox[]> {
  const want = mailboxes.map((m) => m.trim()).filter(Boolean);
  if (want.length === 0) throw new UsageError("--user/--mailbox requires one or more email addresses or the wildcard '*'");
  const out: ResolvedMailbox[] = [];
  const seen = new Set<string>();
  const push = (u: Record<string, unknown>) => {
    const id = String(u.id ?? "");
    if (!id || seen.has(id)) return;
    seen.add(id);
    out.push({ id, name: String(u.userPrincipalName ?? u.mail ?? id) });
  };
  if (want.includes("*")) {
    for await (const u of graph.discovery.users()) push(u);
    return out;
  }
  // Looked up at the same time (different mailboxes); the first failure in the user's order wins.
  const users = await settleInOrder(want, LOOKUP_CONCURRENCY, async (m) => {
    try {
      return await graph.discovery.user(m);
    } catch (e) {
      if (e instanceof GraphError && (e.kind === "user-not-found" || e.kind === "not-found")) throw new MailboxNotFoundError(m);
      throw e;
    }
  });
  for (const u of users) push(u);
  return out;
}

/** User lookups in flight at once when resolving named mailboxes. */
const LOOKUP_CONCURRENCY = 8;

/**
 * fn over items with at most `limit` calls in flight; results in the items' order. If calls
 * fail, the error of the first failing item (in order) is thrown once every started call has
 * settled, and no new calls start after a failure: what a sequential loop would report.
 */
export async function settleInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = { status: "fulfilled", value: await fn(items[i], i) };
      } catch (e) {
        out[i] = { status: "rejected", reason: e };
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const values: R[] = [];
  for (const r of out) {
    if (!r) break; // not started after an earlier failure
    if (r.status === "rejected") throw r.reason;
    values.push(r.value);
  }
  return values;
}
