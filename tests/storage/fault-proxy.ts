// A real HTTP reverse proxy in front of MinIO that injects faults into the first requests:
// S3 throttling (503 SlowDown), 500 InternalError, stalls (client timeouts) and dropped
// connections (response body aborted mid-way). Counts every request it sees.
export type Fault =
  | { kind: "slowdown" }
  | { kind: "internal" }
  | { kind: "status"; status: number; code: string }
  | { kind: "stall"; ms: number }
  | { kind: "drop" };

export interface ProxiedRequest {
  method: string;
  path: string;
  query: string;
  headers: Headers;
}

export interface FaultProxy {
  /** "127.0.0.1:PORT" */
  endpoint: string;
  /** Requests seen (faulty ones included). */
  readonly requests: number;
  /** Requests answered with a fault. */
  readonly faults: number;
  /** Requests seen, in order. */
  readonly log: ProxiedRequest[];
  /** Faults to inject into the next requests, in order; optionally only for matching methods. */
  inject(faults: Fault[], opts?: { method?: string }): void;
  reset(): void;
  stop(): Promise<void>;
}

function s3Error(status: number, code: string, message: string): Response {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`;
  return new Response(body, { status, headers: { "content-type": "application/xml" } });
}

export function startFaultProxy(upstream: string): FaultProxy {
  let requests = 0;
  let faults = 0;
  let plan: Fault[] = [];
  let onlyMethod: string | undefined;
  const log: ProxiedRequest[] = [];
  // Stalled handlers end early when the proxy stops, so nothing outlives the test.
  let isStopped = false;
  let markStopped!: () => void;
  const stopped = new Promise<void>((r) => (markStopped = r));
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      requests++;
      const url = new URL(req.url);
      log.push({ method: req.method, path: url.pathname, query: url.search, headers: new Headers(req.headers) });
      const fault = plan.length > 0 && (!onlyMethod || onlyMethod === req.method) ? plan.shift() : undefined;
      if (fault) faults++;
      if (fault?.kind === "slowdown") return s3Error(503, "SlowDown", "Please reduce your request rate.");
      if (fault?.kind === "internal") return s3Error(500, "InternalError", "We encountered an internal error. Please try again.");
      if (fault?.kind === "status") return s3Error(fault.status, fault.code, "injected");
      if (fault?.kind === "stall") {
        await Promise.race([Bun.sleep(fault.ms), stopped]);
        if (isStopped) return s3Error(503, "ServiceUnavailable", "proxy stopped");
      }
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const up = await fetch(`http://${upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers, // Host included: the SigV4 signature covers it
        body,
        decompress: false,
        redirect: "manual",
      });
      if (fault?.kind === "drop") {
        // Promise a full body, send a few bytes, then kill the connection.
        const len = up.headers.get("content-length") ?? "1000";
        const headers = new Headers(up.headers);
        headers.set("content-length", String(Math.max(Number(len), 64)));
        const stream = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("partial"));
            // Erroring the body stream makes Bun reset the connection (it also logs this error).
            setTimeout(() => c.error(new Error("fault-proxy: injected connection drop (expected in tests)")), 10);
          },
        });
        return new Response(stream, { status: up.status, headers });
      }
      // Returned as-is so HEAD keeps its Content-Length.
      return up;
    },
  });
  return {
    endpoint: `127.0.0.1:${server.port}`,
    get requests() {
      return requests;
    },
    get faults() {
      return faults;
    },
    get log() {
      return log;
    },
    inject(f, opts) {
      plan = [...f];
      onlyMethod = opts?.method;
    },
    reset() {
      requests = 0;
      faults = 0;
      plan = [];
      onlyMethod = undefined;
      log.length = 0;
    },
    async stop() {
      isStopped = true;
      markStopped();
      await server.stop(true);
    },
  };
}
