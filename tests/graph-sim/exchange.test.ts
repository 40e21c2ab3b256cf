import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator, type TenantFixture } from "../../lib/graph-sim/index.ts";
import { client, FIXTURE, token } from "./helpers.ts";

let sim: Simulator;
let c: ReturnType<typeof client>;
const fx = JSON.parse(readFileSync(FIXTURE, "utf8")) as TenantFixture;
const ADELE = fx.users![0]!.id;
const LEE = fx.users![2]!.id;

beforeAll(async () => {
  sim = await startSimulator({ fixture: fx });
  c = client(sim, await token(sim));
});
afterAll(() => sim.stop());

describe("mail folders", () => {
  test("v1.0 lists top level; beta lists nested; hidden only on request", async () => {
    const top = await c.all(`/users/${ADELE}/mailFolders`);
    const names = top.values.map((f) => f.displayName);
    expect(names).toContain("Inbox");
    expect(names).not.toContain("Projects");
    expect(names).not.toContain("Clutter");
    expect(top.last["@odata.context"]).toBe(`${sim.graphBase}/$metadata#users('${ADELE}')/mailFolders`);
    const hidden = await c.all(`/users/${ADELE}/mailFolders?includeHiddenFolders=true`);
    expect(hidden.values.find((f) => f.displayName === "Clutter")?.isHidden).toBe(true);
    const beta = await c.all(`${sim.betaBase}/users/${ADELE}/mailFolders`, { Prefer: "odata.maxpagesize=999" });
    const falcon = beta.values.find((f) => f.displayName === "Falcon");
    const projects = beta.values.find((f) => f.displayName === "Projects");
    expect(falcon.parentFolderId).toBe(projects.id);
    const inbox = await c.get(`/users/${ADELE}/mailFolders/inbox`);
    expect(inbox.body.childFolderCount).toBe(1);
    expect(inbox.body.totalItemCount).toBe(4);
    const kids = await c.get(`/users/${ADELE}/mailFolders/${inbox.body.id}/childFolders`);
    expect(kids.body.value.map((f: any) => f.displayName)).toEqual(["Projects"]);
    const root = await c.get(`/users/${ADELE}/mailFolders/msgfolderroot?$select=id,displayName,parentFolderId`);
    expect(root.body.id).toBe(inbox.body.parentFolderId);
    expect(Object.keys(root.body).sort()).toEqual(["@odata.context", "displayName", "id", "parentFolderId"]);
  });

  test("paging follows nextLink with $top", async () => {
    const all = await c.all(`/users/${ADELE}/mailFolders?$top=3&includeHiddenFolders=true`);
    expect(all.pages).toBeGreaterThan(2);
    expect(new Set(all.values.map((f) => f.id)).size).toBe(all.values.length);
  });

  test("create folders; duplicates → 409 ErrorFolderExists; $filter by displayName", async () => {
    const made = await c.post(`/users/${ADELE}/mailFolders/msgfolderroot/childFolders`, { displayName: "Restore 1", isHidden: false });
    expect(made.status).toBe(201);
    const dup = await c.post(`/users/${ADELE}/mailFolders/msgfolderroot/childFolders`, { displayName: "restore 1" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("ErrorFolderExists");
    const found = await c.get(`/users/${ADELE}/mailFolders/msgfolderroot/childFolders?$filter=${encodeURIComponent("displayName eq 'Restore 1'")}`);
    expect(found.body.value.map((f: any) => f.id)).toEqual([made.body.id]);
  });

  test("mailbox-less user → MailboxNotEnabledForRESTAPI; unknown user → 404", async () => {
    const sim2 = await startSimulator({ fixture: { tenantId: "t2", users: [{ id: "nomb", userPrincipalName: "n@x.onmicrosoft.com", displayName: "No Box", mailbox: false }] } });
    try {
      const c2 = client(sim2, await token(sim2));
      const r = await c2.get(`/users/nomb/mailFolders/inbox`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("MailboxNotEnabledForRESTAPI");
      expect((await c2.get(`/users/nomb/mailboxSettings`)).body.error.code).toBe("MailboxNotEnabledForRESTAPI");
      expect((await c2.get(`/users/ghost/mailFolders/inbox`)).body.error.code).toBe("ErrorInvalidUser");
    } finally {
      await sim2.stop();
    }
  });
});

describe("messages", () => {
  test("item GET with $expand=attachments: file, inline cid image, item attachment", async () => {
    const m = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG93AAA%3D?$expand=attachments`);
    expect(m.status).toBe(200);
    expect(m.body.subject).toBe("Q3 revenue report");
    const a = m.body.attachments[0];
    expect(a["@odata.type"]).toBe("#microsoft.graph.fileAttachment");
    expect(Buffer.from(a.contentBytes, "base64").toString()).toStartWith("Quarter,Revenue");
    const inline = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG94AAA=/attachments`);
    expect(inline.body.value[0].isInline).toBe(true);
    expect(inline.body.value[0].contentId).toBe("logo001@contoso.com");
    const plain = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG95AAA=/attachments`);
    expect(plain.body.value[0]["@odata.type"]).toBe("#microsoft.graph.itemAttachment");
    expect(plain.body.value[0].item).toBeUndefined();
    const expanded = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG95AAA=/attachments?$expand=microsoft.graph.itemattachment/item`);
    expect(expanded.body.value[0].item.subject).toBe("Contract draft");
    const one = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG95AAA=/attachments/${encodeURIComponent(plain.body.value[0].id)}`);
    expect(one.body["@odata.context"]).toContain("/attachments/$entity");
    const req = await c.get(`/users/${ADELE}/messages/AAMkAGI2TG96AAA=`);
    expect(req.body["@odata.type"]).toBe("#microsoft.graph.eventMessageRequest");
    expect(req.body.meetingMessageType).toBe("meetingRequest");
    expect((await c.get(`/users/${ADELE}/messages/AAMkAGnope=`)).body.error.code).toBe("ErrorItemNotFound");
    const megan = fx.users![1]!.id;
    const ref = await c.get(`/users/${megan}/messages/${sim.tenant.itemIds(sim.tenant.folderId(megan, "mail", "inbox")!, 20).find((id) => sim.tenant.item(id)?.subject === "Launch checklist")}/attachments`);
    expect(ref.body.value[0]["@odata.type"]).toBe("#microsoft.graph.referenceAttachment");
    expect(ref.body.value[0].contentBytes).toBeUndefined();
  });

  test("generated messages have generated attachments with deterministic bytes", async () => {
    const archive = sim.tenant.folderId(ADELE, "mail", "archive")!;
    const ids = sim.tenant.itemIds(archive, 25);
    expect(ids.length).toBe(25);
    const withAtt = (await Promise.all(ids.slice(0, 8).map((id) => c.get(`/users/${ADELE}/messages/${id}?$select=hasAttachments`)))).findIndex((r) => r.body.hasAttachments);
    expect(withAtt).toBeGreaterThanOrEqual(0);
    const a1 = await c.get(`/users/${ADELE}/messages/${ids[withAtt]}/attachments`);
    const a2 = await c.get(`/users/${ADELE}/messages/${ids[withAtt]}/attachments`);
    expect(a1.body.value[0].contentBytes.length).toBeGreaterThan(0);
    expect(a1.body.value[0].contentBytes).toBe(a2.body.value[0].contentBytes);
    expect(Buffer.from(a1.body.value[0].contentBytes, "base64").length).toBe(a1.body.value[0].size);
  });

  test("delta: initial pages, then only adds/updates/deletes/moves since the token", async () => {
    const sim3 = await startSimulator({ seed: 5, users: 1, messages: 23, folders: 1 });
    try {
      const c3 = client(sim3, await token(sim3));
      const u = sim3.tenant.users()[0]!.id;
      const inbox = sim3.tenant.folderId(u, "mail", "inbox")!;
      const other = sim3.tenant.folderId(u, "mail", "Inbox/Folder 1")!;
      const first = await c3.all(`/users/${u}/mailFolders/${inbox}/messages/delta?$select=id,lastModifiedDateTime`, { Prefer: "odata.maxpagesize=5" });
      expect(first.values.length).toBe(12);
      expect(first.pages).toBe(3);
      expect((await c3.get(`/users/${u}/mailFolders/${inbox}/messages/delta`, { Prefer: "odata.maxpagesize=5" })).headers.get("preference-applied")).toBe("odata.maxpagesize=5");
      expect(Object.keys(first.values[0]).sort()).toEqual(["@odata.etag", "@odata.type", "id", "lastModifiedDateTime"]);
      const link1 = first.last["@odata.deltaLink"] as string;
      expect(link1).toContain("$deltatoken=");

      const empty = await c3.all(link1);
      expect(empty.values).toEqual([]);

      const ids = sim3.tenant.itemIds(inbox, 12);
      const added = sim3.tenant.add({ op: "add", kind: "message", user: u, folder: inbox, item: { subject: "new one" } });
      sim3.tenant.update(ids[0]!, { subject: "changed" });
      sim3.tenant.delete(ids[1]!);
      sim3.tenant.move(ids[2]!, other);
      const second = await c3.all(link1);
      const byId = new Map(second.values.map((v) => [v.id, v]));
      expect(byId.size).toBe(4);
      expect(byId.get(added)?.["@removed"]).toBeUndefined();
      expect(byId.get(ids[0]!)?.lastModifiedDateTime).toBeDefined();
      expect(byId.get(ids[1]!)?.["@removed"]).toEqual({ reason: "deleted" });
      expect(byId.get(ids[2]!)?.["@removed"]).toEqual({ reason: "deleted" });
      // the moved message shows up as an add in the destination folder's delta
      const dest = await c3.all(`/users/${u}/mailFolders/${other}/messages/delta`);
      expect(dest.values.map((v) => v.id)).toContain(ids[2]!);
      const third = await c3.all(second.last["@odata.deltaLink"]);
      expect(third.values).toEqual([]);
      // POSTed messages appear in the next delta as well
      const posted = await c3.post(`/users/${u}/mailFolders/${inbox}/messages`, { subject: "restored", body: { contentType: "text", content: "x" }, singleValueExtendedProperties: [{ id: "Integer 0x0E07", value: "4" }, { id: "SystemTime 0x0E06", value: "2020-01-02T03:04:05Z" }] });
      expect(posted.status).toBe(201);
      expect(posted.body.isDraft).toBe(false);
      expect(posted.body.receivedDateTime).toBe("2020-01-02T03:04:05Z");
      const fourth = await c3.all(third.last["@odata.deltaLink"]);
      expect(fourth.values.map((v) => v.id)).toEqual([posted.body.id]);
    } finally {
      await sim3.stop();
    }
  });

  test("delta tokens expire → 410 SyncStateNotFound; garbage token → SyncStateInvalid", async () => {
    const sim4 = await startSimulator({ seed: 2, users: 1, messages: 3, deltaTokenTtlSec: 1 });
    try {
      const c4 = client(sim4, await token(sim4));
      const u = sim4.tenant.users()[0]!.id;
      const first = await c4.all(`/users/${u}/mailFolders/inbox/messages/delta`);
      await Bun.sleep(1100); // ttl is 1 s
      const r = await c4.get(first.last["@odata.deltaLink"]);
      expect(r.status).toBe(410);
      expect(r.body.error.code).toBe("SyncStateNotFound");
      const bad = await c4.get(`/users/${u}/mailFolders/inbox/messages/delta?$deltatoken=zzz`);
      expect(bad.body.error.code).toBe("SyncStateInvalid");
    } finally {
      await sim4.stop();
    }
  });

  test("attachment upload session: chunked PUT with Content-Range, Location of the new attachment", async () => {
    const folder = sim.tenant.folderId(ADELE, "mail", "drafts")!;
    const m = await c.post(`/users/${ADELE}/mailFolders/${folder}/messages`, { subject: "with big attachment" });
    const s = await c.post(`/users/${ADELE}/mailFolders/${folder}/messages/${m.body.id}/attachments/createUploadSession`, { AttachmentItem: { attachmentType: "file", name: "big.bin", size: 10 } });
    expect(s.status).toBe(201);
    expect(s.body.nextExpectedRanges).toEqual(["0-"]);
    const put = (range: string, body: string) => fetch(s.body.uploadUrl, { method: "PUT", headers: { "Content-Range": range }, body });
    const p1 = await put("bytes 0-3/10", "0123");
    expect(p1.status).toBe(200);
    expect(((await p1.json()) as any).nextExpectedRanges).toEqual(["4-"]);
    expect((await put("bytes 6-9/10", "6789")).status).toBe(416);
    const p2 = await put("bytes 4-9/10", "456789");
    expect(p2.status).toBe(201);
    expect(p2.headers.get("location")).toContain("/attachments('");
    const atts = await c.get(`/users/${ADELE}/messages/${m.body.id}/attachments`);
    expect(Buffer.from(atts.body.value[0].contentBytes, "base64").toString()).toBe("0123456789");
    const small = await c.post(`/users/${ADELE}/messages/${m.body.id}/attachments`, { "@odata.type": "#microsoft.graph.fileAttachment", name: "s.txt", contentBytes: Buffer.from("hi").toString("base64") });
    expect(small.status).toBe(201);
    expect(small.body.size).toBe(2);
    expect((await c.get(`/users/${ADELE}/messages/${m.body.id}?$select=hasAttachments`)).body.hasAttachments).toBe(true);
  });
});

describe("contacts", () => {
  test("folders nested, delta, item GET", async () => {
    const root = await c.get(`/users/${ADELE}/contactFolders/contacts?$select=id,displayName,parentFolderId`);
    expect(root.body.displayName).toBe("Contacts");
    const kids = await c.get(`/users/${ADELE}/contactFolders/${root.body.id}/childFolders`);
    expect(kids.body.value.map((f: any) => f.displayName)).toEqual(["Suppliers"]);
    const d = await c.all(`/users/${ADELE}/contactFolders/${root.body.id}/contacts/delta?$select=id,lastModifiedDateTime`);
    expect(d.values.length).toBe(2);
    const one = await c.get(`/users/${ADELE}/contacts/${d.values[0].id}`);
    expect(one.body.displayName).toBe("Dana Swope");
    const made = await c.post(`/users/${ADELE}/contactFolders`, { displayName: "Restored" });
    expect(made.status).toBe(201);
    const ct = await c.post(`/users/${ADELE}/contactFolders/${made.body.id}/contacts`, { givenName: "X", surname: "Y", emailAddresses: [{ address: "x@y.com" }] });
    expect(ct.body.parentFolderId).toBe(made.body.id);
  });
});

describe("events", () => {
  test("calendars, recurring series with exception + cancellation, instances, all-day", async () => {
    const cals = await c.get(`/users/${ADELE}/calendars`);
    expect(cals.body.value[0].owner.address).toBe("AdeleV@contoso.onmicrosoft.com");
    const master = await c.get(`${sim.betaBase}/users/${ADELE}/events/AAMkAGI2Ev01AAA=?$expand=exceptionOccurrences`);
    expect(master.body.type).toBe("seriesMaster");
    expect(master.body.cancelledOccurrences).toEqual(["OID.AAMkAGI2Ev01AAA=.2024-05-27"]);
    expect(master.body.exceptionOccurrences.length).toBe(1);
    expect(master.body.exceptionOccurrences[0].type).toBe("exception");
    expect(master.body.exceptionOccurrences[0].start.dateTime).toStartWith("2024-05-20T14:00:00");
    const inst = await c.get(`/users/${ADELE}/events/AAMkAGI2Ev01AAA=/instances?startDateTime=2024-05-01T00:00:00Z&endDateTime=2024-07-01T00:00:00Z&$top=50`);
    const dates = inst.body.value.map((e: any) => e.start.dateTime.slice(0, 10));
    expect(dates).toEqual(["2024-05-06", "2024-05-13", "2024-05-20", "2024-06-03", "2024-06-10", "2024-06-17", "2024-06-24"]);
    expect(inst.body.value[2].type).toBe("exception");
    expect(inst.body.value[0].seriesMasterId).toBe("AAMkAGI2Ev01AAA=");
    // Corso restore: one-day instance lookup, then DELETE cancels that occurrence
    const day = await c.get(`/users/${ADELE}/events/AAMkAGI2Ev01AAA=/instances?startDateTime=2024-06-10T00:00:00Z&endDateTime=2024-06-11T00:00:00Z&$select=id`);
    expect(day.body.value.length).toBe(1);
    expect((await c.del(`/users/${ADELE}/events/${day.body.value[0].id}`)).status).toBe(204);
    const after = await c.get(`${sim.betaBase}/users/${ADELE}/events/AAMkAGI2Ev01AAA=`);
    expect(after.body.cancelledOccurrences).toContain("OID.AAMkAGI2Ev01AAA=.2024-06-10");
    // attachments on an occurrence (Corso reconciles exception attachments per instance)
    const occ = await c.get(`/users/${ADELE}/events/AAMkAGI2Ev01AAA=/instances?startDateTime=2024-06-17T00:00:00Z&endDateTime=2024-06-18T00:00:00Z`);
    const occId = occ.body.value[0].id;
    const up = await c.post(`/users/${ADELE}/calendars/${cals.body.value[0].id}/events/${occId}/attachments`, { "@odata.type": "#microsoft.graph.fileAttachment", name: "notes.txt", contentBytes: Buffer.from("n").toString("base64") });
    expect(up.status).toBe(201);
    expect((await c.get(`/users/${ADELE}/events/${occId}/attachments`)).body.value.map((a: any) => a.name)).toEqual(["notes.txt"]);
    expect((await c.get(`/users/${ADELE}/events/${occId}`)).body.type).toBe("exception");
    expect((await c.del(`/users/${ADELE}/events/${occId}/attachments/${encodeURIComponent(up.body.id)}`)).status).toBe(204);
    const allDay = await c.get(`/users/${ADELE}/events/AAMkAGI2Ev02AAA=`);
    expect(allDay.body.isAllDay).toBe(true);
    const atts = await c.get(`/users/${ADELE}/events/AAMkAGI2Ev03AAA=/attachments`);
    expect(atts.body.value[0].name).toBe("agenda.txt");
    const delta = await c.all(`${sim.betaBase}/users/${ADELE}/calendars/${cals.body.value[0].id}/events/delta?$select=id`);
    expect(delta.values.length).toBe(3);
    const view = await c.all(`/users/${ADELE}/calendarView/delta?startDateTime=2024-05-01T00:00:00Z&endDateTime=2024-06-01T00:00:00Z`);
    expect(view.values.length).toBe(4); // 3 weekly occurrences in May (one cancelled) + the design review
    expect(view.last["@odata.deltaLink"]).toBeDefined();
  });

  test("create calendar and events; duplicate calendar name → ErrorFolderExists", async () => {
    const cal = await c.post(`/users/${ADELE}/calendars`, { name: "Restored cal" });
    expect(cal.status).toBe(201);
    expect((await c.post(`/users/${ADELE}/calendars`, { name: "Restored cal" })).body.error.code).toBe("ErrorFolderExists");
    const ev = await c.post(`${sim.betaBase}/users/${ADELE}/calendars/${cal.body.id}/events`, { subject: "s", start: { dateTime: "2024-01-01T10:00:00", timeZone: "UTC" }, end: { dateTime: "2024-01-01T11:00:00", timeZone: "UTC" } });
    expect(ev.status).toBe(201);
    expect(ev.body.type).toBe("singleInstance");
    const list = await c.get(`/users/${ADELE}/calendars/${cal.body.id}/events?$select=id,subject`);
    expect(list.body.value.map((e: any) => e.id)).toEqual([ev.body.id]);
  });

  test("user without OneDrive: mysite not found", async () => {
    const r = await c.get(`/users/${LEE}/drive`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("ResourceNotFound");
    expect(r.body.error.message).toContain("mysite not found");
  });
});

describe("admin add behaves like the Graph POST route", () => {
  test("attachments set hasAttachments; recurring series keep exceptions and cancellations", async () => {
    const msgId = sim.tenant.add({
      op: "add", kind: "message", user: ADELE, folder: "Inbox",
      item: { subject: "with file", attachments: [{ "@odata.type": "#microsoft.graph.fileAttachment", name: "a.txt", contentBytes: "aGVsbG8=" }] },
    });
    const msg = await c.get(`/users/${ADELE}/messages/${msgId}`);
    expect(msg.body.hasAttachments).toBe(true);
    const atts = await c.get(`/users/${ADELE}/messages/${msgId}/attachments`);
    expect(atts.body.value.map((a: any) => a.name)).toEqual(["a.txt"]);

    const evId = sim.tenant.add({
      op: "add", kind: "event", user: ADELE, folder: "Calendar",
      item: {
        subject: "weekly",
        start: { dateTime: "2024-06-03T10:00:00.0000000", timeZone: "UTC" },
        end: { dateTime: "2024-06-03T11:00:00.0000000", timeZone: "UTC" },
        recurrence: {
          pattern: { type: "weekly", interval: 1, daysOfWeek: ["monday"], firstDayOfWeek: "sunday" },
          range: { type: "numbered", startDate: "2024-06-03", numberOfOccurrences: 4 },
        },
        cancelledOccurrences: ["2024-06-10"],
      },
    });
    const ev = await c.get(`${sim.betaBase}/users/${ADELE}/events/${evId}?$expand=exceptionOccurrences`);
    expect(ev.body.type).toBe("seriesMaster");
    expect(ev.body.cancelledOccurrences.length).toBe(1);
    expect(String(ev.body.cancelledOccurrences[0]).endsWith("2024-06-10")).toBe(true);
  });
});
