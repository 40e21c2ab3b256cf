// National cloud endpoints and the explicit overrides used to reach a Graph-compatible server
// (a proxy, or the simulator in tests). Pure: no I/O, env passed in.

import { UsageError } from "../../errors.ts";

export type CloudName = "global" | "usgov" | "dod" | "china";

export interface CloudInfo {
  name: CloudName;
  /** Graph root without version, e.g. https://graph.microsoft.com */
  graphRoot: string;
  /** Azure AD authority root, e.g. https://login.microsoftonline.com */
  loginRoot: string;
}

export const CLOUDS: Readonly<Record<CloudName, CloudInfo>> = {
  global: { name: "global", graphRoot: "https://graph.microsoft.com", loginRoot: "https://login.microsoftonline.com" },
  // GCC High
  usgov: { name: "usgov", graphRoot: "https://graph.microsoft.us", loginRoot: "https://login.microsoftonline.us" },
  dod: { name: "dod", graphRoot: "https://dod-graph.microsoft.us", loginRoot: "https://login.microsoftonline.us" },
  // 21Vianet
  china: { name: "china", graphRoot: "https://microsoftgraph.chinacloudapi.cn", loginRoot: "https://login.chinacloudapi.cn" },
};

const ALIASES: Record<string, CloudName> = {
  global: "global", public: "global", commercial: "global", azurepubliccloud: "global", gcc: "global",
  usgov: "usgov", "gcc-high": "usgov", gcchigh: "usgov", usgovernment: "usgov", azureusgovernment: "usgov",
  dod: "dod", usgovdod: "dod", "gcc-dod": "dod",
  china: "china", azurechinacloud: "china", "21vianet": "china",
};

export function parseCloudName(raw: string): CloudName {
  const c = ALIASES[raw.trim().toLowerCase()];
  if (!c) throw new UsageError(`unknown Microsoft 365 cloud "${raw}": use global, usgov, dod or china`);
  return c;
}

export interface Endpoints {
  cloud: CloudName;
  /** Graph root without version (no trailing slash). */
  graphRoot: string;
  /** `${graphRoot}/v1.0` */
  graphV1: string;
  /** `${graphRoot}/beta` */
  graphBeta: string;
  /** Authority root (no trailing slash); the token endpoint is `${loginRoot}/${tenant}/oauth2/v2.0/token`. */
  loginRoot: string;
  /** OAuth scope: always the cloud's Graph resource, even when the URL is overridden (a proxy still needs a real token audience). */
  scope: string;
}

export interface EndpointOptions {
  cloud?: CloudName | string;
  graphUrl?: string;
  loginUrl?: string;
  /** Environment to read CORSO_M365_CLOUD / CORSO_GRAPH_URL / CORSO_LOGIN_URL from (explicit options win). */
  env?: Record<string, string | undefined>;
}

function normaliseUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`invalid ${what} "${raw}": expected an absolute http(s) URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new UsageError(`invalid ${what} "${raw}": expected an absolute http(s) URL`);
  }
  return (u.origin + u.pathname).replace(/\/+$/, "");
}

/** Strips a trailing /v1.0 or /beta so both "https://host" and "https://host/v1.0" are accepted. */
function graphRootOf(url: string): string {
  return url.replace(/\/(v1\.0|beta)$/i, "");
}

export function resolveEndpoints(opts: EndpointOptions = {}): Endpoints {
  const env = opts.env ?? {};
  const cloudRaw = opts.cloud ?? env.CORSO_M365_CLOUD;
  const cloud = cloudRaw ? parseCloudName(cloudRaw) : "global";
  const info = CLOUDS[cloud];
  const graphUrl = opts.graphUrl ?? env.CORSO_GRAPH_URL;
  const loginUrl = opts.loginUrl ?? env.CORSO_LOGIN_URL;
  const graphRoot = graphUrl ? graphRootOf(normaliseUrl(graphUrl, "Graph URL")) : info.graphRoot;
  const loginRoot = loginUrl ? normaliseUrl(loginUrl, "login URL") : info.loginRoot;
  return {
    cloud,
    graphRoot,
    graphV1: `${graphRoot}/v1.0`,
    graphBeta: `${graphRoot}/beta`,
    loginRoot,
    scope: `${info.graphRoot}/.default`,
  };
}

export function tokenEndpoint(ep: Endpoints, tenantId: string): string {
  return `${ep.loginRoot}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}
