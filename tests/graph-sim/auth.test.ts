import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, createSign } from "node:crypto";
import { startSimulator, type Simulator, type TenantFixture } from "../../lib/graph-sim/index.ts";
import { client, token } from "./helpers.ts";

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
let sim: Simulator;

function assertion(clientId: string, key = keys.privateKey, iss = clientId): string {
  const h = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", x5t: "abc" })).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const p = Buffer.from(JSON.stringify({ aud: "https://login.microsoftonline.com/t/oauth2/v2.0/token", iss, sub: clientId, jti: "1", nbf: now, exp: now + 600 })).toString("base64url");
  const sig = createSign("RSA-SHA256").update(`${h}.${p}`).sign(key).toString("base64url");
  return `${h}.${p}.${sig}`;
}

async function tokenReq(body: Record<string, string>, tenant = sim.tenantId, method = "POST") {
  const r = await fetch(`${sim.loginBase}/${tenant}/oauth2/v2.0/token`, { method, body: method === "POST" ? new URLSearchParams(body) : undefined });
  return { status: r.status, body: (await r.json()) as any };
}

beforeAll(async () => {
  const fx: TenantFixture = {
    tenantId: "11111111-2222-4333-8444-555555555555",
    app: { clientId: "app-1", clientSecret: "s3cret", certificates: [keys.publicKey.export({ type: "spki", format: "pem" }).toString()] },
    users: [{ id: "u1", userPrincipalName: "a@contoso.onmicrosoft.com", displayName: "A B" }],
  };
  sim = await startSimulator({ fixture: fx, tokenLifetimeSec: 1 });
});
afterAll(() => sim.stop());

const base = () => ({ client_id: sim.clientId, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" });

describe("token endpoint", () => {
  test("client secret → bearer token with exp", async () => {
    const r = await tokenReq({ ...base(), client_secret: "s3cret" });
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe("Bearer");
    expect(r.body.expires_in).toBe(1);
    const claims = JSON.parse(Buffer.from(r.body.access_token.split(".")[1], "base64url").toString());
    expect(claims.tid).toBe(sim.tenantId);
    expect(claims.exp - claims.iat).toBe(1);
  });
  test("AADSTS errors", async () => {
    const bad = await tokenReq({ ...base(), client_secret: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe("invalid_client");
    expect(bad.body.error_codes).toEqual([7000215]);
    expect(bad.body.error_description).toStartWith("AADSTS7000215:");
    const tenant = await tokenReq({ ...base(), client_secret: "s3cret" }, "00000000-0000-0000-0000-000000000000");
    expect(tenant.status).toBe(400);
    expect(tenant.body.error_codes).toEqual([90002]);
    const app = await tokenReq({ ...base(), client_id: "other", client_secret: "s3cret" });
    expect(app.status).toBe(400);
    expect(app.body.error).toBe("unauthorized_client");
    expect(app.body.error_codes).toEqual([700016]);
    const get = await tokenReq({}, sim.tenantId, "GET");
    expect(get.status).toBe(400);
    const scope = await tokenReq({ ...base(), scope: "User.Read", client_secret: "s3cret" });
    expect(scope.status).toBe(400);
  });
  test("certificate client assertion: right key accepted, wrong key / wrong issuer rejected", async () => {
    const ok = await tokenReq({ ...base(), client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion("app-1") });
    expect(ok.status).toBe(200);
    const wrongKey = await tokenReq({ ...base(), client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion("app-1", other.privateKey) });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.error_codes).toEqual([700027]);
    const wrongIss = await tokenReq({ ...base(), client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion("app-1", keys.privateKey, "someone") });
    expect(wrongIss.status).toBe(401);
  });
});

describe("bearer checks", () => {
  test("missing, forged and expired tokens → 401 InvalidAuthenticationToken envelope", async () => {
    const none = await fetch(`${sim.graphBase}/users`, { headers: { "client-request-id": "cr-1" } });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toStartWith("Bearer");
    const body = (await none.json()) as any;
    expect(body.error.code).toBe("InvalidAuthenticationToken");
    expect(Object.keys(body.error.innerError).sort()).toEqual(["client-request-id", "date", "request-id"]);
    expect(body.error.innerError["client-request-id"]).toBe("cr-1");

    const tok = await token(sim);
    const forged = tok.slice(0, -4) + (tok.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await client(sim, forged).get("/users")).status).toBe(401);

    const c = client(sim, tok);
    expect((await c.get("/users")).status).toBe(200);
    await Bun.sleep(1100); // token lifetime is 1 s in this test
    const expired = await c.get("/users");
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe("InvalidAuthenticationToken");
  });
});
