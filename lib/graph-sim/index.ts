// Microsoft Graph simulator: a real HTTP server (Bun.serve) speaking Graph v1.0/beta shapes, the identity
// platform token endpoint, pre-authenticated download URLs and upload sessions. See docs/SIMULATOR.md.

import { CorsoError, UsageError } from "../errors.ts";
import { generateTenant, loadFixture } from "./fixture.ts";
import { SimServer } from "./server.ts";
import type { DriveRec, Store } from "./store.ts";
import { DEFAULT_LIMITS, type FaultConfig, type GraphObject, type MutateOp, type MutateResult, type SimCounters, type SimOptions, type SimRequest, type TenantFixture } from "./types.ts";

export * from "./types.ts";

/** In-process admin handle on the simulated tenant. */
export interface SimTenant {
  readonly tenantId: string;
  readonly domain: string;
  /** Apply one admin operation (same shape as POST /_sim/mutate). */
  mutate(op: MutateOp): MutateResult;
  add(op: Extract<MutateOp, { op: "add" }>): string;
  update(id: string, patch?: GraphObject, content?: { text?: string; base64?: string; size?: number; seed?: number }): void;
  delete(id: string): void;
  move(id: string, to: string): void;
  users(): { id: string; userPrincipalName: string; displayName: string; mail: string; driveId?: string; mailbox: boolean }[];
  /** Folder id by well-known name ("inbox", "contacts", "calendar") or display-name path ("Inbox/Folder 1"). */
  folderId(user: string, kind: "mail" | "contact" | "calendar", nameOrPath: string): string | undefined;
  /** Folders of a user (flattened, with display-name paths). */
  folders(user: string, kind: "mail" | "contact" | "calendar"): { id: string; displayName: string; parentFolderId: string | null; path: string; itemCount: number }[];
  /** First `limit` item ids in a folder (stable order; never enumerates more than needed). */
  itemIds(folderId: string, limit?: number): string[];
  /** Current Graph JSON of an Exchange item, or undefined. */
  item(id: string): GraphObject | undefined;
  driveId(userOrGroupOrSite: string): string | undefined;
  /** Drive items (not deleted) with paths relative to the root. */
  driveItems(driveId: string): { id: string; name: string; path: string; folder: boolean; size: number }[];
  /** Full content of a drive file (for checking restores). */
  fileContent(itemId: string): Uint8Array | undefined;
  /** Bytes [start,end) of a drive file. */
  fileRange(itemId: string, start: number, end: number): Uint8Array | undefined;
}

export interface Simulator {
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  graphBase: string;
  betaBase: string;
  loginBase: string;
  tenant: SimTenant;
  setFaults(f: FaultConfig): void;
  counters(): SimCounters;
  requestLog(): SimRequest[];
  stop(): Promise<void>;
}

function tenantHandle(s: Store): SimTenant {
  const userOr = (u: string) => {
    const rec = s.user(u);
    if (!rec) throw new UsageError(`user ${u} not found`);
    return rec;
  };
  const t: SimTenant = {
    tenantId: s.tenantId,
    domain: s.domain,
    mutate: (op) => s.mutate(op),
    add: (op) => s.mutate(op).id,
    update: (id, patch, content) => void s.mutate({ op: "update", id, patch, content }),
    delete: (id) => void s.mutate({ op: "delete", id }),
    move: (id, to) => void s.mutate({ op: "move", id, to }),
    users: () => [...s.users.values()].map((u) => ({ id: u.id, userPrincipalName: u.upn, displayName: u.displayName, mail: u.mail, driveId: u.driveId, mailbox: u.mailbox })),
    folderId(user, kind, nameOrPath) {
      const u = userOr(user);
      const direct = s.container(u.id, kind, nameOrPath);
      if (direct) return direct.id;
      return t.folders(user, kind).find((f) => f.path.toLowerCase() === nameOrPath.toLowerCase())?.id;
    },
    folders(user, kind) {
      const u = userOr(user);
      const root = kind === "mail" ? u.mailRoot : kind === "contact" ? u.contactRoot : u.calendarRoot;
      const out: ReturnType<SimTenant["folders"]> = [];
      const walk = (id: string) => {
        for (const ch of s.containers.get(id)!.children) {
          const c = s.containers.get(ch)!;
          if (c.deleted) continue;
          out.push({ id: c.id, displayName: c.displayName, parentFolderId: c.parentId, path: s.folderPath(c).join("/"), itemCount: s.itemCount(c) });
          walk(ch);
        }
      };
      walk(root);
      return out;
    },
    itemIds(folderId, limit = 1000) {
      const c = s.containers.get(folderId);
      if (!c || c.deleted) throw new UsageError(`folder ${folderId} not found`);
      return s.pageItems(c, { v: 0, o: 0 }, limit).items.map((o) => o.id as string);
    },
    item(id) {
      const f = s.findItem(id);
      return f ? structuredClone(s.itemObject(f)) : undefined;
    },
    driveId(x) {
      const u = s.user(x);
      if (u) return u.driveId;
      const g = s.groups.get(x);
      const site = s.sites.get(g ? g.siteId : x);
      return site?.drives[0];
    },
    driveItems(driveId) {
      const d = s.drives.get(driveId);
      if (!d) throw new UsageError(`drive ${driveId} not found`);
      return s
        .driveOrder(d)
        .filter((id) => id !== d.rootId)
        .map((id) => {
          const it = d.items.get(id)!;
          return { id, name: it.name, path: s.driveItemPath(d, it).join("/"), folder: it.folder, size: s.driveItemSize(d, it) };
        });
    },
    fileContent(itemId) {
      const d = s.driveOfItem(itemId);
      const it = d?.items.get(itemId);
      if (!d || !it || it.deleted || it.folder) return undefined;
      const src = s.driveContent(it);
      return src.read(0, src.size);
    },
    fileRange(itemId, start, end) {
      const d: DriveRec | undefined = s.driveOfItem(itemId);
      const it = d?.items.get(itemId);
      if (!it || it.deleted || it.folder) return undefined;
      return s.driveContent(it).read(start, end);
    },
  };
  return t;
}

export async function startSimulator(opts: SimOptions = {}): Promise<Simulator> {
  const store = opts.fixture ? loadFixture(opts.fixture as TenantFixture) : generateTenant(opts);
  const limits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  const sim = new SimServer({
    store,
    limits,
    tokenLifetimeSec: opts.tokenLifetimeSec ?? 3599,
    deltaTokenTtlSec: opts.deltaTokenTtlSec ?? 7 * 24 * 3600,
    downloadUrlTtlSec: opts.downloadUrlTtlSec ?? 3600,
    latency: opts.latency ?? { fixedMs: 0, perKbMs: 0 },
    log: opts.log ?? false,
  });
  const tenant = tenantHandle(store);

  const admin = async (req: Request, url: URL): Promise<Response> => {
    const p = url.pathname;
    try {
      if (req.method === "GET" && p === "/_sim/counters") return Response.json(sim.counters());
      if (req.method === "GET" && p === "/_sim/log") return Response.json(sim.requestLog());
      if (req.method === "GET" && p === "/_sim/info")
        return Response.json({ url: sim.root, tenantId: store.tenantId, clientId: store.clientId, clientSecret: store.clientSecret, users: tenant.users() });
      if (req.method === "POST" && p === "/_sim/faults") {
        sim.faults.set((await req.json()) as FaultConfig);
        return Response.json({ ok: true });
      }
      if (req.method === "POST" && p === "/_sim/mutate") {
        const body = (await req.json()) as MutateOp | MutateOp[];
        const out = (Array.isArray(body) ? body : [body]).map((op) => store.mutate(op));
        return Response.json(Array.isArray(body) ? out : out[0]);
      }
      return Response.json({ error: { code: "NotFound", message: `unknown admin endpoint ${req.method} ${p}` } }, { status: 404 });
    } catch (e) {
      const msg = e instanceof CorsoError ? e.message : e instanceof SyntaxError ? "request body is not valid JSON" : String(e);
      return Response.json({ error: { code: "BadRequest", message: msg } }, { status: 400 });
    }
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    idleTimeout: 0,
    fetch: (req) => sim.handle(req, admin),
    error: (e) => new Response(JSON.stringify({ error: { code: "generalException", message: String(e) } }), { status: 500 }),
  });
  const url = `http://127.0.0.1:${server.port}`;
  sim.root = url;
  return {
    url,
    tenantId: store.tenantId,
    clientId: store.clientId,
    clientSecret: store.clientSecret,
    graphBase: `${url}/v1.0`,
    betaBase: `${url}/beta`,
    loginBase: url,
    tenant,
    setFaults: (f) => sim.faults.set(f),
    counters: () => sim.counters(),
    requestLog: () => sim.requestLog(),
    stop: async () => {
      await server.stop(true);
    },
  };
}
