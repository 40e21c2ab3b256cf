// Resumable drive content download. The pre-authenticated @microsoft.graph.downloadUrl is
// fetched WITHOUT the bearer token; a broken stream resumes with `Range: bytes=N-`; a URL
// that has expired (tempauth JWT exp, or 401/403 from the download host) is refreshed by
// re-reading the item.

import { GraphError } from "./errors.ts";
import type { GraphHttp, GraphResponse } from "./http.ts";
import type { GraphObject } from "./pager.ts";
import { isRetryableNetworkError, sleep } from "./retry.ts";

export const LARGE_FILE_DOWNLOAD_LIMIT = 15 * 1024 ** 3;

export function downloadUrlOf(item: GraphObject): string | undefined {
  const u = item["@microsoft.graph.downloadUrl"] ?? item["@content.downloadUrl"];
  return typeof u === "string" && u ? u : undefined;
}

/**
 * Expiry (ms epoch) of a download URL's `tempauth` token, when it carries one we can read.
 * Handles 3-segment JWTs and Microsoft's 4-segment `v1.` form (Corso graph.IsURLExpired).
 */
export function downloadUrlExpiry(url: string): number | undefined {
  let tempauth: string | null;
  try {
    tempauth = new URL(url).searchParams.get("tempauth");
  } catch {
    return undefined;
  }
  if (!tempauth) return undefined;
  const parts = tempauth.split(".");
  const segs = parts[0] === "v1" ? parts.slice(1) : parts;
  if (segs.length < 2) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(segs[1], "base64url").toString("utf8")) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface DownloadOptions {
  /** Re-reads the item to get a fresh download URL (GET item with content.downloadUrl selected). */
  refresh: () => Promise<GraphObject>;
  /** Reconnects after a broken stream (default 3, as Corso). */
  maxResumes?: number;
  /** URL refreshes after expiry/401 (default 2). */
  maxRefreshes?: number;
  idleTimeoutMs?: number;
  clock?: () => number;
  signal?: AbortSignal;
}

function isExpiredUrlError(e: unknown): boolean {
  return e instanceof GraphError && e.kind !== "malware" && (e.status === 401 || e.status === 403 || e.status === 410);
}

/**
 * Streams an item's content. Bytes are delivered in order exactly once: after a resume, a
 * server that ignores Range (200 instead of 206) has the already-delivered prefix discarded.
 */
export function downloadStream(http: GraphHttp, item: GraphObject, opts: DownloadOptions): ReadableStream<Uint8Array> {
  const clock = opts.clock ?? Date.now;
  const maxResumes = opts.maxResumes ?? 3;
  const maxRefreshes = opts.maxRefreshes ?? 2;
  const expected = typeof item.size === "number" ? item.size : undefined;
  let url = downloadUrlOf(item);
  let offset = 0;
  let skip = 0;
  let resumes = 0;
  let refreshes = 0;
  let reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> } | undefined;

  const refreshUrl = async () => {
    if (refreshes >= maxRefreshes) throw new GraphError({ status: 401, method: "GET", url: url ?? "download", message: "download URL still expired after refreshing the item" });
    refreshes++;
    http.counters.downloadUrlRefreshes++;
    const fresh = await opts.refresh();
    url = downloadUrlOf(fresh);
    if (!url) throw new GraphError({ status: 404, method: "GET", url: "download", odata: { code: "itemNotFound", message: "item has no download URL (deleted or not a file)" } });
  };

  const open = async (): Promise<void> => {
    for (;;) {
      if (!url) await refreshUrl();
      const exp = downloadUrlExpiry(url!);
      // Already expired: don't spend a request on it (Corso IsURLExpired). Near-expiry URLs are
      // still tried; a 401 from the host triggers the same refresh.
      if (exp !== undefined && exp <= clock() + 1000) {
        await refreshUrl();
        continue;
      }
      let res: GraphResponse;
      try {
        res = await http.request({
          url: url!, auth: false, service: "drive", stream: true, idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
          headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal: opts.signal,
        });
      } catch (e) {
        if (isExpiredUrlError(e)) {
          await refreshUrl();
          continue;
        }
        throw e;
      }
      if (offset > 0 && res.status === 206) {
        const m = /bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
        if (!m || Number(m[1]) !== offset) {
          await res.body?.cancel();
          throw new GraphError({ status: 206, method: "GET", url: url!, message: `resume at byte ${offset} got Content-Range "${res.headers.get("content-range")}"` });
        }
        skip = 0;
      } else {
        skip = offset; // full body again: drop what the consumer already has
      }
      if (!res.body) throw new GraphError({ status: res.status, method: "GET", url: url!, message: "download response has no body" });
      reader = res.body.getReader();
      return;
    }
  };

  const resume = async (cause: unknown): Promise<void> => {
    if (resumes >= maxResumes || opts.signal?.aborted) throw cause;
    resumes++;
    http.counters.downloadResumes++;
    try {
      await reader?.cancel();
    } catch {
      /* already broken */
    }
    reader = undefined;
    await sleep(250 * resumes, opts.signal);
    await open();
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!reader) await open();
        let chunk: { done: boolean; value?: Uint8Array };
        try {
          chunk = await reader!.read();
        } catch (e) {
          if (!isRetryableNetworkError(e) && !(e instanceof Error && /abort|timeout|closed|terminated|premature/i.test(e.name + e.message))) throw e;
          await resume(e);
          continue;
        }
        if (chunk.done) {
          if (expected !== undefined && offset < expected) {
            await resume(new GraphError({ status: 0, method: "GET", url: "download", message: `download ended at byte ${offset} of ${expected}` }));
            continue;
          }
          controller.close();
          return;
        }
        let value = chunk.value!;
        if (skip > 0) {
          const drop = Math.min(skip, value.byteLength);
          skip -= drop;
          value = value.subarray(drop);
          if (!value.byteLength) continue;
        }
        offset += value.byteLength;
        controller.enqueue(value);
        return;
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason).catch(() => {});
    },
  });
}
