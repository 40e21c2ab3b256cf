// Request context, reply shape and a tiny case-insensitive path router shared by the route modules.

import type { ContentSource } from "./content.ts";
import { GraphError, parsePrefer } from "./odata.ts";

export interface Req {
  method: string;
  /** Path below the version prefix, e.g. "/users/x/mailFolders". */
  path: string;
  segs: string[];
  q: URLSearchParams;
  headers: Headers;
  version: "v1.0" | "beta" | "";
  /** Base for links: http://127.0.0.1:PORT/v1.0 (or /beta). */
  base: string;
  root: string;
  requestId: string;
  clientRequestId: string;
  prefer: ReturnType<typeof parsePrefer>;
  raw: Request;
  params: Record<string, string>;
  /** Set by aliasing rules (e.g. /drives/{d}/root:/path:/content for a not-yet-existing file). */
  newChild?: { parentId: string; name: string };
  json<T = Record<string, unknown>>(): Promise<T>;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  bytes?: Uint8Array;
  stream?: { src: ContentSource; start: number; end: number };
}

export type Handler = (r: Req) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pat: string[];
  h: Handler;
}

export class Router {
  readonly routes: Route[] = [];
  on(method: string, pattern: string, h: Handler): this {
    this.routes.push({ method, pat: pattern.split("/").filter(Boolean), h });
    return this;
  }
  match(method: string, segs: string[]): { h: Handler; params: Record<string, string> } | "method" | undefined {
    let methodMismatch = false;
    for (const r of this.routes) {
      if (r.pat.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.pat[i]!;
        if (p.startsWith(":")) params[p.slice(1)] = segs[i]!;
        else if (p.toLowerCase() !== segs[i]!.toLowerCase()) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (r.method !== method && !(r.method === "GET" && method === "HEAD")) {
        methodMismatch = true;
        continue;
      }
      return { h: r.h, params };
    }
    return methodMismatch ? "method" : undefined;
  }
}

export function ok(json: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, json, headers };
}

export function noContent(): Reply {
  return { status: 204 };
}

export function notFound(code = "ErrorItemNotFound", message = "The specified object was not found in the store."): never {
  throw new GraphError(404, code, message);
}

export function badRequest(message: string, code = "BadRequest"): never {
  throw new GraphError(400, code, message);
}

/** Splits a path into decoded segments; `name('key')` OData key syntax becomes `name/key`. */
export function splitPath(p: string): string[] {
  const out: string[] = [];
  for (const raw of p.split("/")) {
    if (!raw) continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      s = raw;
    }
    const m = /^([A-Za-z.]+)\('(.*)'\)$/.exec(s) ?? /^([A-Za-z.]+)\((.*)\)$/.exec(s);
    if (m) out.push(m[1]!, m[2]!.replace(/''/g, "'"));
    else out.push(s);
  }
  return out;
}

export function pageSize(r: Req, def: number, max: number): number {
  const top = r.q.get("$top") ?? r.q.get("top");
  let n = r.prefer.maxPageSize ?? (top ? Number(top) : def);
  if (!Number.isFinite(n) || n <= 0) n = def;
  return Math.min(n, max);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((res) => setTimeout(res, ms)) : Promise.resolve();
}
