// The GraphClient facade: one object wiring endpoints, auth, the HTTP layer and the services.

import { DiscoveryApi } from "../discovery.ts";
import { ClientCredentialTokenSource, type Credentials, credentialsFromEnv, type TokenSource } from "./auth.ts";
import { type CloudName, type Endpoints, resolveEndpoints } from "./clouds.ts";
import { ContactsApi } from "./contacts.ts";
import { type GraphCounters, newCounters } from "./counters.ts";
import { DrivesApi } from "./drives.ts";
import { EventsApi } from "./events.ts";
import { type GraphLimits, GraphHttp, type GraphRequest, type GraphResponse } from "./http.ts";
import { MailApi } from "./mail.ts";
import { PAGE_SIZE_DELTA } from "./pager.ts";
import type { RetryPolicy } from "./retry.ts";

export interface GraphClientOptions extends Credentials {
  cloud?: CloudName | string;
  /** Graph root override (with or without /v1.0), e.g. a proxy or the simulator. */
  graphUrl?: string;
  /** Authority root override (the token endpoint is `${loginUrl}/${tenant}/oauth2/v2.0/token`). */
  loginUrl?: string;
  /** Environment for CORSO_M365_CLOUD / CORSO_GRAPH_URL / CORSO_LOGIN_URL (explicit options win). */
  env?: Record<string, string | undefined>;
  /** The <org> in `User-Agent: ISV|<org>|corso/<version>`. */
  userAgentOrg?: string;
  limits?: Partial<GraphLimits>;
  retry?: Partial<RetryPolicy>;
  /** Prefer IdType="ImmutableId" on Exchange calls (off by default: it changes item IDs). */
  immutableIds?: boolean;
  /** Delta page size (1..500, default 500). */
  deltaPageSize?: number;
  /** Use an existing token source instead of client credentials. */
  tokens?: TokenSource;
  fetchFn?: typeof fetch;
}

export interface GraphClient {
  readonly endpoints: Endpoints;
  readonly http: GraphHttp;
  readonly tokens: TokenSource;
  readonly mail: MailApi;
  readonly contacts: ContactsApi;
  readonly events: EventsApi;
  readonly drives: DrivesApi;
  readonly discovery: DiscoveryApi;
  /** Live counters (mutated as requests run). */
  readonly counters: GraphCounters;
  /** A copy of the counters, for logs and `--json` statistics. */
  stats(): GraphCounters;
  /** Raw request for anything the services do not cover. */
  request(req: GraphRequest): Promise<GraphResponse>;
}

export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const endpoints = resolveEndpoints({ cloud: opts.cloud, graphUrl: opts.graphUrl, loginUrl: opts.loginUrl, env: opts.env });
  const counters = newCounters();
  const ua = `ISV|${opts.userAgentOrg ?? "Alcion"}`;
  const tokens =
    opts.tokens ??
    new ClientCredentialTokenSource(
      {
        tenantId: opts.tenantId, clientId: opts.clientId, clientSecret: opts.clientSecret,
        certificatePath: opts.certificatePath, certificatePem: opts.certificatePem, certificatePassword: opts.certificatePassword,
      } satisfies Credentials,
      endpoints,
      { fetchFn: opts.fetchFn, onFetch: () => counters.tokenFetches++, userAgent: ua },
    );
  const http = new GraphHttp({
    endpoints, tokens, counters, limits: opts.limits, retry: opts.retry, userAgentOrg: opts.userAgentOrg,
    fetchFn: opts.fetchFn, immutableIds: opts.immutableIds,
  });
  const deltaPageSize = Math.min(PAGE_SIZE_DELTA, Math.max(1, Math.floor(opts.deltaPageSize ?? PAGE_SIZE_DELTA)));
  return {
    endpoints,
    http,
    tokens,
    counters,
    mail: new MailApi(http, deltaPageSize),
    contacts: new ContactsApi(http, deltaPageSize),
    events: new EventsApi(http, deltaPageSize),
    drives: new DrivesApi(http),
    discovery: new DiscoveryApi(http),
    stats: () => ({ ...counters }),
    request: (req) => http.request(req),
  };
}

/**
 * Client from the environment as Corso reads it: AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (+ _PASSWORD), CORSO_M365_CLOUD,
 * CORSO_GRAPH_URL, CORSO_LOGIN_URL. Explicit options (flags, config file) win.
 */
export function createGraphClientFromEnv(env: Record<string, string | undefined>, opts: Partial<GraphClientOptions> = {}): GraphClient {
  const c = credentialsFromEnv(env);
  return createGraphClient({
    ...opts,
    tenantId: opts.tenantId ?? c.tenantId ?? "",
    clientId: opts.clientId ?? c.clientId ?? "",
    clientSecret: opts.clientSecret ?? (opts.certificatePath || opts.certificatePem ? undefined : c.clientSecret),
    certificatePath: opts.certificatePath ?? (opts.clientSecret ? undefined : c.certificatePath),
    certificatePassword: opts.certificatePassword ?? c.certificatePassword,
    env: opts.env ?? env,
  });
}
