// On the sample tenant: details selectors, export (tree and zip), deleteBackups all-or-nothing,
// a mailbox without Exchange, and the real kopia binary verifying the repository afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { unzipSync } from "fflate";
import sample from "../../lib/graph-sim/fixtures/sample-tenant.json";
import { filterDetails, selectorFromFlags } from "../../lib/corso/selectors/exchange.ts";
import { runExchangeBackup } from "../../lib/ops/backup/exchange.ts";
import { deleteBackups, getBackup, getBackupDetails, listBackups } from "../../lib/ops/backups.ts";
import { exportExchange } from "../../lib/ops/export/exchange.ts";
import { loadSnapshot } from "../../lib/repo/snapshot/manifest.ts";
import { connectFlags, kopiaSession } from "../helpers/kopia.ts";
import { makeEnv, PASSWORD, storedItem, type Env } from "./helpers.ts";
import { writeStreamStore } from "../../lib/corso/streamstore.ts";
import { putModel } from "../../lib/corso/model-store.ts";
import { encodeBackupModel } from "../../lib/corso/backup-model.ts";

let env: Env;
const ADELE = "AdeleV@contoso.onmicrosoft.com";
const fixture = structuredClone(sample) as any;
fixture.users[1].mailbox = false; // Megan: no Exchange

beforeAll(async () => {
  env = await makeEnv({ fixture });
});
afterAll(async () => {
  await env?.cleanup();
});

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, base)));
    else out.push(p.slice(base.length + 1));
  }
  return out.sort();
}

describe("sample tenant", () => {
  let backupId: string;
  test("backup of every mailbox: Adele completes, Megan has no Exchange", async () => {
    const rs = await runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: ["*"], categories: ["email", "contacts", "events"] });
    const adele = rs.find((r) => r.resource.name === ADELE)!;
    expect(adele.status).toBe("Completed");
    backupId = adele.backupId!;
    const megan = rs.find((r) => r.resource.name.startsWith("MeganB"))!;
    expect(megan.status).toBe("NotEnabled");
    expect(megan.backupId).toBeUndefined();
    expect(megan.failure).toContain("not enabled");
  });

  test("stored items carry attachments, exception occurrences and cancellations inline", async () => {
    const { backup, details } = await getBackupDetails(env.repo, backupId);
    const adeleId = backup.resourceOwnerID;
    let withAtt = 0;
    let withExceptions = 0;
    for (const d of details.filter((x) => x.exchange)) {
      const stored = (await storedItem(env.repo, backup.snapshotID, d.repoRef))!;
      const t = d.exchange!.itemType;
      const fetched = t === 3 ? await env.graph.mail.getMessage(adeleId, d.itemRef!) : t === 2 ? await env.graph.events.getEvent(adeleId, d.itemRef!) : await env.graph.contacts.getContact(adeleId, d.itemRef!);
      expect(JSON.parse(stored)).toEqual(fetched.json);
      if (fetched.json.attachments === undefined) expect(stored).toBe(fetched.raw);
      else {
        withAtt++;
        // the response text is kept: only the attachments member is appended
        if (t === 3) expect(stored.startsWith(fetched.raw.slice(0, fetched.raw.lastIndexOf("}")).trimEnd())).toBe(true);
      }
      if (Array.isArray(fetched.json.exceptionOccurrences) && fetched.json.exceptionOccurrences.length) {
        withExceptions++;
        expect(JSON.parse(stored).cancelledOccurrences).toEqual(fetched.json.cancelledOccurrences);
      }
    }
    expect(withAtt).toBeGreaterThan(1);
    expect(withExceptions).toBeGreaterThan(0);
  });

  test("selectors: folders, subjects, senders, times, recurrence, names, IDs", async () => {
    const { details } = await getBackupDetails(env.repo, backupId);
    const items = details.filter((d) => d.exchange);
    const mail = items.filter((d) => d.exchange!.itemType === 3);
    const events = items.filter((d) => d.exchange!.itemType === 2);
    const contacts = items.filter((d) => d.exchange!.itemType === 1);
    expect(mail.length).toBeGreaterThan(2);
    expect(events.length).toBeGreaterThan(0);
    expect(contacts.length).toBeGreaterThan(0);
    expect(filterDetails(details, selectorFromFlags({})).length).toBe(items.length);

    const inInbox = mail.filter((d) => d.locationRef!.toLowerCase().split("/").includes("inbox"));
    expect(filterDetails(details, selectorFromFlags({ emailFolder: ["inbox"] }))).toEqual(inInbox);
    const prefix = filterDetails(details, selectorFromFlags({ emailFolder: ["/Inbox"] }));
    expect(prefix).toEqual(mail.filter((d) => d.locationRef!.toLowerCase() === "inbox" || d.locationRef!.toLowerCase().startsWith("inbox/")));
    expect(filterDetails(details, selectorFromFlags({ emailFolder: ["/nbox"] }))).toEqual([]);

    const one = mail[0];
    const word = one.exchange!.subject!.split(" ")[0].toUpperCase();
    const bySubject = filterDetails(details, selectorFromFlags({ emailSubject: word }));
    expect(bySubject.length).toBeGreaterThan(0);
    for (const d of bySubject) {
      expect(d.exchange!.itemType).toBe(3);
      expect(d.exchange!.subject!.toLowerCase()).toContain(word.toLowerCase());
    }
    expect(filterDetails(details, selectorFromFlags({ email: [one.shortRef] }))).toEqual([one]);
    expect(filterDetails(details, selectorFromFlags({ email: [one.itemRef!] }))).toEqual([one]);
    const sender = filterDetails(details, selectorFromFlags({ emailSender: one.exchange!.sender! }));
    expect(sender).toContainEqual(one);
    for (const d of sender) expect(d.exchange!.sender).toBe(one.exchange!.sender);

    const sorted = [...mail].sort((a, b) => (a.exchange!.received < b.exchange!.received ? -1 : 1));
    const mid = sorted[Math.floor(sorted.length / 2)].exchange!.received;
    const after = filterDetails(details, selectorFromFlags({ emailReceivedAfter: mid }));
    expect(after).toEqual(mail.filter((d) => d.exchange!.received > mid));
    const before = filterDetails(details, selectorFromFlags({ emailReceivedBefore: mid }));
    expect(before).toEqual(mail.filter((d) => d.exchange!.received < mid));
    expect(() => selectorFromFlags({ emailReceivedAfter: "yesterday-ish" })).toThrow("invalid time format for --email-received-after");

    const recurring = filterDetails(details, selectorFromFlags({ eventRecurs: "true" }));
    expect(recurring).toEqual(events.filter((d) => d.exchange!.eventRecurs));
    expect(filterDetails(details, selectorFromFlags({ eventRecurs: "false" }))).toEqual(events.filter((d) => !d.exchange!.eventRecurs));
    expect(() => selectorFromFlags({ eventRecurs: "maybe" })).toThrow();
    const cname = contacts[0].exchange!.contactName!;
    expect(filterDetails(details, selectorFromFlags({ contactName: cname.slice(1, 4) }))).toContainEqual(contacts[0]);
    const cal = events[0].locationRef!;
    expect(filterDetails(details, selectorFromFlags({ eventCalendar: [cal] }))).toEqual(events.filter((d) => d.locationRef === cal));
    // a calendar by ID works too
    const calId = events[0].repoRef.split("/")[4];
    expect(filterDetails(details, selectorFromFlags({ eventCalendar: [calId] })).length).toBeGreaterThan(0);
  });

  test("export writes the expected tree, and a zip with --archive", async () => {
    const dest = join(env.dir, "export");
    const res = await exportExchange(env.repo, backupId, selectorFromFlags({}), dest);
    expect(res.errors).toEqual([]);
    const { details } = await getBackupDetails(env.repo, backupId);
    const items = details.filter((d) => d.exchange);
    expect(res.items).toBe(items.length);
    const files = await walk(dest);
    expect(files.length).toBe(items.length);
    const mail = items.find((d) => d.exchange!.itemType === 3 && d.locationRef === "Inbox")!;
    const eml = join(dest, "Emails", "Inbox", `${mail.itemRef}.eml`);
    expect(existsSync(eml)).toBe(true);
    expect(readFileSync(eml, "utf8")).toMatch(/^(?:[\s\S]*\r\n)?Subject: /m);
    expect(files.filter((f) => f.startsWith("Events/")).every((f) => f.endsWith(".ics"))).toBe(true);
    expect(files.filter((f) => f.startsWith("Contacts/")).every((f) => f.endsWith(".vcf"))).toBe(true);
    expect(readFileSync(join(dest, files.find((f) => f.endsWith(".ics"))!), "utf8")).toContain("BEGIN:VCALENDAR");

    const zdest = join(env.dir, "export-zip");
    const z = await exportExchange(env.repo, backupId, selectorFromFlags({ emailFolder: ["Inbox"] }), zdest, { archive: true });
    expect(z.errors).toEqual([]);
    const zipped = unzipSync(readFileSync(z.archive!));
    expect(Object.keys(zipped).length).toBe(z.items);
    expect(Object.keys(zipped)).toContain(`Emails/Inbox/${mail.itemRef}.eml`);
    expect(Object.keys(zipped).every((k) => k.startsWith("Emails/"))).toBe(true);
  });

  test("export: an item that cannot be read is reported, every other item is written", async () => {
    const model = await getBackup(env.repo, backupId);
    const { details, faults } = await getBackupDetails(env.repo, backupId);
    const real = details.find((d) => d.exchange?.itemType === 1)!;
    const ghost = { ...real, repoRef: real.repoRef.replace(/[^/]+$/, "no-such-item"), shortRef: "0123456789ab", itemRef: "no-such-item" };
    const ssid = await writeStreamStore(env.repo, {
      tenant: env.sim.tenantId, resource: model.resourceOwnerID, service: "exchange", categories: ["contacts", "email", "events"],
      details: [...details, ghost], faults, startedAt: new Date(),
    });
    const { tags, ...rest } = model;
    await putModel(env.repo.manifests, "BackupSchema", model.ID, encodeBackupModel({ ...rest, streamStoreID: ssid }), tags);
    await env.repo.flush();
    const res = await exportExchange(env.repo, backupId, selectorFromFlags({ contact: ["*"] }), join(env.dir, "export-ghost"));
    expect(res.errors.map((e) => e.id)).toEqual(["no-such-item"]);
    expect(res.errors[0].cause).toContain("missing from the backup's snapshot");
    expect(res.items).toBe(details.filter((d) => d.exchange?.itemType === 1).length);
  });

  test("deleteBackups is all or nothing", async () => {
    const [r2] = await runExchangeBackup(env.repo, env.graph, { tenantId: env.sim.tenantId, mailboxes: [ADELE], categories: ["contacts"] });
    const b2 = await getBackup(env.repo, r2.backupId!);
    await expect(deleteBackups(env.repo, [b2.ID, "no-such-backup"])).rejects.toThrow("no backup exists with that id: no-such-backup");
    expect((await getBackup(env.repo, b2.ID)).ID).toBe(b2.ID);
    await loadSnapshot(env.repo.manifests, b2.snapshotID);
    await deleteBackups(env.repo, [b2.ID]);
    await env.reopen();
    await expect(getBackup(env.repo, b2.ID)).rejects.toThrow(`no backup exists with the id ${b2.ID}`);
    await expect(loadSnapshot(env.repo.manifests, b2.snapshotID)).rejects.toThrow();
    await expect(loadSnapshot(env.repo.manifests, b2.streamStoreID)).rejects.toThrow();
    expect((await listBackups(env.repo, "exchange")).filter((b) => b.resourceOwnerID === b2.resourceOwnerID).map((b) => b.ID)).toEqual([backupId]);
  });

  test("the real kopia binary verifies the repository", async () => {
    await env.repo.flush();
    const k = await kopiaSession(PASSWORD);
    try {
      await k.run(["repository", "connect", "filesystem", `--path=${env.repoPath}`, ...connectFlags(k)]);
      const snaps = await k.json(["snapshot", "list", "--all"]);
      expect(snaps.length).toBeGreaterThanOrEqual(2);
      const r1 = await k.run(["snapshot", "verify", "--verify-files-percent=100"]);
      expect(r1.code).toBe(0);
      const r2 = await k.run(["content", "verify", "--full"]);
      expect(r2.code).toBe(0);
      expect(r2.stderr).toMatch(/found 0 errors/);
      expect(r1.stderr + r2.stderr).not.toMatch(/[1-9]\d* errors|failed/i);
    } finally {
      await k.close();
    }
  }, 120_000);
});
