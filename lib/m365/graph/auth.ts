// OAuth2 client-credentials tokens for Graph (secret or certificate), cached and renewed
// before expiry with a single in-flight refresh shared by all callers.

import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../../errors.ts";
import { type Endpoints, tokenEndpoint } from "./clouds.ts";
import { GraphAuthError, oneLine } from "./errors.ts";
import { isRetryableNetworkError, parseRetryAfter, sleep } from "./retry.ts";

export interface Credentials {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** PEM file holding the private key and the certificate (AZURE_CLIENT_CERTIFICATE_PATH). */
  certificatePath?: string;
  /** PEM text (alternative to certificatePath). */
  certificatePem?: string;
  /** Passphrase of an encrypted private key (AZURE_CLIENT_CERTIFICATE_PASSWORD). */
  certificatePassword?: string;
}

export function credentialsFromEnv(env: Record<string, string | undefined>): Partial<Credentials> {
  return {
    tenantId: env.AZURE_TENANT_ID || undefined,
    clientId: env.AZURE_CLIENT_ID || undefined,
    clientSecret: env.AZURE_CLIENT_SECRET || undefined,
    certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH || undefined,
    certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD || undefined,
  };
}

export interface TokenSource {
  /** A valid bearer token (cached; refreshed ahead of expiry). */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (after a 401 InvalidAuthenticationToken). */
  invalidate(token: string): void;
  /** Number of token endpoint round trips that returned a token. */
  readonly fetches: number;
}

export interface CertificateCredential {
  key: KeyObject;
  /** base64url SHA-1 thumbprint of the DER certificate. */
  x5t: string;
}

function pemBlocks(pem: string, label: RegExp): string[] {
  const out: string[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    if (label.test(m[1])) out.push(m[0]);
  }
  return out;
}

export function loadCertificate(pem: string, passphrase?: string, where = "certificate"): CertificateCredential {
  const keyPem = pemBlocks(pem, /PRIVATE KEY$/)[0];
  const certPem = pemBlocks(pem, /^CERTIFICATE$/)[0];
  if (!keyPem) throw new UsageError(`${where}: no PRIVATE KEY block found (the PEM must hold the private key and the certificate)`);
  if (!certPem) throw new UsageError(`${where}: no CERTIFICATE block found (the PEM must hold the private key and the certificate)`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: "pem", passphrase });
  } catch (e) {
    throw new UsageError(`${where}: cannot read the private key: ${oneLine((e as Error).message)}`);
  }
  if (key.asymmetricKeyType !== "rsa") throw new UsageError(`${where}: the private key must be RSA (RS256), got ${key.asymmetricKeyType}`);
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const x5t = createHash("sha1").update(der).digest("base64url");
  return { key, x5t };
}

/** RS256 client assertion (RFC 7523) as Azure AD expects it: x5t header, aud = token endpoint. */
export function buildClientAssertion(cert: CertificateCredential, clientId: string, audience: string, nowSec = Math.floor(Date.now() / 1000)): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = enc({ alg: "RS256", typ: "JWT", x5t: cert.x5t });
  const payload = enc({ aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), nbf: nowSec, iat: nowSec, exp: nowSec + 600 });
  const data = `${header}.${payload}`;
  const sig = sign("sha256", Buffer.from(data), cert.key).toString("base64url");
  return `${data}.${sig}`;
}

interface Cached {
  token: string;
  expiresAt: number; // ms epoch
  refreshAt: number; // ms epoch
}

export interface TokenSourceOptions {
  fetchFn?: typeof fetch;
  clock?: () => number;
  /** Renew this long before expiry (capped at a fifth of the lifetime for short-lived tokens). */
  refreshMarginMs?: number;
  userAgent?: string;
  onFetch?: () => void;
}

export class ClientCredentialTokenSource implements TokenSource {
  private cached: Cached | undefined;
  private inflight: Promise<Cached> | undefined;
  private readonly cert: CertificateCredential | undefined;
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly clock: () => number;
  private readonly marginMs: number;
  fetches = 0;

  constructor(private readonly creds: Credentials, private readonly ep: Endpoints, private readonly opts: TokenSourceOptions = {}) {
    if (!creds.tenantId) throw new UsageError("AZURE_TENANT_ID is required to perform this command");
    if (!creds.clientId) throw new UsageError("missing required m365 configuration: AZURE_CLIENT_ID");
    if (creds.certificatePem || creds.certificatePath) {
      let pem = creds.certificatePem;
      if (!pem) {
        try {
          pem = readFileSync(creds.certificatePath!, "utf8");
        } catch (e) {
          throw new UsageError(`cannot read client certificate ${creds.certificatePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      this.cert = loadCertificate(pem, creds.certificatePassword, creds.certificatePath ?? "client certificate");
    } else if (!creds.clientSecret) {
      throw new UsageError("missing required m365 configuration: AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)");
    }
    this.endpoint = tokenEndpoint(ep, creds.tenantId);
    this.fetchFn = opts.fetchFn ?? fetch;
    this.clock = opts.clock ?? Date.now;
    this.marginMs = opts.refreshMarginMs ?? 5 * 60_000;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    const now = this.clock();
    const c = this.cached;
    if (c && now < c.refreshAt) return c.token;
    // Still valid but due for renewal: refresh in the background only if another caller has
    // not already started; callers keep using the old token until it truly expires.
    if (c && now < c.expiresAt - 1000) {
      void this.refresh().catch(() => {});
      return c.token;
    }
    return (await this.refresh(signal)).token;
  }

  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private refresh(signal?: AbortSignal): Promise<Cached> {
    if (!this.inflight) {
      this.inflight = this.fetchToken(signal).then(
        (c) => {
          this.cached = c;
          this.inflight = undefined;
          return c;
        },
        (e) => {
          this.inflight = undefined;
          throw e;
        },
      );
    }
    return this.inflight;
  }

  private formBody(): string {
    const p = new URLSearchParams({ client_id: this.creds.clientId, scope: this.ep.scope, grant_type: "client_credentials" });
    if (this.cert) {
      p.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      p.set("client_assertion", buildClientAssertion(this.cert, this.creds.clientId, this.endpoint, Math.floor(this.clock() / 1000)));
    } else {
      p.set("client_secret", this.creds.clientSecret!);
    }
    return p.toString();
  }

  private async fetchToken(signal?: AbortSignal): Promise<Cached> {
    const maxAttempts = 4;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(this.endpoint, {
          method: "POST",
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Accept: "application/json",
            ...(this.opts.userAgent ? { "User-Agent": this.opts.userAgent } : {}),
          },
          body: this.formBody(),
          signal: signal ?? AbortSignal.timeout(60_000),
        });
      } catch (e) {
        if (attempt < maxAttempts && isRetryableNetworkError(e)) {
          await sleep(500 * 2 ** attempt, signal);
          continue;
        }
        throw new GraphAuthError({
          status: 0,
          description: `cannot reach token endpoint ${this.endpoint}: ${oneLine((e as Error).message)}`,
          tenantId: this.creds.tenantId,
          clientId: this.creds.clientId,
          cause: e,
        });
      }
      const text = await res.text().catch(() => "");
      if ((res.status === 429 || res.status >= 500) && attempt < maxAttempts) {
        await sleep(parseRetryAfter(res.headers.get("retry-after")) ?? 500 * 2 ** attempt, signal);
        continue;
      }
      let j: Record<string, unknown> = {};
      try {
        j = JSON.parse(text);
      } catch {
        /* non-JSON error page */
      }
      if (!res.ok || typeof j.access_token !== "string") {
        const codes = Array.isArray(j.error_codes) && j.error_codes.length ? `AADSTS${j.error_codes[0]}` : undefined;
        throw new GraphAuthError({
          status: res.status,
          oauthError: typeof j.error === "string" ? j.error : undefined,
          description: typeof j.error_description === "string" ? j.error_description : text.slice(0, 200) || `HTTP ${res.status} from token endpoint`,
          aadsts: codes,
          tenantId: this.creds.tenantId,
          clientId: this.creds.clientId,
        });
      }
      this.fetches++;
      this.opts.onFetch?.();
      const lifetimeMs = Math.max(1, Number(j.expires_in ?? 3599)) * 1000;
      const now = this.clock();
      const margin = Math.min(this.marginMs, lifetimeMs / 5);
      return { token: j.access_token, expiresAt: now + lifetimeMs, refreshAt: now + lifetimeMs - margin };
    }
  }
}
