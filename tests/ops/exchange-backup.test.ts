// First backup equals the tenant: every item stored at its Corso path with the 4-byte header and
// the Graph JSON (byte for byte when Graph returned it in one response); snapshot source, tags,
// pin, metadata files, details, backup model.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import { getBackup, getBackupDetails, listBackups } from "../../lib/ops/backups.ts";
import { loadSnapshot } from "../../lib/repo/snapshot/manifest.ts";
import { encodeElement } from "../../lib/corso/path-encoder.ts";
import { makeEnv, storedItem, tenantItems, type Env } from "./helpers.ts";

let env: Env;
let user: { id: string; userPrincipalName: string };

beforeAll(async () => {
  env = await makeEnv({ seed: 5, users: 2, messages: 40, events: 8, contacts: 10, files: 0 });
  user = env.sim.tenant.users().find((u) => u.mailbox)!;
});
afterAll(async () => {
  await env?.cleanup();
});

describe("first Exchange backup", () => {
  let results: Awaited<ReturnType<typeof runExchangeBackup>>;
  test("runs and completes", async () => {
    results = await runExchangeBackup(env.repo, env.graph, {
      tenantId: env.sim.tenantId, mailboxes: [user.userPrincipalName], categories: ["email", "contacts", "events"],
    });
    expect(results.length).toBe(1);
    const r = results[0];
    expect(r.failure).toBeUndefined();
    expect(r.status).toBe("Completed");
    expect(r.backupType).toBe("merge-backup");
    expect(r.resource.id).toBe(user.id);
    expect(r.errors).toEqual([]);
  });

  test("every tenant item is stored, JSON equal to what Graph serves", async () => {
    const r = results[0];
    const { backup, details } = await getBackupDetails(env.repo, r.backupId!);
    const items = details.filter((d) => d.exchange);
    const want = tenantItems(env.sim, user.id);
    expect(want.size).toBeGreaterThan(20);
    expect(new Set(items.map((d) => d.itemRef))).toEqual(new Set(want.keys()));
    expect(r.stats.itemsRead).toBe(want.size);
    let checkedRaw = 0;
    for (const d of items) {
      const stored = await storedItem(env.repo, backup.snapshotID, d.repoRef);
      expect(stored).toBeDefined();
      const j = JSON.parse(stored!);
      const simItem = env.sim.tenant.item(d.itemRef!)!;
      expect(j.id).toBe(simItem.id);
      expect(j.subject ?? j.displayName).toBe(simItem.subject ?? simItem.displayName);
      if (d.exchange!.itemType !== 2 && !j.attachments) {
        // byte for byte: the same GET the backup made
        const url = d.exchange!.itemType === 3 ? `/users/${user.id}/messages/${d.itemRef}` : `/users/${user.id}/contacts/${d.itemRef}`;
        const { raw } = await env.graph.http.getJson({ url, service: "exchange", mailbox: user.id });
        expect(stored).toBe(raw);
        checkedRaw++;
      }
      if (j.hasAttachments) expect(Array.isArray(j.attachments) && j.attachments.length > 0).toBe(true);
    }
    expect(checkedRaw).toBeGreaterThan(10);
    // mail RepoRefs are folder IDs; LocationRefs display names
    const mail = items.find((d) => d.exchange!.itemType === 3)!;
    const folder = want.get(mail.itemRef!)!.folder;
    expect(mail.repoRef).toContain(`/email/`);
    expect(mail.repoRef.endsWith(`${folder}/${mail.itemRef!.replace(/\//g, "\\/")}`)).toBe(true);
    expect(mail.locationRef).toBe(env.sim.tenant.folders(user.id, "mail").find((f) => f.id === folder)!.path);
    expect(mail.shortRef).toMatch(/^[0-9a-f]{12}$/);
    // folder entries exist for the folder
    expect(details.some((d) => d.folder && d.repoRef.endsWith(folder))).toBe(true);
  });

  test("snapshot source, tags, pin; backup model tags and fields", async () => {
    const r = results[0];
    const b = await getBackup(env.repo, r.backupId!);
    expect(b.version).toBe(9);
    expect(b.tags).toMatchObject({ service: "exchange", "backup-type": "merge-backup" });
    expect(b.status).toBe("Completed");
    expect(b.resourceOwnerID).toBe(user.id);
    expect(b.nonMetaItemsWritten).toBe(r.stats.itemsRead);
    const snap = await loadSnapshot(env.repo.manifests, b.snapshotID);
    expect(snap.source).toEqual({ host: "exchangecontacts-exchangeemail-exchangeevents", userName: `${env.sim.tenantId}-${user.id}`, path: encodeElement(env.sim.tenantId) });
    expect(snap.tags).toMatchObject({
      "tag:backup-id": r.backupId!, "tag:is-canon-backup": "0", [`tag:${user.id}`]: "0",
      "tag:exchangeemail": "0", "tag:exchangecontacts": "0", "tag:exchangeevents": "0",
    });
    expect(snap.pins).toEqual(["corso"]);
    const ss = await loadSnapshot(env.repo.manifests, b.streamStoreID);
    expect(ss.tags?.["tag:backup-id"]).toBeUndefined();
    expect(ss.source.host).toBe("exchangeMetadatacontacts-exchangeMetadataemail-exchangeMetadataevents");
    expect(ss.tags).toEqual({ [`tag:${user.id}`]: "0", "tag:exchangeMetadatacontacts": "0", "tag:exchangeMetadataemail": "0", "tag:exchangeMetadataevents": "0" });
    expect(ss.pins).toEqual(["corso"]);
    const md = await env.repo.manifests.find({ type: "BackupSchema", stableID: r.backupId! });
    expect(md[0].labels.storeVersion).toBe("1");
    expect((await listBackups(env.repo, "exchange")).map((x) => x.ID)).toContain(r.backupId!);
  });

  test("metadata files: previouspath per folder, delta per folder", async () => {
    const r = results[0];
    const b = await getBackup(env.repo, r.backupId!);
    const { findCategoryBase } = await import("../../lib/ops/backup/base.ts");
    const base = await findCategoryBase(env.repo, user.id, "email");
    expect(base?.backup.ID).toBe(b.ID);
    const mailFolders = env.sim.tenant.folders(user.id, "mail");
    expect(base!.previousPaths.size).toBe(mailFolders.length);
    expect(base!.deltas.size).toBe(mailFolders.length);
    for (const [id, p] of base!.previousPaths) expect(p.endsWith(id.replace(/\//g, "\\/"))).toBe(true);
  });

  test("unknown mailbox is one clear error", async () => {
    await expect(runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: ["nobody@nowhere.example"], categories: ["email"] }))
      .rejects.toThrow("mailbox nobody@nowhere.example not found");
  });
});
