// Exchange end to end through the compiled binary against the Graph simulator (sample tenant),
// on a filesystem repository: backup → list → details (tables, --json, selectors) → export (EML,
// ICS, VCF, --archive) → incremental after adds/updates/deletes/moves → delete.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { ensurePythonTools } from "../../scripts/setup-tools.ts";
import { completedIds, listFiles, parseTables, ROOT, sampleFixture, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";
import { stderrLines } from "./helpers.ts";

setDefaultTimeout(120_000);

let e: ExchangeEnv;
let adele: { id: string; userPrincipalName: string };
const ids: Record<string, string> = {};

beforeAll(async () => {
  e = await startExchangeEnv("exch", { fixture: sampleFixture() });
  adele = e.sim.tenant.users().find((u) => u.userPrincipalName.startsWith("AdeleV"))!;
});

afterAll(async () => {
  await e?.cleanup();
});

const itemCount = (user: string, kind: "mail" | "contact" | "calendar") =>
  e.sim.tenant.folders(user, kind).reduce((n, f) => n + f.itemCount, 0);

async function detailsJson(id: string, ...flags: string[]): Promise<any[]> {
  const r = await e.ok(["backup", "details", "exchange", "--backup", id, "--json", ...flags]);
  if (r.stdout.trim() === "") return [];
  return JSON.parse(r.stdout);
}

describe("backup create exchange", () => {
  test("every mailbox: Corso's messages, one backup per mailbox, stats lines, Completed Backups table", async () => {
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*"]);
    const users = e.sim.tenant.users().filter((u) => u.mailbox);
    const got = completedIds(r);
    expect(got.length).toBe(users.length);
    expect(r.stderr).toContain("\nCompleted Backups:");
    const statLines = r.stdout.split("\n").filter((l) => l.startsWith("Bytes uploaded: "));
    expect(statLines.length).toBe(users.length);
    for (const l of statLines) expect(l).toMatch(/^Bytes uploaded: [\d.]+ (B|kB|MB) \| Items uploaded: \d+ \| Items skipped: 0 \| Errors: 0$/);
    const [table] = parseTables(r.stdout.split("\n").filter((l) => !l.startsWith("Bytes uploaded")).join("\n"));
    expect(table.headers).toEqual(["ID", "Started at", "Duration", "Status", "Protected resource", "Data"]);
    expect(table.rows.map((row) => row[0]).sort()).toEqual([...got].sort());
    for (const row of table.rows) {
      expect(row[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(row[2]).toMatch(/^[\d.]+(ns|µs|ms|s)$|^\d+m[\d.]+s$/);
      expect(row[3]).toBe("Completed");
      expect(row[5]).toBe("Contacts,Emails,Events");
      const user = users.find((u) => u.userPrincipalName === row[4]);
      expect(user).toBeDefined();
      ids[user!.userPrincipalName] = row[0];
    }
    // Progress never goes to stdout, and without a TTY there is no spinner.
    expect(r.stdout).not.toContain("\r");
    expect(r.stderr).not.toContain("\x1b[");
  });

  test("first backup equals the tenant: every item of every folder is in the details", async () => {
    for (const u of e.sim.tenant.users()) {
      const all = await detailsJson(ids[u.userPrincipalName]);
      const by = (t: number) => all.filter((x) => x.exchange?.itemType === t).length;
      expect(by(3)).toBe(itemCount(u.id, "mail"));
      expect(by(1)).toBe(itemCount(u.id, "contact"));
      expect(by(2)).toBe(itemCount(u.id, "calendar"));
      expect(all.length).toBe(by(1) + by(2) + by(3));
    }
  });

  test("--data contacts backs up only contacts (Data column)", async () => {
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName, "--data", "contacts"]);
    const [id] = completedIds(r);
    const all = await detailsJson(id);
    expect(all.length).toBe(itemCount(adele.id, "contact"));
    expect(all.every((x) => x.exchange.itemType === 1)).toBe(true);
    const list = await e.ok(["backup", "list", "exchange", "--backup", id]);
    expect(parseTables(list.stdout)[0].rows[0][5]).toBe("Contacts");
    ids.contactsOnly = id;
  });

  test("--user works as the deprecated alias; accepted-and-ignored Corso flags are accepted", async () => {
    const r = await e.ok([
      "backup", "create", "exchange", "--user", adele.userPrincipalName, "--data", "events", "--fetch-parallelism", "2",
      "--disable-delta", "--enable-immutable-id", "--delta-page-size", "100", "--disable-sliding-window-limiter",
    ]);
    expect(completedIds(r).length).toBe(1);
    ids.eventsOnly = completedIds(r)[0];
  });
});

describe("backup list exchange", () => {
  test("table and --json (Corso's Printable shape)", async () => {
    const r = await e.ok(["backup", "list", "exchange"]);
    const [t] = parseTables(r.stdout);
    expect(t.headers).toEqual(["ID", "Started at", "Duration", "Status", "Protected resource", "Data"]);
    expect(t.rows.length).toBe(5);
    const j = await e.ok(["backup", "list", "exchange", "--json"]);
    const arr = JSON.parse(j.stdout);
    expect(arr.length).toBe(5);
    for (const b of arr) {
      expect(Object.keys(b)).toEqual(expect.arrayContaining(["id", "status", "version", "stats"]));
      expect(b.version).toBe("0");
      expect(Object.keys(b.stats).sort()).toEqual(["bytesRead", "bytesUploaded", "endedAt", "errorCount", "id", "itemsRead", "itemsSkipped", "itemsWritten", "startedAt"]);
      expect(b.stats.id).toBe(b.id);
    }
    const adeleFull = arr.find((b: any) => b.id === ids[adele.userPrincipalName]);
    expect(adeleFull.protectedResourceID).toBe(adele.id);
    expect(adeleFull.protectedResourceName).toBe(adele.userPrincipalName);
    expect(adeleFull.stats.itemsWritten).toBeGreaterThan(0);
  });

  test("--backup ID prints one row; --json prints one object", async () => {
    const id = ids[adele.userPrincipalName];
    const r = await e.ok(["backup", "list", "exchange", "--backup", id]);
    const [t] = parseTables(r.stdout);
    expect(t.rows.length).toBe(1);
    expect(t.rows[0][0]).toBe(id);
    const j = JSON.parse((await e.ok(["backup", "list", "exchange", "--backup", id, "--json"])).stdout);
    expect(j.id).toBe(id);
    expect(Array.isArray(j.faults)).toBe(true);
  });
});

describe("backup details exchange", () => {
  test("one table per item type with Corso's columns", async () => {
    const r = await e.ok(["backup", "details", "exchange", "--backup", ids[adele.userPrincipalName]]);
    const tables = parseTables(r.stdout);
    const heads = tables.map((t) => t.headers.join("|")).sort();
    expect(heads).toEqual(["ID|Contact Name", "ID|Organizer|Subject|Starts|Ends|Recurring", "ID|Sender|Folder|Subject|Received"]);
    const mail = tables.find((t) => t.headers[1] === "Sender")!;
    expect(mail.rows.length).toBe(itemCount(adele.id, "mail"));
    for (const row of mail.rows) expect(row[0]).toMatch(/^[0-9a-f]{12}$/);
    const events = tables.find((t) => t.headers[1] === "Organizer")!;
    expect(events.rows.some((row) => row[5] === "true")).toBe(true);
    expect(events.rows.some((row) => row[5] === "false")).toBe(true);
  });

  test("--json: entries with repoRef, shortRef, locationRef and exchange info", async () => {
    const all = await detailsJson(ids[adele.userPrincipalName]);
    const m = all.find((x) => x.exchange.itemType === 3);
    expect(Object.keys(m)).toEqual(expect.arrayContaining(["repoRef", "shortRef", "parentRef", "locationRef", "itemRef", "exchange"]));
    expect(m.repoRef).toContain(`/exchange/${adele.id}/email/`);
    expect(Object.keys(m.exchange)).toEqual(expect.arrayContaining(["itemType", "sender", "subject", "parentPath", "received", "size"]));
  });

  test("selectors (§6.1): folders, subject, sender, times, recurrence, names, item IDs", async () => {
    const id = ids[adele.userPrincipalName];
    const all = await detailsJson(id);
    const mails = all.filter((x) => x.exchange.itemType === 3);
    const inInbox = mails.filter((x) => x.locationRef.split("/").includes("Inbox"));
    expect((await detailsJson(id, "--email-folder", "Inbox")).length).toBe(inInbox.length);
    const underProjects = mails.filter((x) => x.locationRef.startsWith("Inbox/Projects"));
    expect(underProjects.length).toBeGreaterThan(0);
    expect((await detailsJson(id, "--email-folder", "/Inbox/Projects")).length).toBe(underProjects.length);
    // A prefix must match whole elements.
    expect((await detailsJson(id, "--email-folder", "/Inbox/Proj")).length).toBe(0);
    const subj = await detailsJson(id, "--email-subject", "REVENUE");
    expect(subj.length).toBe(mails.filter((x) => /revenue/i.test(x.exchange.subject ?? "")).length);
    expect(subj.length).toBeGreaterThan(0);
    const sender = await detailsJson(id, "--email-sender", "leeg@");
    expect(sender.length).toBe(mails.filter((x) => /leeg@/i.test(x.exchange.sender ?? "")).length);
    const before = await detailsJson(id, "--email-received-before", "2024-05-01T00:00:00Z");
    expect(before.length).toBe(mails.filter((x) => x.exchange.received < "2024-05-01T00:00:00Z").length);
    expect(before.length).toBeGreaterThan(0);
    const after = await detailsJson(id, "--email-received-after", "01-May-2024_00:00");
    expect(after.length + before.length).toBe(mails.length);
    const recurring = await detailsJson(id, "--event-recurs", "true");
    expect(recurring.length).toBe(1);
    expect(recurring[0].exchange.eventRecurs).toBe(true);
    const late = await detailsJson(id, "--event-starts-after", "2024-07-01");
    expect(late.map((x) => x.exchange.subject)).toEqual(["Company holiday"]);
    const dana = await detailsJson(id, "--contact-name", "dana");
    expect(dana.map((x) => x.exchange.contactName)).toEqual(["Dana Swope"]);
    const suppliers = await detailsJson(id, "--contact-folder", "Suppliers");
    expect(suppliers.length).toBe(1);
    const one = await detailsJson(id, "--email", mails[0].shortRef);
    expect(one.map((x) => x.shortRef)).toEqual([mails[0].shortRef]);
    const nothing = await e.ok(["backup", "details", "exchange", "--backup", id, "--email-subject", "no such subject anywhere"]);
    expect(nothing.stdout).toBe("");
    expect(stderrLines(nothing)).toContain("no items match the provided selectors");
  });
});

describe("export exchange", () => {
  test("every item as EML/ICS/VCF in Corso's layout, files parse", async () => {
    const dest = join(e.dir, "export-all");
    const r = await e.ok(["export", "exchange", dest, "--backup", ids[adele.userPrincipalName]]);
    expect(r.stderr).toContain(`Exporting to folder ${dest}`);
    expect(r.stderr).toContain("Export details");
    const files = listFiles(dest);
    const emls = files.filter((f) => f.endsWith(".eml"));
    const icss = files.filter((f) => f.endsWith(".ics"));
    const vcfs = files.filter((f) => f.endsWith(".vcf"));
    expect(emls.length).toBe(itemCount(adele.id, "mail"));
    expect(icss.length).toBe(itemCount(adele.id, "calendar"));
    expect(vcfs.length).toBe(itemCount(adele.id, "contact"));
    expect(files.length).toBe(emls.length + icss.length + vcfs.length);
    expect(emls.every((f) => f.startsWith("Emails/"))).toBe(true);
    expect(emls.some((f) => f.startsWith("Emails/Inbox/Projects/Falcon/"))).toBe(true);
    expect(icss.every((f) => f.startsWith("Events/Calendar/"))).toBe(true);
    expect(vcfs.some((f) => f.startsWith("Contacts/Contacts/Suppliers/"))).toBe(true);
    expect(r.stderr).toContain(`Emails: ${emls.length} items`);
    for (const f of emls) {
      const text = readFileSync(join(dest, f), "utf8");
      const head = text.split(/\r?\n\r?\n/)[0];
      expect(head).toMatch(/^MIME-Version: 1\.0/im);
      expect(head).toMatch(/^Subject: /im);
      expect(head).toMatch(/^Content-Type: /im);
    }
    for (const f of icss) {
      const t = readFileSync(join(dest, f), "utf8");
      expect(t.startsWith("BEGIN:VCALENDAR")).toBe(true);
      expect(t).toContain("BEGIN:VEVENT");
      expect(t.trimEnd().endsWith("END:VCALENDAR")).toBe(true);
    }
    for (const f of vcfs) {
      const t = readFileSync(join(dest, f), "utf8");
      expect(t.startsWith("BEGIN:VCARD")).toBe(true);
      expect(t.trimEnd().endsWith("END:VCARD")).toBe(true);
    }
    // Independent parsers (the converter tests' pinned Python validators): Python's email package,
    // icalendar + vobject + recurring_ical_events, vobject for vCards.
    const python = ensurePythonTools();
    const check = (script: string, file: string, ...args: string[]) => {
      const r = Bun.spawnSync([python, join(ROOT, "tests/corso/export/py", script), join(dest, file), ...args], { stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`${script} ${file}: ${r.stderr.toString()}`);
      return JSON.parse(r.stdout.toString());
    };
    const entries = await detailsJson(ids[adele.userPrincipalName]);
    const byItem = new Map(entries.map((x) => [x.itemRef, x]));
    const base = (f: string) => f.split("/").pop()!.replace(/\.(eml|ics|vcf)$/, "");
    for (const f of emls) {
      const m = check("check_eml.py", f);
      expect(m.header_defects).toEqual([]);
      expect(m.mime_version).toBe("1.0");
      expect(m.subject ?? "").toBe(byItem.get(base(f))?.exchange.subject ?? "");
    }
    let occurrences = 0;
    for (const f of icss) {
      const c = check("check_ics.py", f, "2024-01-01", "2025-01-01");
      expect(c.tz_mismatches).toEqual([]);
      expect(c.events.length).toBeGreaterThanOrEqual(1);
      occurrences += c.occurrences.length;
    }
    // The weekly series expands to many occurrences (minus its cancellation).
    expect(occurrences).toBeGreaterThan(icss.length);
    for (const f of vcfs) {
      const v = check("check_vcf.py", f);
      expect(JSON.stringify(v)).toContain(byItem.get(base(f))!.exchange.contactName);
    }
  });

  test("selectors narrow the export; --archive writes one zip with the same layout", async () => {
    const dest = join(e.dir, "export-inbox");
    await e.ok(["export", "exchange", dest, "--backup", ids[adele.userPrincipalName], "--email-folder", "/Inbox"]);
    const files = listFiles(dest);
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.startsWith("Emails/Inbox/") && f.endsWith(".eml"))).toBe(true);

    const zdest = join(e.dir, "export-zip");
    await e.ok(["export", "exchange", zdest, "--backup", ids[adele.userPrincipalName], "--archive"]);
    const zfiles = listFiles(zdest);
    expect(zfiles.length).toBe(1);
    expect(zfiles[0]).toMatch(/^Corso_Export_.*\.zip$/);
    const entries = Object.keys(unzipSync(readFileSync(join(zdest, zfiles[0])))).filter((n) => !n.endsWith("/"));
    expect(entries.length).toBe(itemCount(adele.id, "mail") + itemCount(adele.id, "calendar") + itemCount(adele.id, "contact"));
    expect(entries.some((n) => n.startsWith("Emails/Inbox/"))).toBe(true);
  });
});

describe("incremental backup", () => {
  test("adds, updates, deletes and moves: only changed items are fetched, details follow the tenant", async () => {
    const inbox = e.sim.tenant.folderId(adele.id, "mail", "inbox")!;
    const projects = e.sim.tenant.folderId(adele.id, "mail", "Inbox/Projects")!;
    const [upd, del, mov] = e.sim.tenant.itemIds(inbox, 3);
    const added = e.sim.tenant.add({ op: "add", kind: "message", user: adele.id, folder: inbox, item: { subject: "Added for the incremental", body: { contentType: "text", content: "x" } } });
    e.sim.tenant.update(upd, { subject: "Updated for the incremental" });
    e.sim.tenant.delete(del);
    e.sim.tenant.move(mov, projects);
    const before = e.sim.requestLog().length;
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName]);
    const log = e.sim.requestLog().slice(before);
    const itemGets = log.filter((q) => q.method === "GET" && /\/messages\/(?!delta$)[^/]+$/.test(q.path));
    // The new, the updated and the moved message (a move is an add in the new folder); nothing else.
    expect(itemGets.length).toBeLessThanOrEqual(3);
    expect(itemGets.length).toBeGreaterThanOrEqual(2);
    expect(Number(/Items uploaded: (\d+)/.exec(r.stdout)![1])).toBeLessThanOrEqual(3);
    const [id] = completedIds(r);
    const mails = (await detailsJson(id)).filter((x) => x.exchange.itemType === 3);
    expect(mails.length).toBe(itemCount(adele.id, "mail"));
    const byRef = new Map(mails.map((x) => [x.itemRef, x]));
    expect(byRef.get(added)?.exchange.subject).toBe("Added for the incremental");
    expect(byRef.get(upd)?.exchange.subject).toBe("Updated for the incremental");
    expect(byRef.has(del)).toBe(false);
    expect(byRef.get(mov)?.locationRef).toBe("Inbox/Projects");
    ids.incremental = id;
  });

  test("no change: nothing uploaded, a backup is still recorded", async () => {
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName]);
    expect(r.stdout).toMatch(/Items uploaded: 0 \|/);
    const [id] = completedIds(r);
    expect((await detailsJson(id)).length).toBe((await detailsJson(ids.incremental)).length);
    ids.noChange = id;
  });
});

describe("backup delete exchange", () => {
  test("all or nothing: an unknown ID deletes nothing", async () => {
    const before = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"])).stdout).length;
    const r = await e.run(["backup", "delete", "exchange", "--backups", `${ids.noChange},00000000-0000-0000-0000-000000000000`]);
    expect(r.code).toBe(1);
    expect(stderrLines(r).pop()).toMatch(/^Error: Deleting backup \[.*\]: .*no backup exists/);
    expect(JSON.parse((await e.ok(["backup", "list", "exchange", "--json"])).stdout).length).toBe(before);
  });

  test("--backups a,b and --backup a delete; Corso's message; the backups are gone", async () => {
    const r = await e.ok(["backup", "delete", "exchange", "--backups", `${ids.contactsOnly},${ids.eventsOnly}`]);
    expect(stderrLines(r)).toContain(`Deleted Exchange backup [${ids.contactsOnly} ${ids.eventsOnly}]`);
    const r2 = await e.ok(["backup", "delete", "exchange", "--backup", ids.noChange]);
    expect(stderrLines(r2)).toContain(`Deleted Exchange backup [${ids.noChange}]`);
    const left = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"])).stdout).map((b: any) => b.id);
    expect(left).not.toContain(ids.contactsOnly);
    expect(left).not.toContain(ids.noChange);
    expect(left).toContain(ids.incremental);
    const gone = await e.run(["backup", "details", "exchange", "--backup", ids.noChange]);
    expect(gone.code).toBe(1);
    expect(stderrLines(gone).pop()).toContain(`no backup exists with the id ${ids.noChange}`);
    // The remaining backups still read back, and the repository checks clean.
    expect((await detailsJson(ids.incremental)).length).toBeGreaterThan(0);
    const v = await e.ok(["repo", "verify"]);
    expect(v.stderr).toContain("0 problems found");
    expect(existsSync(e.repo)).toBe(true);
  });
});
