// Microsoft identity platform token endpoint (client credentials) and bearer-token checks.
// Access tokens and download-URL `tempauth` values are real 3-segment JWTs so clients can read `exp`.

import { createHmac, createPublicKey, createVerify, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from "node:crypto";
import { GraphError } from "./odata.ts";

export class Jwt {
  private readonly key = randomBytes(32);

  sign(claims: Record<string, unknown>): string {
    const h = Buffer.from(JSON.stringify({ typ: "JWT", alg: "HS256", kid: "sim" })).toString("base64url");
    const p = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const s = createHmac("sha256", this.key).update(`${h}.${p}`).digest("base64url");
    return `${h}.${p}.${s}`;
  }

  /** Returns claims, or a reason string when the token is not ours / tampered / expired. */
  verify(token: string, nowSec = Date.now() / 1000): Record<string, unknown> | string {
    const parts = token.split(".");
    if (parts.length !== 3) return "IDX14100: JWT is not well formed, there are no dots (.).";
    const want = createHmac("sha256", this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2]!, "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return "Access token validation failure. Invalid signature.";
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    } catch {
      return "IDX14100: JWT is not well formed.";
    }
    if (typeof claims.exp !== "number" || claims.exp <= nowSec) return "Lifetime validation failed, the token is expired.";
    if (typeof claims.nbf === "number" && claims.nbf > nowSec + 300) return "Lifetime validation failed, the token is not yet valid.";
    return claims;
  }
}

export interface AppRegistration {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  certificates: string[];
}

interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

function aadError(status: number, error: string, code: number, description: string): TokenReply {
  const trace = randomUUID();
  const corr = randomUUID();
  const ts = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${corr}\r\nTimestamp: ${ts}`,
      error_codes: [code],
      timestamp: ts,
      trace_id: trace,
      correlation_id: corr,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

function publicKeys(pems: string[]): KeyObject[] {
  return pems.map((p) => createPublicKey(p));
}

function verifyAssertion(assertion: string, app: AppRegistration, audience: string): string | undefined {
  const parts = assertion.split(".");
  if (parts.length !== 3) return "AADSTS50027: JWT token is invalid or malformed.";
  let header: Record<string, unknown>, claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return "AADSTS50027: JWT token is invalid or malformed.";
  }
  if (header.alg !== "RS256" && header.alg !== "PS256") return `AADSTS5002738: Invalid JWT token. '${String(header.alg)}' is not a supported signature algorithm.`;
  if (claims.iss !== app.clientId || claims.sub !== app.clientId)
    return "AADSTS700023: Client assertion audience claim does not match Realm issuer, or iss/sub differ from the client id.";
  const now = Date.now() / 1000;
  if (typeof claims.exp !== "number" || claims.exp < now) return "AADSTS700024: Client assertion is not within its valid time range.";
  if (typeof claims.aud === "string" && !claims.aud.includes("/oauth2/") && claims.aud !== audience)
    return "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter.";
  if (app.certificates.length === 0) return undefined;
  for (const key of publicKeys(app.certificates)) {
    const v = createVerify("RSA-SHA256");
    v.update(`${parts[0]}.${parts[1]}`);
    const ok =
      header.alg === "PS256"
        ? v.verify({ key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, Buffer.from(parts[2]!, "base64url"))
        : v.verify(key, Buffer.from(parts[2]!, "base64url"));
    if (ok) return undefined;
  }
  return "AADSTS700027: Client assertion failed signature validation.";
}

export function tokenEndpoint(
  method: string,
  tenantSeg: string,
  form: URLSearchParams,
  app: AppRegistration,
  jwt: Jwt,
  lifetimeSec: number,
  domain: string,
): TokenReply {
  if (method !== "POST") return aadError(400, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.");
  if (tenantSeg !== app.tenantId && tenantSeg.toLowerCase() !== domain.toLowerCase())
    return aadError(400, "invalid_request", 90002, `Tenant '${tenantSeg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
  const grant = form.get("grant_type");
  if (grant !== "client_credentials")
    return aadError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grant ?? ""}'.`);
  const clientId = form.get("client_id") ?? "";
  const scope = form.get("scope") ?? "";
  if (!scope) return aadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  if (!/\/\.default$/.test(scope.split(" ")[0]!))
    return aadError(400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  if (!clientId) return aadError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  if (clientId !== app.clientId)
    return aadError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${domain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (assertion) {
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return aadError(400, "invalid_request", 50027, "Invalid client_assertion_type.");
    const why = verifyAssertion(assertion, app, clientId);
    if (why) {
      const code = Number(/AADSTS(\d+)/.exec(why)?.[1] ?? 700027);
      return aadError(401, "invalid_client", code, why.replace(/^AADSTS\d+: /, ""));
    }
  } else if (secret !== null) {
    if (secret !== app.clientSecret)
      return aadError(401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
  } else {
    return aadError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const now = Math.floor(Date.now() / 1000);
  const access = jwt.sign({
    aud: "https://graph.microsoft.com",
    iss: `https://sts.windows.net/${app.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + lifetimeSec,
    appid: app.clientId,
    tid: app.tenantId,
    idtyp: "app",
    roles: ["User.Read.All", "Mail.ReadWrite", "Contacts.ReadWrite", "Calendars.ReadWrite", "Files.ReadWrite.All", "Sites.FullControl.All", "Group.Read.All"],
    jti: randomUUID(),
  });
  return { status: 200, body: { token_type: "Bearer", expires_in: lifetimeSec, ext_expires_in: lifetimeSec, access_token: access } };
}

/** Checks `Authorization: Bearer` for a Graph call; throws the Graph 401 envelope on failure. */
export function checkBearer(h: string | null, jwt: Jwt, tenantId: string): void {
  const www = { "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"' };
  if (!h || !/^Bearer\s+/i.test(h)) throw new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", www);
  const claims = jwt.verify(h.replace(/^Bearer\s+/i, "").trim());
  if (typeof claims === "string") throw new GraphError(401, "InvalidAuthenticationToken", claims, www);
  if (claims.tid !== tenantId) throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", www);
}
