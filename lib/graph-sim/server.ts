// The HTTP front: authentication, aliasing (/users/{u}/drive, path-based drive addressing, /sites/{host}:/path),
// per-mailbox and per-app throttling, fault injection, latency, counters and the request log.

import { randomUUID } from "node:crypto";
import { CorsoError } from "../errors.ts";
import { checkBearer, Jwt, tokenEndpoint } from "./auth.ts";
import { CHUNK } from "./content.ts";
import { directoryRoutes } from "./directory.ts";
import { driveRoutes, finishDriveUpload, serveDownload, Uploads, type DriveEnv } from "./drive.ts";
import { attachmentTarget, exchangeRoutes, normalizeAttachment, type ExchangeEnv } from "./exchange.ts";
import { Faults } from "./faults.ts";
import { Router, sleep, type Reply, type Req } from "./http.ts";
import { Throttle } from "./limits.ts";
import { errorBody, GraphError, parsePrefer } from "./odata.ts";
import type { Store } from "./store.ts";
import type { FaultKind, Limits, SimCounters, SimRequest } from "./types.ts";

const EXCHANGE = new Set(["mailfolders", "messages", "contactfolders", "contacts", "calendars", "calendar", "events", "calendarview", "mailboxsettings", "calendargroups"]);
const LOG_CAP = 200_000;

export interface ServerConfig {
  store: Store;
  limits: Limits;
  tokenLifetimeSec: number;
  deltaTokenTtlSec: number;
  downloadUrlTtlSec: number;
  latency: { fixedMs: number; perKbMs: number };
  log: boolean;
}

export class SimServer {
  readonly jwt = new Jwt();
  readonly faults = new Faults();
  readonly throttle: Throttle;
  readonly uploads: Uploads;
  private readonly router = new Router();
  private readonly log: SimRequest[] = [];
  private readonly c: SimCounters = {
    requests: 0,
    byClass: {},
    byStatus: {},
    throttled: 0,
    throttledBy: { concurrency: 0, window: 0, resourceUnits: 0, fault: 0 },
    faults: {},
    bytesServed: 0,
    bytesReceived: 0,
    resourceUnits: 0,
    concurrency: {},
  };
  root = "";
  private exEnv: ExchangeEnv;
  private drEnv: DriveEnv;

  constructor(readonly cfg: ServerConfig) {
    this.throttle = new Throttle(cfg.limits);
    this.uploads = new Uploads(this.jwt);
    const self = this;
    this.exEnv = { store: cfg.store, deltaTtlSec: cfg.deltaTokenTtlSec, maxPage: cfg.limits.maxExchangePageSize, uploadUrl: (k, p) => this.uploads.url(self.root, k, p) };
    this.drEnv = {
      store: cfg.store,
      jwt: this.jwt,
      get root() {
        return self.root;
      },
      downloadTtlSec: cfg.downloadUrlTtlSec,
      deltaTtlSec: cfg.deltaTokenTtlSec,
      maxPage: cfg.limits.maxDrivePageSize,
      uploadUrl: (k, p) => this.uploads.url(self.root, k, p),
    };
    exchangeRoutes(this.router, this.exEnv);
    driveRoutes(this.router, this.drEnv);
    directoryRoutes(this.router, cfg.store);
  }

  counters(): SimCounters {
    const conc: SimCounters["concurrency"] = {};
    for (const [k, v] of this.throttle.inflight) conc[k] = { ...v };
    return {
      ...structuredClone({ ...this.c, concurrency: {} }),
      throttledBy: { ...this.throttle.stats, fault: this.c.throttledBy.fault },
      throttled: this.throttle.stats.concurrency + this.throttle.stats.window + this.throttle.stats.resourceUnits + this.c.throttledBy.fault,
      faults: { ...this.faults.injected },
      resourceUnits: this.throttle.ruTotal,
      concurrency: conc,
    };
  }

  requestLog(): SimRequest[] {
    return [...this.log];
  }

  async handle(req: Request, admin: (req: Request, url: URL) => Promise<Response>): Promise<Response> {
    const t0 = performance.now();
    const url = new URL(req.url);
    const requestId = randomUUID();
    const clientRequestId = req.headers.get("client-request-id") ?? requestId;
    const ctx = { cls: "other", mailbox: undefined as string | undefined, fault: undefined as string | undefined };
    let status = 500;
    try {
      const res = await this.dispatch(req, url, requestId, clientRequestId, ctx, admin);
      status = res.status;
      return res;
    } finally {
      this.c.requests++;
      this.c.byClass[ctx.cls] = (this.c.byClass[ctx.cls] ?? 0) + 1;
      this.c.byStatus[status] = (this.c.byStatus[status] ?? 0) + 1;
      const entry: SimRequest = { time: new Date().toISOString(), method: req.method, path: url.pathname, query: url.search, status, class: ctx.cls, mailbox: ctx.mailbox, fault: ctx.fault, ms: Math.round(performance.now() - t0), clientRequestId };
      if (this.log.length >= LOG_CAP) this.log.splice(0, LOG_CAP / 10);
      this.log.push(entry);
      if (this.cfg.log) console.error(`${entry.method} ${entry.path}${entry.query} → ${status}${entry.fault ? ` [fault ${entry.fault}]` : ""} ${entry.ms}ms`);
    }
  }

  private errorResponse(e: GraphError, requestId: string, clientRequestId: string): Response {
    const body = JSON.stringify(errorBody(e, requestId, clientRequestId));
    return new Response(body, { status: e.status, headers: { "Content-Type": "application/json", "request-id": requestId, "client-request-id": clientRequestId, ...e.headers } });
  }

  private async dispatch(
    req: Request,
    url: URL,
    requestId: string,
    clientRequestId: string,
    ctx: { cls: string; mailbox?: string; fault?: string },
    admin: (req: Request, url: URL) => Promise<Response>,
  ): Promise<Response> {
    const s = this.cfg.store;
    const p = url.pathname;
    const pickFault = (applies: (k: FaultKind) => boolean) => {
      const f = this.faults.pick(req.method, p, applies);
      if (f) ctx.fault = f.kind;
      return f;
    };
    const hdr = { "request-id": requestId, "client-request-id": clientRequestId };
    try {
      if (p.startsWith("/_sim/")) {
        ctx.cls = "admin";
        return await admin(req, url);
      }
      // ---- identity platform
      const tm = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p);
      if (tm) {
        ctx.cls = "token";
        const form = new URLSearchParams(req.method === "POST" ? await req.text() : "");
        const app = { tenantId: s.tenantId, clientId: s.clientId, clientSecret: s.clientSecret, certificates: s.certificates };
        const r = tokenEndpoint(req.method, decodeURIComponent(tm[1]!), form, app, this.jwt, this.cfg.tokenLifetimeSec, s.domain);
        return Response.json(r.body, { status: r.status, headers: { "Cache-Control": "no-store, no-cache", Pragma: "no-cache", ...hdr } });
      }
      const oid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(p);
      if (oid) {
        ctx.cls = "token";
        const t = s.tenantId;
        return Response.json({ token_endpoint: `${this.root}/${t}/oauth2/v2.0/token`, issuer: `${this.root}/${t}/v2.0`, authorization_endpoint: `${this.root}/${t}/oauth2/v2.0/authorize`, jwks_uri: `${this.root}/${t}/discovery/v2.0/keys`, token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"], tenant_region_scope: "NA" });
      }
      if (p === "/common/discovery/instance") {
        ctx.cls = "token";
        return Response.json({ tenant_discovery_endpoint: `${this.root}/${s.tenantId}/v2.0/.well-known/openid-configuration`, "api-version": "1.1", metadata: [] });
      }
      // ---- pre-authenticated download URLs
      if (p.endsWith("/_layouts/15/download.aspx")) {
        ctx.cls = "download";
        this.throttle.chargeRU(1);
        const f = pickFault((k) => ["500", "502", "503", "504", "throttle", "malware", "expiredUrl", "reset", "slowBody"].includes(k));
        const early = f && this.earlyFault(f.kind, f.retryAfterSec);
        if (early) return this.errorResponse(early, requestId, clientRequestId);
        const reply = serveDownload(this.drEnv, req, url, f?.kind === "expiredUrl", f?.kind === "malware");
        return await this.render(reply, req, hdr, f);
      }
      // ---- upload sessions
      const um = /^\/_upload\/(drive|attachment)\/([^/]+)$/.exec(p);
      if (um) {
        ctx.cls = "upload";
        const claims = this.uploads.claims(url);
        if (req.method === "DELETE") {
          this.uploads.cancel(um[2]!);
          return new Response(null, { status: 204, headers: hdr });
        }
        if (req.method !== "PUT") throw new GraphError(405, "BadRequest", "Upload URLs accept PUT and DELETE only.");
        const f = pickFault((k) => ["500", "502", "503", "504", "throttle"].includes(k));
        const early = f && this.earlyFault(f.kind, f.retryAfterSec);
        if (early) return this.errorResponse(early, requestId, clientRequestId);
        const len = Number(req.headers.get("content-length") ?? 0);
        this.c.bytesReceived += len;
        const res = await this.uploads.chunk(um[2]!, req);
        if ("next" in res) {
          return Response.json({ expirationDateTime: new Date(Number(claims.exp) * 1000).toISOString(), nextExpectedRanges: [res.next] }, { status: um[1] === "drive" ? 202 : 200, headers: hdr });
        }
        if (um[1] === "drive") return await this.render(finishDriveUpload(this.drEnv, claims, res.done), req, hdr, undefined);
        const owner = s.user(String(claims.user));
        if (!owner) throw new GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        const kind = claims.kind === "events" ? "calendar" : "mail";
        const target = attachmentTarget(this.exEnv, owner, kind, String(claims.item));
        const att = normalizeAttachment(this.exEnv, { "@odata.type": "#microsoft.graph.fileAttachment", name: claims.name, contentType: claims.contentType, isInline: claims.isInline, contentId: claims.contentId, contentBytes: Buffer.from(res.done).toString("base64"), size: res.done.length }, target.list.length);
        target.mutate((list) => list.push(att));
        return new Response(null, { status: 201, headers: { ...hdr, Location: `${claims.base}/users('${claims.user}')/${claims.kind}('${claims.item}')/attachments('${att.id}')` } });
      }
      // ---- Graph
      const vm = /^\/(v1\.0|beta)(\/.*)?$/.exec(p);
      if (!vm) throw new GraphError(400, "BadRequest", `Invalid version: ${p.split("/")[1] ?? ""}`);
      checkBearer(req.headers.get("authorization"), this.jwt, s.tenantId);
      const version = vm[1] as "v1.0" | "beta";
      let path: string;
      try {
        path = decodeURIComponent(vm[2] ?? "/");
      } catch {
        throw new GraphError(400, "BadRequest", "The request URL is not valid.");
      }
      const rw = this.rewrite(path);
      const segs = rw.path.split("/").filter(Boolean).flatMap(keySyntax);
      const head = segs[0]?.toLowerCase() ?? "";
      ctx.cls = head === "users" ? (segs[2] && EXCHANGE.has(segs[2].toLowerCase()) ? exchangeClass(segs[2].toLowerCase()) : "users") : head === "drives" ? "drive" : ["sites", "groups", "teams"].includes(head) ? head : "other";
      let release: (() => void) | undefined;
      if (head === "users" && segs[2] && EXCHANGE.has(segs[2].toLowerCase())) {
        const u = s.user(segs[1]!);
        ctx.mailbox = u?.id ?? segs[1];
        release = this.throttle.enterMailbox(ctx.mailbox!);
      }
      try {
        if (ctx.cls === "drive" || ctx.cls === "sites" || ctx.cls === "groups") this.throttle.chargeRU(ruCost(req.method, segs, url));
        const isItemGet = req.method === "GET" && ((head === "users" && segs.length >= 4 && /^(messages|contacts|events)$/i.test(segs[segs.length - 2]!)) || (head === "drives" && segs.length === 4 && segs[2]!.toLowerCase() === "items"));
        const isMessageGet = isItemGet && head === "users" && segs[segs.length - 2]!.toLowerCase() === "messages";
        const f = pickFault((k) => {
          if (["500", "502", "503", "504", "throttle", "reset", "slowBody"].includes(k)) return true;
          if (k === "notFound") return isItemGet;
          if (k === "corruptData") return isMessageGet;
          if (k === "garbageJson") return req.method === "GET";
          return false;
        });
        const early = f && this.earlyFault(f.kind, f.retryAfterSec, head === "drives");
        if (early) return this.errorResponse(early, requestId, clientRequestId);
        const m = this.router.match(req.method, segs);
        if (!m) throw new GraphError(400, "BadRequest", `Resource not found for the segment '${segs[segs.length - 1] ?? ""}'.`);
        if (m === "method") throw new GraphError(405, "Request_BadRequest", `The HTTP method '${req.method}' is not allowed for this resource.`);
        let bodyCache: unknown;
        const r: Req = {
          method: req.method,
          path: rw.path,
          segs,
          q: url.searchParams,
          headers: req.headers,
          version,
          base: `${this.root}/${version}`,
          root: this.root,
          requestId,
          clientRequestId,
          prefer: parsePrefer(req.headers.get("prefer")),
          raw: req,
          params: m.params,
          newChild: rw.newChild,
          json: async <T,>() => {
            if (bodyCache !== undefined) return bodyCache as T;
            const text = await req.text();
            this.c.bytesReceived += text.length;
            if (!text) return (bodyCache = {}) as T;
            try {
              return (bodyCache = JSON.parse(text)) as T;
            } catch {
              throw new GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
            }
          },
        };
        const reply = await m.h(r);
        const applied: string[] = [];
        if (r.prefer.maxPageSize && reply.json && typeof reply.json === "object" && "value" in (reply.json as object)) applied.push(`odata.maxpagesize=${r.prefer.maxPageSize}`);
        if (r.prefer.immutableId && head === "users") applied.push('IdType="ImmutableId"');
        if (applied.length && reply.status < 300) (reply.headers ??= {})["Preference-Applied"] = applied.join(",");
        return await this.render(reply, req, hdr, f);
      } finally {
        release?.();
      }
    } catch (e) {
      if (e instanceof GraphError) return this.errorResponse(e, requestId, clientRequestId);
      if (e instanceof CorsoError) return this.errorResponse(new GraphError(400, "BadRequest", e.message), requestId, clientRequestId);
      console.error("graph-sim internal error:", e);
      return this.errorResponse(new GraphError(500, "generalException", "An internal server error occurred."), requestId, clientRequestId);
    }
  }

  private earlyFault(kind: FaultKind, retryAfter?: number, drive = false): GraphError | undefined {
    switch (kind) {
      case "500":
        return new GraphError(500, "generalException", "General exception while processing.");
      case "502":
        return new GraphError(502, "BadGateway", "Bad gateway.");
      case "503":
        return new GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable.", { "Retry-After": "1" });
      case "504":
        return new GraphError(504, "UnknownError", "Gateway timeout.");
      case "throttle":
        this.c.throttledBy.fault++;
        return drive
          ? new GraphError(429, "activityLimitReached", "The request has been throttled", { "Retry-After": String(retryAfter ?? 1) }, "throttledRequest")
          : new GraphError(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", { "Retry-After": String(retryAfter ?? 1) });
      case "notFound":
        return new GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.");
      case "corruptData":
        return new GraphError(500, "ErrorCorruptData", "Data is corrupt., Invalid global object ID: some extra detail.");
      default:
        return undefined;
    }
  }

  /** Serialises a reply with latency and body faults (reset, slowBody, garbageJson). */
  private async render(reply: Reply, req: Request, hdr: Record<string, string>, fault: { kind: FaultKind; afterBytes?: number; delayMs?: number } | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...hdr, ...(reply.headers ?? {}) };
    const lat = this.cfg.latency;
    if (reply.stream) {
      const { src, start, end } = reply.stream;
      headers["Content-Length"] = String(end - start);
      await sleep(lat.fixedMs);
      if (req.method === "HEAD") return new Response(null, { status: reply.status, headers });
      let pos = start;
      let sent = 0;
      const cutAt = fault?.kind === "reset" ? (fault.afterBytes ?? 64) : Infinity;
      const slow = fault?.kind === "slowBody" ? (fault.delayMs ?? 50) : 0;
      const self = this;
      const body = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          if (pos >= end) return ctrl.close();
          const n = Math.min(CHUNK, end - pos, Math.max(1, cutAt - sent));
          if (sent >= cutAt) {
            // Let the bytes already queued reach the socket first, so the client sees a torn body, not a 500.
            await sleep(10);
            return ctrl.error(new Error("connection reset (simulated)"));
          }
          const chunk = src.read(pos, pos + n);
          await sleep(slow + (lat.perKbMs * n) / 1024);
          pos += n;
          sent += n;
          self.c.bytesServed += n;
          ctrl.enqueue(chunk);
        },
      });
      return new Response(body, { status: reply.status, headers });
    }
    let bytes: Uint8Array | undefined = reply.bytes;
    if (reply.json !== undefined) {
      headers["Content-Type"] ??= "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
      let text = JSON.stringify(reply.json);
      if (fault?.kind === "garbageJson" && reply.status < 300) text = text.slice(0, Math.max(1, Math.floor(text.length / 2))) + "\u0000{garbage";
      bytes = new TextEncoder().encode(text);
    }
    await sleep(lat.fixedMs + (lat.perKbMs * (bytes?.length ?? 0)) / 1024);
    if (!bytes) return new Response(null, { status: reply.status, headers });
    headers["Content-Length"] = String(bytes.length);
    if (fault?.kind === "reset" || fault?.kind === "slowBody") {
      const cut = fault.kind === "reset" ? Math.min(fault.afterBytes ?? 64, Math.max(0, bytes.length - 1)) : bytes.length;
      const step = fault.kind === "slowBody" ? Math.max(1, Math.ceil(bytes.length / 16)) : cut;
      const delay = fault.kind === "slowBody" ? (fault.delayMs ?? 50) : 0;
      let pos = 0;
      const self = this;
      const b = bytes;
      const body = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          if (pos >= cut) {
            if (cut < b.length) {
              await sleep(10);
              ctrl.error(new Error("connection reset (simulated)"));
            } else ctrl.close();
            return;
          }
          await sleep(delay);
          const n = Math.min(step, cut - pos);
          ctrl.enqueue(b.subarray(pos, pos + n));
          self.c.bytesServed += n;
          pos += n;
        },
      });
      return new Response(body, { status: reply.status, headers });
    }
    this.c.bytesServed += bytes.length;
    return new Response(req.method === "HEAD" ? null : bytes, { status: reply.status, headers });
  }

  /** Path aliases Graph accepts. */
  private rewrite(path: string): { path: string; newChild?: { parentId: string; name: string } } {
    const s = this.cfg.store;
    if (/^\/me(\/|$)/i.test(path)) throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    let m = /^\/users\/([^/]+)\/drive(\/.*)?$/i.exec(path);
    if (m) {
      const u = s.user(m[1]!);
      if (!u) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`);
      if (!u.driveId) throw new GraphError(404, "ResourceNotFound", "User's mysite not found.");
      path = `/drives/${u.driveId}${m[2] ?? ""}`;
    }
    m = /^\/(groups|sites)\/([^/:]+)\/drive(\/.*)?$/i.exec(path);
    if (m) {
      const site = m[1]!.toLowerCase() === "groups" ? s.sites.get(s.groups.get(m[2]!)?.siteId ?? "") : (s.sites.get(m[2]!) ?? (m[2] === "root" ? [...s.sites.values()].find((x) => x.path === "/" && x.host === s.spHost) : undefined));
      if (!site || !site.drives.length) throw new GraphError(404, "itemNotFound", "Requested site could not be found");
      path = `/drives/${site.drives[0]}${m[3] ?? ""}`;
    }
    m = /^\/groups\/([^/]+)\/sites\/root(\/.*)$/i.exec(path);
    if (m) {
      const g = s.groups.get(m[1]!);
      if (g) path = `/sites/${g.siteId}${m[2]}`;
    }
    m = /^\/sites\/([^/:]+):(\/[^:]*)?(?::(\/.*))?$/.exec(path);
    if (m && m[1]!.includes(".")) {
      const site = s.siteByPath(m[1]!, m[2] ?? "/");
      if (!site) throw new GraphError(404, "itemNotFound", "Requested site could not be found");
      path = `/sites/${site.id}${m[3] ?? ""}`;
    }
    m = /^\/drives\/([^/]+)\/root(\/.*|:.*)?$/i.exec(path);
    if (m) path = `/drives/${m[1]}/items/root${m[2] ?? ""}`;
    m = /^\/drives\/([^/]+)\/items\/([^/:]+):([^:]*)(?::(\/.*)?)?$/.exec(path);
    if (m) {
      const d = s.drives.get(m[1]!);
      if (!d) throw new GraphError(404, "itemNotFound", "The resource could not be found.");
      const base = m[2]!.toLowerCase() === "root" ? d.items.get(d.rootId) : d.items.get(m[2]!);
      if (!base || base.deleted) throw new GraphError(404, "itemNotFound", "The resource could not be found.");
      const rel = m[3]!.replace(/^\/+|\/+$/g, "");
      const rest = m[4] ?? "";
      const walk = (from: typeof base, parts: string[]) => {
        let cur: typeof base | undefined = from;
        for (const seg of parts) {
          cur = cur?.children.map((c) => d.items.get(c)!).find((c) => !c.deleted && c.name.toLowerCase() === seg.toLowerCase());
        }
        return cur;
      };
      const parts = rel ? rel.split("/") : [];
      const hit = walk(base, parts);
      if (hit) return { path: `/drives/${d.id}/items/${hit.id}${rest}` };
      if (/^\/(content|createUploadSession)$/i.test(rest) && parts.length) {
        const parent = walk(base, parts.slice(0, -1));
        if (parent && parent.folder) return { path: `/drives/${d.id}/items/${parent.id}${rest}`, newChild: { parentId: parent.id, name: parts[parts.length - 1]! } };
      }
      throw new GraphError(404, "itemNotFound", "The resource could not be found.");
    }
    return { path };
  }
}

function keySyntax(seg: string): string[] {
  const m = /^([A-Za-z.]+)\('(.*)'\)$/.exec(seg);
  return m ? [m[1]!, m[2]!.replace(/''/g, "'")] : [seg];
}

function exchangeClass(seg: string): string {
  if (seg === "contactfolders" || seg === "contacts") return "contacts";
  if (seg.startsWith("calendar") || seg === "events") return "events";
  return "mail";
}

/** SharePoint resource-unit cost of a call (Microsoft's published table, as Corso models it). */
function ruCost(method: string, segs: string[], url: URL): number {
  const last = segs[segs.length - 1]?.toLowerCase() ?? "";
  if (last === "invite" || last === "createlink" || (segs[segs.length - 2]?.toLowerCase() === "permissions" && method === "DELETE")) return 5;
  if (last === "permissions") return 5;
  if (method !== "GET") return 2;
  if (last === "delta" && !url.searchParams.get("token")) return 2;
  return 1;
}
