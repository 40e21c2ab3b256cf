// Token handling against the simulator: 401 InvalidAuthenticationToken replay, certificate
// credentials accepted by a verifier, wrong certificate rejected with an AADSTS line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GraphAuthError, GraphError, type TokenSource } from "../../lib/m365/graph/index.ts";
import { clientFor, type Sim, startSimulator } from "./sim-helpers.ts";

let dir: string;
let sim: Sim;
let goodPem: string;
let otherPem: string;
const TENANT = "5b0b3c1e-58c8-4f0e-9a53-1d2c3e4f5a6b";
const CLIENT = "8f9e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const USER = "0f1e2d3c-4b5a-4697-8877-665544332211";

function makeCert(name: string): string {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", `/CN=${name}`], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
  return readFileSync(key, "utf8") + readFileSync(crt, "utf8");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "corso-auth-"));
  goodPem = makeCert("good");
  otherPem = makeCert("other");
  const certOnly = goodPem.slice(goodPem.indexOf("-----BEGIN CERTIFICATE-----"));
  sim = await startSimulator({
    fixture: {
      tenantId: TENANT,
      domain: "certco.onmicrosoft.com",
      app: { clientId: CLIENT, clientSecret: "s3cret", certificates: [certOnly] },
      users: [{ id: USER, userPrincipalName: "ann@certco.onmicrosoft.com", displayName: "Ann" }],
    },
  });
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("certificate credentials", () => {
  test("an RS256 client assertion gets a token and Graph calls succeed", async () => {
    const g = clientFor(sim, { tenantId: TENANT, clientId: CLIENT, clientSecret: undefined, certificatePem: goodPem });
    const u = await g.discovery.user(USER);
    expect(u.userPrincipalName).toBe("ann@certco.onmicrosoft.com");
    expect(g.stats().tokenFetches).toBe(1);
  });
  test("a certificate the app does not know → GraphAuthError with the AADSTS code", async () => {
    const g = clientFor(sim, { tenantId: TENANT, clientId: CLIENT, clientSecret: undefined, certificatePem: otherPem });
    const e = await g.discovery.user(USER).catch((x) => x);
    expect(e).toBeInstanceOf(GraphAuthError);
    expect(e.message).toMatch(/^authentication failed for tenant .*: AADSTS\d+: /);
    expect(e.message).not.toContain("\n");
  });
});

describe("401 InvalidAuthenticationToken", () => {
  test("a revoked token is dropped and the request replayed once with a fresh one", async () => {
    const base = clientFor(sim, { tenantId: TENANT, clientId: CLIENT, clientSecret: "s3cret" }).tokens;
    let handedBad = false;
    const invalidated: string[] = [];
    const tokens: TokenSource = {
      get fetches() {
        return base.fetches;
      },
      async getToken(signal) {
        if (!handedBad) {
          handedBad = true;
          return "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.revoked";
        }
        return base.getToken(signal);
      },
      invalidate(t) {
        invalidated.push(t);
        base.invalidate(t);
      },
    };
    const g = clientFor(sim, { tenantId: TENANT, clientId: CLIENT, tokens });
    const u = await g.discovery.user(USER);
    expect(u.id).toBe(USER);
    expect(g.stats().authRetries).toBe(1);
    expect(invalidated).toEqual(["eyJhbGciOiJub25lIn0.eyJleHAiOjF9.revoked"]);
  });

  test("a token that keeps failing is reported, not retried forever", async () => {
    const tokens: TokenSource = { fetches: 0, getToken: async () => "not-a-jwt", invalidate: () => {} };
    const g = clientFor(sim, { tenantId: TENANT, clientId: CLIENT, tokens });
    const e = await g.discovery.user(USER).catch((x) => x);
    expect(e).toBeInstanceOf(GraphError);
    expect(e.kind).toBe("auth-expired");
    expect(e.status).toBe(401);
    expect(g.stats().requests).toBe(2);
  });
});
