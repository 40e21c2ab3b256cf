// Test helpers: a token-carrying Graph GET/POST against a running simulator.
import type { Simulator } from "../../lib/graph-sim/index.ts";

export async function token(sim: Simulator): Promise<string> {
  const r = await fetch(`${sim.loginBase}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: sim.clientId, client_secret: sim.clientSecret, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" }),
  });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

export interface G {
  status: number;
  body: any;
  headers: Headers;
}

export function client(sim: Simulator, tok: string) {
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<G> => {
    const full = url.startsWith("http") ? url : sim.graphBase + url;
    const r = await fetch(full, {
      method,
      headers: { Authorization: `Bearer ${tok}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: r.status, body: parsed, headers: r.headers };
  };
  return {
    get: (url: string, headers?: Record<string, string>) => call("GET", url, undefined, headers),
    post: (url: string, body: unknown, headers?: Record<string, string>) => call("POST", url, body, headers),
    patch: (url: string, body: unknown) => call("PATCH", url, body),
    del: (url: string) => call("DELETE", url),
    /** Follows @odata.nextLink to the end; returns all values and the final page. */
    async all(url: string, headers?: Record<string, string>) {
      const values: any[] = [];
      let page = await call("GET", url, undefined, headers);
      let pages = 1;
      for (;;) {
        if (page.status !== 200) throw new Error(`${url}: ${page.status} ${JSON.stringify(page.body)}`);
        values.push(...page.body.value);
        const next = page.body["@odata.nextLink"];
        if (!next) break;
        page = await call("GET", next, undefined, headers);
        pages++;
      }
      return { values, last: page.body, pages };
    },
  };
}

export const FIXTURE = new URL("../../lib/graph-sim/fixtures/sample-tenant.json", import.meta.url).pathname;
