// Request statistics for logs and `--json` output. Plain numbers so a snapshot serialises as is.

export interface GraphCounters {
  /** HTTP attempts sent (every retry counts). */
  requests: number;
  /** Attempts that were retries of an earlier attempt. */
  retries: number;
  /** 429 responses. */
  throttled: number;
  /** 5xx responses. */
  serverErrors: number;
  /** Connection resets, timeouts and other transport failures. */
  networkErrors: number;
  /** Access tokens obtained from the token endpoint. */
  tokenFetches: number;
  /** Requests replayed after a 401 InvalidAuthenticationToken. */
  authRetries: number;
  /** Sum of x-ms-resource-unit (1 when absent) over successful responses. */
  resourceUnits: number;
  /** Response body bytes received. */
  bytesIn: number;
  /** Request body bytes sent. */
  bytesOut: number;
  /** Time requests spent held at a Retry-After fence (ms, summed over requests). */
  fenceWaitMs: number;
  /** Time requests spent waiting for rate-limiter tokens (ms, summed). */
  limiterWaitMs: number;
  /** Delta queries restarted from scratch (invalid/expired token). */
  deltaResets: number;
  /** Downloads resumed with Range after a broken stream. */
  downloadResumes: number;
  /** Expired download URLs refreshed by re-reading the item. */
  downloadUrlRefreshes: number;
  /** Highest number of concurrent requests seen for a single mailbox. */
  peakMailboxConcurrency: number;
}

export function newCounters(): GraphCounters {
  return {
    requests: 0, retries: 0, throttled: 0, serverErrors: 0, networkErrors: 0, tokenFetches: 0, authRetries: 0,
    resourceUnits: 0, bytesIn: 0, bytesOut: 0, fenceWaitMs: 0, limiterWaitMs: 0, deltaResets: 0,
    downloadResumes: 0, downloadUrlRefreshes: 0, peakMailboxConcurrency: 0,
  };
}
