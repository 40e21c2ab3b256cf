// Delta paging with reset handling. A stored deltaLink that Graph no longer accepts
// (SyncStateNotFound, ResyncRequired, SyncStateInvalid, HTTP 410) makes the iterator yield a
// `reset` event — consumers drop everything accumulated for this container — and restart
// without a token. Items carrying `@removed` (Exchange) or a `deleted` facet (drives) are
// reported as removals.

import { GraphError } from "./errors.ts";
import { COST, type GraphHttp, type GraphRequest } from "./http.ts";
import { type GraphObject, pages } from "./pager.ts";

export type DeltaEvent<T = GraphObject> =
  | { type: "reset"; reason: string }
  | { type: "page"; added: T[]; removed: T[] }
  | { type: "end"; deltaLink: string | undefined; reset: boolean };

export interface DeltaQuery {
  /** First request of a fresh delta enumeration (no token). */
  fresh: GraphRequest;
  /** Stored deltaLink from the previous backup, if any. */
  deltaLink?: string;
  /** Non-delta listing used when the endpoint refuses delta (or quota blocks it); all items come back as added. */
  fallback?: GraphRequest;
  /** How many resets to tolerate before giving up (a server that resets forever). */
  maxResets?: number;
  /** Called on each reset (counters, logs). */
  onReset?: (reason: string) => void;
}

export function isRemoved(item: GraphObject): boolean {
  return "@removed" in item || (item.deleted !== undefined && item.deleted !== null);
}

function resetReason(e: unknown): string | undefined {
  if (e instanceof GraphError && e.kind === "invalid-delta") return e.odataCode || `HTTP ${e.status}`;
  return undefined;
}

function refused(e: unknown): boolean {
  return e instanceof GraphError && (e.kind === "delta-not-supported" || e.kind === "quota-exceeded");
}

export async function* deltaEvents(http: GraphHttp, q: DeltaQuery): AsyncGenerator<DeltaEvent> {
  const maxResets = q.maxResets ?? 3;
  let resets = 0;
  let useToken = Boolean(q.deltaLink);
  let didReset = false;
  for (;;) {
    const first: GraphRequest = useToken
      ? { ...q.fresh, url: q.deltaLink!, query: undefined, api: undefined, cost: COST.read }
      : { ...q.fresh, cost: COST.deltaNoToken };
    let deltaLink: string | undefined;
    try {
      for await (const page of pages(http, first)) {
        const added: GraphObject[] = [];
        const removed: GraphObject[] = [];
        for (const it of page.items) (isRemoved(it) ? removed : added).push(it);
        yield { type: "page", added, removed };
        if (page.deltaLink) deltaLink = page.deltaLink;
      }
      yield { type: "end", deltaLink, reset: didReset };
      return;
    } catch (e) {
      const reason = resetReason(e);
      if (reason !== undefined && resets < maxResets) {
        resets++;
        didReset = true;
        useToken = false;
        http.counters.deltaResets++;
        q.onReset?.(reason);
        yield { type: "reset", reason };
        continue;
      }
      if (refused(e) && q.fallback) {
        http.counters.deltaResets++;
        q.onReset?.((e as GraphError).odataCode || (e as GraphError).kind);
        yield { type: "reset", reason: (e as GraphError).kind };
        for await (const page of pages(http, q.fallback)) {
          yield { type: "page", added: page.items.filter((i) => !isRemoved(i)), removed: [] };
        }
        yield { type: "end", deltaLink: undefined, reset: true };
        return;
      }
      throw e;
    }
  }
}
