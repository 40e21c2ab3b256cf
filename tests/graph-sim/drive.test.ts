import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator, type TenantFixture } from "../../lib/graph-sim/index.ts";
import { client, FIXTURE, token } from "./helpers.ts";

let sim: Simulator;
let c: ReturnType<typeof client>;
const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as TenantFixture;
const ADELE = fx.users![0]!.id;
const MEGAN = fx.users![1]!.id;
const SELECT = "id,content.downloadUrl,createdBy,createdDateTime,file,folder,lastModifiedDateTime,name,package,parentReference,root,size,deleted,malware,shared";

beforeAll(async () => {
  sim = await startSimulator({ fixture: fx, downloadUrlTtlSec: 2 });
  c = client(sim, await token(sim));
});
afterAll(() => sim.stop());

describe("drives", () => {
  test("user drive, drive root, items by path", async () => {
    const d = await c.get(`/users/${ADELE}/drive`);
    expect(d.body.driveType).toBe("business");
    expect(d.body.owner.user.id).toBe(ADELE);
    const root = await c.get(`/drives/${d.body.id}/root`);
    expect(root.body.root).toEqual({});
    expect(root.body.folder.childCount).toBe(3);
    const byPath = await c.get(`/drives/${d.body.id}/root:/Documents/Plans/roadmap.md`);
    expect(byPath.body.name).toBe("roadmap.md");
    expect(byPath.body.parentReference.path).toBe(`/drives/${d.body.id}/root:/Documents/Plans`);
    expect(byPath.body["@microsoft.graph.downloadUrl"]).toContain("tempauth=");
    expect((await c.get(`/drives/${d.body.id}/root:/nope.txt`)).body.error.code).toBe("itemNotFound");
  });

  test("delta: full enumeration parent-first with paging, then token=latest and changes with deleted facet", async () => {
    const driveId = sim.tenant.driveId(MEGAN)!;
    const first = await c.all(`/drives/${driveId}/items/root/delta?$top=2&$select=${SELECT}`, { Prefer: "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges, hierarchicalsharing" });
    expect(first.values.map((v) => v.name)).toEqual(["root", "Campaigns", "spring.docx"]);
    expect(first.pages).toBe(2);
    expect(first.values[2]["@microsoft.graph.downloadUrl"]).toBeDefined();
    expect(first.values[2].parentReference.path).toBe(`/drives/${driveId}/root:/Campaigns`);
    const latest = await c.get(`/drives/${driveId}/root/delta?token=latest`);
    expect(latest.body.value).toEqual([]);
    const spring = first.values[2].id;
    const added = sim.tenant.add({ op: "add", kind: "file", drive: driveId, parent: "/Campaigns", name: "summer.docx", content: { text: "hello" } });
    sim.tenant.delete(spring);
    const since = await c.all(first.last["@odata.deltaLink"]);
    const byId = new Map(since.values.map((v) => [v.id, v]));
    expect(byId.get(added)?.name).toBe("summer.docx");
    expect(byId.get(spring)?.deleted).toEqual({ state: "deleted" });
    const fromLatest = await c.all(latest.body["@odata.deltaLink"]);
    expect(fromLatest.values.map((v) => v.id).sort()).toEqual([added, spring].sort());
    const quiet = await c.all(since.last["@odata.deltaLink"]);
    expect(quiet.values).toEqual([]);
  });

  test("delta nextLinks keep the page size", async () => {
    const s2 = await startSimulator({ seed: 1, users: 1, files: 5, folders: 0 });
    try {
      const c2 = client(s2, await token(s2));
      const d = s2.tenant.driveId(s2.tenant.users()[0]!.id)!;
      const all = await c2.all(`/drives/${d}/items/root/delta?$top=2`);
      expect(all.values.length).toBe(6);
      expect(all.pages).toBe(3);
    } finally {
      await s2.stop();
    }
  });

  test("download URL: Range, 416, expiry → 401, deleted → 404", async () => {
    const driveId = sim.tenant.driveId(ADELE)!;
    const item = (await c.get(`/drives/${driveId}/root:/big-dataset.bin`)).body;
    const url = item["@microsoft.graph.downloadUrl"];
    const full = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(full.length).toBe(6291456);
    expect(Buffer.from(full).equals(Buffer.from(sim.tenant.fileContent(item.id)!))).toBe(true);
    const part = await fetch(url, { headers: { Range: "bytes=1000000-1000099" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 1000000-1000099/6291456");
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(full.subarray(1000000, 1000100));
    const tail = await fetch(url, { headers: { Range: "bytes=6291400-" } });
    expect((await tail.arrayBuffer()).byteLength).toBe(56);
    expect((await fetch(url, { headers: { Range: "bytes=7000000-" } })).status).toBe(416);
    const tempauth = new URL(url).searchParams.get("tempauth")!;
    const claims = JSON.parse(Buffer.from(tempauth.split(".")[1]!, "base64url").toString());
    expect(claims.exp - claims.nbf).toBe(2);
    await Bun.sleep(2100); // download URL ttl is 2 s in this test
    expect((await fetch(url)).status).toBe(401);
    const fresh = (await c.get(`/drives/${driveId}/items/${item.id}`)).body["@microsoft.graph.downloadUrl"];
    expect((await fetch(fresh, { method: "HEAD" })).status).toBe(200);
    sim.tenant.delete(item.id);
    expect((await fetch(fresh)).status).toBe(404);
  });

  test("content generation is deterministic by seed", async () => {
    const a = await startSimulator({ seed: 9, users: 1, files: 2, fileSize: 5000 });
    const b = await startSimulator({ seed: 9, users: 1, files: 2, fileSize: 5000 });
    const z = await startSimulator({ seed: 10, users: 1, files: 2, fileSize: 5000 });
    try {
      const fa = a.tenant.driveItems(a.tenant.driveId(a.tenant.users()[0]!.id)!).filter((x) => !x.folder);
      const fb = b.tenant.driveItems(b.tenant.driveId(b.tenant.users()[0]!.id)!).filter((x) => !x.folder);
      const fz = z.tenant.driveItems(z.tenant.driveId(z.tenant.users()[0]!.id)!).filter((x) => !x.folder);
      expect(fa.map((x) => x.id)).toEqual(fb.map((x) => x.id));
      expect(a.tenant.fileContent(fa[0]!.id)).toEqual(b.tenant.fileContent(fb[0]!.id)!);
      expect(a.tenant.fileContent(fa[0]!.id)).not.toEqual(z.tenant.fileContent(fz[0]!.id)!);
      expect(a.tenant.fileRange(fa[0]!.id, 100, 200)).toEqual(a.tenant.fileContent(fa[0]!.id)!.subarray(100, 200));
    } finally {
      await Promise.all([a.stop(), b.stop(), z.stop()]);
    }
  });

  test("restore writes: folder create conflicts, upload session, PUT content", async () => {
    const driveId = sim.tenant.driveId(MEGAN)!;
    const mk = (name: string, behavior: string, facet: object = { folder: {} }) => c.post(`/drives/${driveId}/items/root/children?@microsoft.graph.conflictBehavior=${behavior}`, { name, ...facet });
    const f1 = await mk("Restore", "replace");
    expect(f1.status).toBe(201);
    const f2 = await mk("Restore", "replace");
    expect(f2.body.id).toBe(f1.body.id);
    expect((await mk("Restore", "fail")).body.error.code).toBe("nameAlreadyExists");
    const file = await c.post(`/drives/${driveId}/items/${f1.body.id}/children?@microsoft.graph.conflictBehavior=rename`, { name: "a.txt", file: {} });
    const file2 = await c.post(`/drives/${driveId}/items/${f1.body.id}/children?@microsoft.graph.conflictBehavior=rename`, { name: "a.txt", file: {} });
    expect(file2.body.name).toBe("a 1.txt");
    const sess = await c.post(`/drives/${driveId}/items/${file.body.id}/createUploadSession`, { item: { "@microsoft.graph.conflictBehavior": "replace" } });
    expect(sess.status).toBe(200);
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    const put = (a: number, b: number) => fetch(sess.body.uploadUrl, { method: "PUT", headers: { "Content-Range": `bytes ${a}-${b - 1}/${data.length}` }, body: data.subarray(a, b) });
    const r1 = await put(0, 100_000);
    expect(r1.status).toBe(202);
    expect(((await r1.json()) as any).nextExpectedRanges).toEqual(["100000-"]);
    expect((await fetch(sess.body.uploadUrl, { method: "PUT", body: "x" })).status).toBe(400);
    const r2 = await put(100_000, 300_000);
    expect(r2.status).toBe(200);
    expect(((await r2.json()) as any).size).toBe(300_000);
    expect(sim.tenant.fileContent(file.body.id)).toEqual(data);
    const small = await fetch(`${sim.graphBase}/drives/${driveId}/items/${f1.body.id}:/small.txt:/content`, { method: "PUT", headers: { Authorization: `Bearer ${await token(sim)}` }, body: "tiny" });
    expect(small.status).toBe(201);
    const smallItem = (await small.json()) as any;
    expect(new TextDecoder().decode(sim.tenant.fileContent(smallItem.id))).toBe("tiny");
    const s2 = await c.post(`/drives/${driveId}/items/${f1.body.id}:/new.bin:/createUploadSession`, {});
    const done = await fetch(s2.body.uploadUrl, { method: "PUT", headers: { "Content-Range": "bytes 0-2/3" }, body: "abc" });
    expect(done.status).toBe(201);
    expect(((await done.json()) as any).name).toBe("new.bin");
    expect((await c.del(`/drives/${driveId}/items/${f1.body.id}`)).status).toBe(204);
    expect((await c.get(`/drives/${driveId}/items/${file.body.id}`)).status).toBe(404);
  });

  test("permissions: list with inheritance, invite, unresolved users, delete", async () => {
    const driveId = sim.tenant.driveId(ADELE)!;
    const notes = (await c.get(`/drives/${driveId}/root:/Documents/notes.txt`)).body;
    expect(notes.shared).toEqual({ scope: "users" });
    const perms = await c.get(`/drives/${driveId}/items/${notes.id}/permissions`);
    expect(perms.body.value[0].grantedToV2.user.id).toBe(MEGAN);
    const plans = (await c.get(`/drives/${driveId}/root:/Documents/Plans`)).body;
    const inv = await c.post(`/drives/${driveId}/items/${plans.id}/invite`, { recipients: [{ email: "MeganB@contoso.onmicrosoft.com" }], roles: ["read"], requireSignIn: true, sendInvitation: false });
    expect(inv.status).toBe(200);
    const child = (await c.get(`/drives/${driveId}/root:/Documents/Plans/roadmap.md`)).body;
    const inherited = await c.get(`/drives/${driveId}/items/${child.id}/permissions`);
    expect(inherited.body.value[0].inheritedFrom.id).toBe(plans.id);
    const bad = await c.post(`/drives/${driveId}/items/${plans.id}/invite`, { recipients: [{ objectId: "ghost" }], roles: ["read"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("could not be resolved");
    expect((await c.del(`/drives/${driveId}/items/${plans.id}/permissions/${inv.body.value[0].id}`)).status).toBe(204);
    expect((await c.get(`/drives/${driveId}/items/${plans.id}/permissions`)).body.value).toEqual([]);
  });
});

describe("sites and groups", () => {
  test("search, by path, drives, group root site", async () => {
    const all = await c.get(`/sites?search=*`);
    const names = all.body.value.map((s: any) => s.webUrl);
    expect(names).toContain("https://contoso.sharepoint.com/sites/marketing");
    expect(names.some((u: string) => u.includes("/personal/"))).toBe(true);
    expect((await c.get(`/sites/contoso.sharepoint.com`)).body.root).toEqual({});
    expect((await c.get(`/sites/root`)).body.webUrl).toBe("https://contoso.sharepoint.com");
    const mk = await c.get(`/sites/contoso.sharepoint.com:/sites/marketing`);
    expect(mk.body.displayName).toBe("Marketing");
    const drives = await c.get(`/sites/${mk.body.id}/drives`);
    expect(drives.body.value[0].driveType).toBe("documentLibrary");
    expect((await c.get(`/sites/contoso.sharepoint.com:/sites/nope`)).body.error.message).toBe("Requested site could not be found");
    const groups = await c.get(`/groups?$filter=${encodeURIComponent("displayName eq 'Sales Team'")}`);
    expect(groups.body.value[0].resourceProvisioningOptions).toEqual(["Team"]);
    const gs = await c.get(`/groups/${groups.body.value[0].id}/sites/root`);
    expect(gs.body.webUrl).toContain("/sites/sales");
    const byMail = await c.get(`/groups?$filter=${encodeURIComponent("proxyAddresses/any(a:a eq 'smtp:sales@contoso.onmicrosoft.com')")}`);
    expect(byMail.body.value.length).toBe(1);
    const ch = await c.get(`/teams/${groups.body.value[0].id}/channels`);
    expect(ch.body.value[0].displayName).toBe("General");
    const ff = await c.get(`/teams/${groups.body.value[0].id}/channels/${encodeURIComponent(ch.body.value[0].id)}/filesFolder`);
    expect(ff.body.webUrl).toContain("/sites/sales/");
    expect((await c.get(`/groups/${groups.body.value[0].id}/conversations`)).body.value).toEqual([]);
  });

  test("users: $select, $filter as Corso sends it, $count needs ConsistencyLevel", async () => {
    const f = encodeURIComponent("onPremisesSyncEnabled eq true OR userType ne 'Guest'");
    const noHeader = await c.get(`/users?$select=id,userPrincipalName,displayName&$filter=${f}&$count=true`);
    expect(noHeader.status).toBe(400);
    const ok = await c.get(`/users?$select=id,userPrincipalName,displayName&$filter=${f}&$count=true`, { ConsistencyLevel: "eventual" });
    expect(ok.status).toBe(200);
    expect(ok.body["@odata.count"]).toBe(3);
    expect(Object.keys(ok.body.value[0]).sort()).toEqual(["displayName", "id", "userPrincipalName"]);
    const byUpn = await c.get(`/users/AdeleV@contoso.onmicrosoft.com`);
    expect(byUpn.body.id).toBe(ADELE);
    expect((await c.get(`/users/nobody`)).body.error.code).toBe("Request_ResourceNotFound");
    const paged = await c.all(`/users?$top=1`);
    expect(paged.pages).toBe(3);
  });
});
