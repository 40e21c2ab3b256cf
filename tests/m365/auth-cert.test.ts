import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { buildClientAssertion, ClientCredentialTokenSource, loadCertificate } from "../../lib/m365/graph/auth.ts";
import { resolveEndpoints } from "../../lib/m365/graph/clouds.ts";

let dir: string;
let pem: string;
let certPem: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "corso-cert-"));
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=corso-test"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  certPem = readFileSync(join(dir, "cert.pem"), "utf8");
  pem = readFileSync(join(dir, "key.pem"), "utf8") + certPem;
  writeFileSync(join(dir, "both.pem"), pem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("certificate credentials", () => {
  test("client assertion: RS256, x5t = SHA-1 thumbprint, claims Azure AD expects, valid signature", () => {
    const cert = loadCertificate(pem);
    const x509 = new X509Certificate(certPem);
    const thumb = Buffer.from(x509.fingerprint.replace(/:/g, ""), "hex").toString("base64url");
    expect(cert.x5t).toBe(thumb);
    const aud = "https://login.microsoftonline.com/t1/oauth2/v2.0/token";
    const jwt = buildClientAssertion(cert, "client-1", aud, 1_800_000_000);
    const [h, p, s] = jwt.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    expect(header).toEqual({ alg: "RS256", typ: "JWT", x5t: thumb });
    expect(payload.aud).toBe(aud);
    expect(payload.iss).toBe("client-1");
    expect(payload.sub).toBe("client-1");
    expect(payload.exp - payload.nbf).toBe(600);
    expect(typeof payload.jti).toBe("string");
    expect(verify("sha256", Buffer.from(`${h}.${p}`), x509.publicKey, Buffer.from(s, "base64url"))).toBe(true);
    // tampering breaks it
    expect(verify("sha256", Buffer.from(`${h}.${p}x`), x509.publicKey, Buffer.from(s, "base64url"))).toBe(false);
    expect(createHash("sha1").update(x509.raw).digest("base64url")).toBe(cert.x5t);
  });
  test("PEM without a key or without a certificate → one-line usage error", () => {
    expect(() => loadCertificate(certPem, undefined, "/x/app.pem")).toThrow(/\/x\/app.pem: no PRIVATE KEY block found/);
    const keyOnly = pem.replace(/-----BEGIN CERTIFICATE-----[\s\S]*-----END CERTIFICATE-----\s*/, "");
    expect(() => loadCertificate(keyOnly)).toThrow(UsageError);
  });
  test("missing certificate file and missing secret are usage errors", () => {
    const ep = resolveEndpoints();
    expect(() => new ClientCredentialTokenSource({ tenantId: "t", clientId: "c", certificatePath: join(dir, "nope.pem") }, ep)).toThrow(/cannot read client certificate .*nope.pem: ENOENT/);
    expect(() => new ClientCredentialTokenSource({ tenantId: "t", clientId: "c" }, ep)).toThrow(/AZURE_CLIENT_SECRET/);
    expect(() => new ClientCredentialTokenSource({ tenantId: "", clientId: "c", clientSecret: "s" }, ep)).toThrow(/AZURE_TENANT_ID/);
    expect(new ClientCredentialTokenSource({ tenantId: "t", clientId: "c", certificatePath: join(dir, "both.pem") }, ep).fetches).toBe(0);
  });
});
