import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { UsageError } from "../../lib/errors.ts";
import { startSimulator, type TenantFixture } from "../../lib/graph-sim/index.ts";
import { client, FIXTURE, token } from "./helpers.ts";

describe("fixtures", () => {
  test("invalid fixtures fail with one-line UsageErrors", async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /tenantId is required/],
      [{ tenantId: "t", users: [{ id: "u" }] }, /needs id, userPrincipalName and displayName/],
      [{ tenantId: "t", users: [{ id: "u", userPrincipalName: "a@b.c", displayName: "A" }, { id: "u", userPrincipalName: "b@b.c", displayName: "B" }] }, /duplicate user id u/],
      [{ tenantId: "t", users: [{ id: "u", userPrincipalName: "a@b.c", displayName: "A", drive: { items: [{ name: "f", content: {} }] } }] }, /content needs text, base64 or size/],
      [{ tenantId: "t", sites: [{ name: "x" }] }, /site needs name and path/],
    ];
    for (const [fx, re] of cases) {
      const err = await startSimulator({ fixture: fx as TenantFixture }).then(
        async (s) => {
          await s.stop();
          return undefined;
        },
        (e) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect(String(err.message)).toMatch(re);
      expect(err.message).not.toContain("\n");
    }
  });

  test("Microsoft sample objects drop in as-is; the sample tenant loads with its credentials", async () => {
    const samples = JSON.parse(readFileSync(new URL("../../../shared/graph-samples/graph-docs-samples.json", import.meta.url).pathname, "utf8"));
    const msgs = samples.messages_list.body.value;
    const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as TenantFixture;
    fx.users![1]!.mailFolders = [{ displayName: "Imported", messages: msgs }];
    const sim = await startSimulator({ fixture: fx });
    try {
      expect(sim.clientId).toBe(fx.app!.clientId);
      expect(sim.clientSecret).toBe("sample-tenant-secret");
      const c = client(sim, await token(sim));
      const u = fx.users![1]!.id;
      const f = sim.tenant.folderId(u, "mail", "Imported")!;
      const got = await c.get(`/users/${u}/mailFolders/${f}/messages`);
      expect(got.body.value[0].subject).toBe(msgs[0].subject);
      expect(got.body.value[0].bodyPreview).toBe(msgs[0].bodyPreview);
      expect(got.body.value[0].parentFolderId).toBe(f);
    } finally {
      await sim.stop();
    }
  });
});
