// Microsoft 365 (Azure app) credentials for service commands, value by value with Corso's
// precedence (corso-cli spec §7.4): `--azure-*` flag > `AZURE_*` env > `.corso.toml`
// (`azure_tenantid`, `azure_client_id`, `azure_secret`). A certificate may replace the secret
// (`AZURE_CLIENT_CERTIFICATE_PATH`, ours). The Graph and login roots come only from the documented
// endpoint settings (`CORSO_M365_CLOUD`, `CORSO_GRAPH_URL`, `CORSO_LOGIN_URL`; docs/GRAPH.md),
// which is also how tests and the demo reach the simulator. The Graph client is imported lazily.
import { UsageError } from "../errors.ts";
import { getString, type ConfigFile } from "./config-file.ts";

export interface AzureFlags {
  azureTenantId?: string;
  azureClientId?: string;
  azureClientSecret?: string;
}

export interface AzureCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  certificatePath: string;
  certificatePassword: string;
}

const first = (...vs: (string | undefined)[]): string => vs.find((v) => v !== undefined && v !== "") ?? "";

const WRAP = "retrieving account configuration details";

/** Resolves and validates the Azure app credentials, with Corso's messages for missing values. */
export function resolveAzureCredentials(flags: AzureFlags, file: ConfigFile | undefined, env: NodeJS.ProcessEnv): AzureCredentials {
  const fv = file?.exists ? file.values : {};
  const provider = getString(fv, "account_provider");
  if (provider !== "" && provider !== "M365") throw new UsageError(`${WRAP}: unsupported account provider: [${provider}]`);
  const c: AzureCredentials = {
    tenantId: first(flags.azureTenantId, env.AZURE_TENANT_ID, getString(fv, "azure_tenantid")),
    clientId: first(flags.azureClientId, env.AZURE_CLIENT_ID, getString(fv, "azure_client_id")),
    clientSecret: first(flags.azureClientSecret, env.AZURE_CLIENT_SECRET, getString(fv, "azure_secret")),
    certificatePath: first(env.AZURE_CLIENT_CERTIFICATE_PATH),
    certificatePassword: first(env.AZURE_CLIENT_CERTIFICATE_PASSWORD),
  };
  if (c.clientId === "") throw new UsageError(`${WRAP}: validating m365 credentials: missing required storage configuration: AZURE_CLIENT_ID`);
  if (c.clientSecret === "" && c.certificatePath === "") {
    throw new UsageError(`${WRAP}: validating m365 credentials: missing required storage configuration: AZURE_CLIENT_SECRET`);
  }
  if (c.tenantId === "") throw new UsageError(`${WRAP}: AZURE_TENANT_ID is required to perform this command`);
  return c;
}

/** A Graph client for the resolved credentials (endpoint overrides from the environment). */
export async function openGraph(creds: AzureCredentials, env: NodeJS.ProcessEnv) {
  const { createGraphClient } = await import("../m365/graph/index.ts");
  // Hidden benchmark/test hook: Exchange request budget per mailbox per 10 minutes (default: the
  // client's 9,600, under Graph's 10,000). Lets the benchmark back up very large simulated
  // mailboxes without waiting out Microsoft's window; never set it against real Microsoft 365.
  const budget = Number(env.CORSO_EXCHANGE_WINDOW_REQUESTS ?? "");
  const limits = Number.isFinite(budget) && budget > 0
    ? { exchange: { mode: "sliding-window" as const, capacity: Math.floor(budget), windowMs: 600_000, slideMs: 1000 } }
    : undefined;
  try {
    return createGraphClient({
      tenantId: creds.tenantId,
      clientId: creds.clientId,
      clientSecret: creds.clientSecret || undefined,
      certificatePath: creds.certificatePath || undefined,
      certificatePassword: creds.certificatePassword || undefined,
      env,
      limits,
    });
  } catch (e) {
    throw new UsageError(`${WRAP}: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}
