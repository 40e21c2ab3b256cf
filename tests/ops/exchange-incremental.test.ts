// Incremental backups: only changed items are fetched; unchanged ones are carried over from the
// base snapshot; deletions, moves (items and folders), renames, new and vanished folders; an
// invalid delta token for one folder resets only that folder.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import { getBackup, getBackupDetails } from "../../lib/ops/backups.ts";
import { findCategoryBase } from "../../lib/ops/backup/base.ts";
import { encodeElements } from "../../lib/corso/path-encoder.ts";
import { exchangeMetadataPath } from "../../lib/corso/path.ts";
import { withHeader } from "../../lib/corso/serialization.ts";
import { CORSO_COMPRESSION, writeCorsoSnapshot } from "../../lib/corso/snapshots.ts";
import { putModel } from "../../lib/corso/model-store.ts";
import { writeStreamStore } from "../../lib/corso/streamstore.ts";
import { encodeBackupModel } from "../../lib/corso/backup-model.ts";
import { SnapshotTreeBuilder } from "../../lib/repo/snapshot/tree-builder.ts";
import { loadSnapshot } from "../../lib/repo/snapshot/manifest.ts";
import { readDirectory } from "../../lib/repo/snapshot/directory.ts";
import { encodeElement } from "../../lib/corso/path-encoder.ts";
import { makeEnv, storedItem, tenantItems, type Env } from "./helpers.ts";

let env: Env;
let user: { id: string; userPrincipalName: string };
const cats = ["email", "contacts", "events"] as const;

beforeAll(async () => {
  env = await makeEnv({ seed: 21, users: 1, messages: 60, events: 6, contacts: 8, files: 0 });
  user = env.sim.tenant.users().find((u) => u.mailbox)!;
});
afterAll(async () => {
  await env?.cleanup();
});

const run = (extra: Record<string, unknown> = {}) =>
  runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: [user.id], categories: [...cats], modTimeSafetyMs: 1500, ...extra });

/** Item GETs (not delta/list/attachments) since log index `from`. */
function itemGets(from: number): string[] {
  return env.sim.requestLog().slice(from)
    .filter((r) => r.method === "GET" && /\/users\/[^/]+\/(messages|contacts|events)\/[^/]+$/.test(r.path))
    .map((r) => decodeURIComponent(r.path.split("/").pop()!));
}

async function sameAsTenant(backupId: string): Promise<void> {
  const { details, backup } = await getBackupDetails(env.repo, backupId);
  const items = details.filter((d) => d.exchange);
  const want = tenantItems(env.sim, user.id);
  expect(new Set(items.map((d) => d.itemRef))).toEqual(new Set(want.keys()));
  expect(items.length).toBe(want.size);
  for (const d of items) {
    const w = want.get(d.itemRef!)!;
    expect(d.repoRef.split("/").slice(-2, -1)[0].replace(/\\/g, "")).toBe(w.folder.replace(/\\/g, "").split("/").pop()!);
    const s = JSON.parse((await storedItem(env.repo, backup.snapshotID, d.repoRef))!);
    const t = env.sim.tenant.item(d.itemRef!)!;
    expect(s.lastModifiedDateTime).toBe(t.lastModifiedDateTime);
    expect(s.subject ?? s.displayName).toBe(t.subject ?? t.displayName);
  }
}

describe("incremental Exchange backup", () => {
  let first: string;
  test("base backup", async () => {
    const [r] = await run();
    expect(r.status).toBe("Completed");
    first = r.backupId!;
    await sameAsTenant(first);
  });

  test("no-change incremental downloads nothing and keeps everything", async () => {
    const from = env.sim.requestLog().length;
    const [r] = await run();
    expect(r.status).toBe("Completed");
    expect(itemGets(from)).toEqual([]);
    expect(r.stats.itemsRead).toBe(0);
    expect(r.stats.itemsCached).toBe(tenantItems(env.sim, user.id).size);
    await sameAsTenant(r.backupId!);
  });

  test("adds, updates, deletes, item and folder moves, renames, new and deleted folders", async () => {
    const t = env.sim.tenant;
    const inbox = t.folderId(user.id, "mail", "inbox")!;
    const f1 = t.folderId(user.id, "mail", "Inbox/Folder 1")!;
    const f2 = t.folderId(user.id, "mail", "Inbox/Folder 1/Folder 2")!;
    const archive = t.folderId(user.id, "mail", "archive")!;
    const junk = t.folderId(user.id, "mail", "junkemail")!;
    const f2Items = t.itemIds(f2);
    const inboxItems = t.itemIds(inbox);
    const added = t.add({ op: "add", kind: "message", user: user.id, folder: inbox, item: { subject: "brand new message" } });
    t.update(f2Items[0], { subject: "updated subject" });
    t.delete(f2Items[1]);
    const moved = t.mutate({ op: "move", id: inboxItems[0], to: archive }).id;
    t.update(f1, { displayName: "Renamed Folder" });
    t.move(f2, inbox);
    const nf = t.add({ op: "add", kind: "mailFolder", user: user.id, parent: archive, displayName: "Fresh" });
    const inNew = t.add({ op: "add", kind: "message", user: user.id, folder: nf, item: { subject: "in the new folder" } });
    t.delete(junk);
    const contactsRoot = t.folderId(user.id, "contact", "contacts")!;
    const newContact = t.add({ op: "add", kind: "contact", user: user.id, folder: contactsRoot, item: { displayName: "Newly Added" } });

    const from = env.sim.requestLog().length;
    const [r] = await run();
    expect(r.errors).toEqual([]);
    expect(r.status).toBe("Completed");
    expect(new Set(itemGets(from))).toEqual(new Set([added, f2Items[0], moved, inNew, newContact]));
    expect(r.stats.itemsCached).toBeGreaterThan(50);
    expect(r.stats.itemsRemoved).toBeGreaterThanOrEqual(2);
    await sameAsTenant(r.backupId!);

    const { details } = await getBackupDetails(env.repo, r.backupId!);
    const inF1 = details.filter((d) => d.exchange && d.repoRef.includes(`/${f1}/`));
    expect(inF1.length).toBe(20);
    for (const d of inF1) expect(d.locationRef).toBe("Inbox/Renamed Folder");
    const inF2 = details.filter((d) => d.exchange && d.repoRef.includes(`/${f2}/`));
    expect(inF2.length).toBe(19);
    for (const d of inF2) {
      expect(d.repoRef).toContain(`/email/${inbox}/${f2}/`);
      expect(d.locationRef).toBe("Inbox/Folder 2");
    }
    expect(details.find((d) => d.itemRef === f2Items[0])!.exchange!.subject).toBe("updated subject");
    expect(details.find((d) => d.itemRef === inNew)!.locationRef).toBe("Archive/Fresh");
    const base = (await findCategoryBase(env.repo, user.id, "email"))!;
    expect(base.backup.ID).toBe(r.backupId!);
    expect(base.previousPaths.has(junk)).toBe(false);
    expect(base.previousPaths.get(nf)).toContain(`/email/${archive}/${nf}`);
  });

  test("an invalid delta token resets only its own folder", async () => {
    const last = (await findCategoryBase(env.repo, user.id, "email"))!;
    const victim = [...last.deltas.keys()].find((id) => env.sim.tenant.itemIds(id).length > 2)!;
    // rewrite the base's delta metadata with a broken token for one folder (as an expired one would be)
    const deltas = Object.fromEntries(last.deltas);
    deltas[victim] = deltas[victim].replace(/(deltatoken=)[^&]+/i, "$1AAAA");
    const snap = await loadSnapshot(env.repo.manifests, last.snapshotId);
    const b = new SnapshotTreeBuilder(env.repo, { rootName: encodeElement(env.sim.tenantId), compression: CORSO_COMPRESSION });
    for (const e of await readDirectory(env.repo.objects, snap.rootEntry!.obj)) await b.addExistingDirectory([e.name], e);
    await b.addFile(encodeElements(exchangeMetadataPath(env.sim.tenantId, user.id, "email", "delta").relElements()), withHeader(JSON.stringify(deltas)), { mtime: new Date() });
    const { root, stats } = await b.finish();
    const sid = await writeCorsoSnapshot(env.repo, { source: snap.source, tags: snap.tags!, root, stats, startedAt: new Date() });
    const model = await getBackup(env.repo, last.backup.ID);
    const { tags, ...rest } = model;
    await putModel(env.repo.manifests, "BackupSchema", model.ID, encodeBackupModel({ ...rest, snapshotID: sid }), tags);
    await env.repo.flush();

    const changed = env.sim.tenant.itemIds(victim)[0];
    env.sim.tenant.update(changed, { subject: "changed while the token was bad" });
    const from = env.sim.requestLog().length;
    const [r] = await run();
    expect(r.status).toBe("Completed");
    expect(r.stats.foldersReset).toBe(1);
    // the victim was re-enumerated from scratch, no other folder was
    const fresh = env.sim.requestLog().slice(from).filter((q) => q.path.endsWith("/messages/delta") && !/deltatoken|skiptoken/i.test(q.query));
    expect(fresh.length).toBeGreaterThan(0);
    for (const q of fresh) expect(decodeURIComponent(q.path)).toContain(victim);
    // unchanged items of the reset folder are reused by mod time; only the changed one and items
    // modified too recently to trust their one-second mod times are fetched
    const fetched = itemGets(from);
    expect(fetched).toContain(changed);
    const victimItems = new Set(env.sim.tenant.itemIds(victim));
    for (const id of fetched) {
      expect(victimItems.has(id)).toBe(true);
      if (id !== changed) expect(Date.now() - Date.parse(String(env.sim.tenant.item(id)!.lastModifiedDateTime))).toBeLessThan(60_000);
    }
    expect(fetched.length).toBeLessThan(victimItems.size / 2);
    await sameAsTenant(r.backupId!);
  });

  test("disableIncrementals enumerates everything but reuses unchanged mail by mod time", async () => {
    const from = env.sim.requestLog().length;
    const [r] = await run({ disableIncrementals: true });
    expect(r.status).toBe("Completed");
    const fetched = itemGets(from);
    // mail and contacts carry lastModifiedDateTime in the listing → cached; events (id-only delta) are fetched
    const want = tenantItems(env.sim, user.id);
    for (const id of fetched) {
      if (want.get(id)!.cat !== "events") expect(Date.now() - Date.parse(String(env.sim.tenant.item(id)!.lastModifiedDateTime))).toBeLessThan(60_000);
    }
    expect(fetched.filter((id) => want.get(id)!.cat === "email").length).toBeLessThan(10);
    await sameAsTenant(r.backupId!);
    const [f] = await run({ disableIncrementals: true, forceItemDataDownload: true });
    expect(f.stats.itemsRead).toBe(want.size);
  });

  test("entries missing from the base's details are rebuilt from the stored items", async () => {
    const [r0] = await run();
    const model = await getBackup(env.repo, r0.backupId!);
    const { details, faults } = await getBackupDetails(env.repo, model.ID);
    const dropped = details.filter((d) => d.exchange).slice(0, 5);
    const kept = details.filter((d) => !dropped.includes(d));
    const ssid = await writeStreamStore(env.repo, { tenant: env.sim.tenantId, resource: user.id, service: "exchange", categories: [...cats], details: kept, faults, startedAt: new Date() });
    const { tags, ...rest } = model;
    await putModel(env.repo.manifests, "BackupSchema", model.ID, encodeBackupModel({ ...rest, streamStoreID: ssid }), tags);
    await env.repo.flush();
    const from = env.sim.requestLog().length;
    const [r] = await run();
    expect(r.status).toBe("Completed");
    expect(itemGets(from)).toEqual([]);
    const after = await getBackupDetails(env.repo, r.backupId!);
    for (const d of dropped) {
      const again = after.details.find((x) => x.itemRef === d.itemRef)!;
      expect(again.repoRef).toBe(d.repoRef);
      expect(again.exchange!.subject ?? again.exchange!.contactName).toBe(d.exchange!.subject ?? d.exchange!.contactName);
      expect(again.exchange!.modified).toBe(d.exchange!.modified);
    }
    await sameAsTenant(r.backupId!);
  });
});
