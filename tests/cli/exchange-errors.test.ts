// Bad input for the Exchange commands, through the binary against the simulator: each gets one
// clear `Error:` line and exit 1 (no stack trace, nothing half-done), and a Graph item that
// returns garbage JSON fails only that item — everything else is kept and reused by the next run.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../helpers/binary.ts";
import { completedIds, sampleFixture, startExchangeEnv, type ExchangeEnv } from "./exchange-env.ts";
import { stderrLines } from "./helpers.ts";

setDefaultTimeout(120_000);

let e: ExchangeEnv;
let backupId: string;
const NO_MAILBOX = "NoMail@contoso.onmicrosoft.com";
const UNKNOWN_ID = "11111111-2222-3333-4444-555555555555";

beforeAll(async () => {
  const fixture = sampleFixture();
  fixture.users!.push({
    id: "a1b2c3d4-0009-4a5b-8c9d-000000000009", userPrincipalName: NO_MAILBOX, displayName: "No Mail", mail: NO_MAILBOX,
    mailbox: false, onedrive: false,
  } as NonNullable<typeof fixture.users>[number]);
  e = await startExchangeEnv("exch-err", { fixture });
  const r = await e.ok(["backup", "create", "exchange", "--mailbox", "MeganB@contoso.onmicrosoft.com"]);
  backupId = completedIds(r)[0];
});

afterAll(async () => {
  await e?.cleanup();
});

/** Exit 1, nothing on stdout, exactly one `Error:` line (the last), containing `text`, no stack. */
function expectOneError(r: RunResult, text: string): void {
  const lines = stderrLines(r);
  const errs = lines.filter((l) => l.startsWith("Error: "));
  if (r.code !== 1 || errs.length !== 1) throw new Error(`expected exit 1 and one error line, got exit ${r.code}:\nstdout:${r.stdout}\nstderr:${r.stderr}`);
  expect(lines[lines.length - 1]).toBe(errs[0]);
  expect(errs[0]).toContain(text);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toContain("    at ");
  // Anything else on stderr is progress only.
  for (const l of lines.slice(0, -1)) expect(l).toMatch(/^(Connecting to repository|Exporting to folder .*)$/);
}

describe("backup create exchange: flag validation (Corso's messages, before anything is touched)", () => {
  const cases: [string[], string][] = [
    [[], "either --user or --mailbox flag is required"],
    [["--mailbox", "a@x", "--user", "b@y"], "cannot use both [mailbox, user] flags in the same command"],
    [["--mailbox", ""], "--user/--mailbox requires one or more email addresses or the wildcard '*'"],
    [["--mailbox", "a@x", "--data", "email,files"], "files is an unrecognized data type; must be one of contacts, email, or events"],
    [["--mailbox", "*", "--shard", "4/3"], `invalid argument "4/3" for "--shard" flag`],
    [["--mailbox", "*", "--shard", "x"], `invalid argument "x" for "--shard" flag`],
    [["--mailbox", "*", "--parallel-mailboxes", "0"], `invalid argument "0" for "--parallel-mailboxes" flag`],
  ];
  for (const [args, msg] of cases) {
    test(`${args.join(" ") || "(no flags)"} → ${msg}`, async () => {
      const r = await e.run(["backup", "create", "exchange", ...args]);
      expectOneError(r, msg);
      expect(r.stderr).not.toContain("Connecting");
    });
  }
});

describe("mailboxes", () => {
  test("unknown mailbox: one line, no backup made", async () => {
    const before = (await e.ok(["backup", "list", "exchange", "--json"])).stdout;
    const r = await e.run(["backup", "create", "exchange", "--mailbox", "nobody@contoso.onmicrosoft.com"]);
    expectOneError(r, "mailbox nobody@contoso.onmicrosoft.com not found");
    expect((await e.ok(["backup", "list", "exchange", "--json"])).stdout).toBe(before);
  });

  test("mailbox without Exchange: one line", async () => {
    const r = await e.run(["backup", "create", "exchange", "--mailbox", NO_MAILBOX]);
    expectOneError(r, `${NO_MAILBOX} has no Exchange Online mailbox`);
  });

  test("'*' skips users without a mailbox silently, as Corso does", async () => {
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", "*", "--data", "contacts"]);
    expect(completedIds(r).length).toBe(3);
    expect(r.stderr).not.toContain("Error");
    expect(r.stdout).not.toContain(NO_MAILBOX);
  });

  test("wrong Azure secret: one line naming the tenant and client", async () => {
    const r = await e.run(["backup", "create", "exchange", "--mailbox", "*", "--azure-client-secret", "wrong"]);
    expect(r.code).toBe(1);
    expect(stderrLines(r).pop()).toMatch(/^Error: .*AADSTS7000215/);
    expect(r.stderr).not.toContain("    at ");
  });

  test("missing Azure client id: Corso's message", async () => {
    const env = { ...e.env, AZURE_CLIENT_ID: "" };
    const r = await e.run(["backup", "create", "exchange", "--mailbox", "*"], env);
    expectOneError(r, "missing required storage configuration: AZURE_CLIENT_ID");
  });
});

describe("unknown backup ID", () => {
  test("details", async () => expectOneError(await e.run(["backup", "details", "exchange", "--backup", UNKNOWN_ID]), `no backup exists with the id ${UNKNOWN_ID}`));
  test("list --backup", async () => expectOneError(await e.run(["backup", "list", "exchange", "--backup", UNKNOWN_ID]), `No backup exists with the id ${UNKNOWN_ID}`));
  test("delete", async () => expectOneError(await e.run(["backup", "delete", "exchange", "--backup", UNKNOWN_ID]), "no backup exists"));
  test("export: nothing written", async () => {
    const dest = join(e.dir, "exp-unknown");
    expectOneError(await e.run(["export", "exchange", dest, "--backup", UNKNOWN_ID]), `no backup exists with the id ${UNKNOWN_ID}`);
    expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);
  });
  test("delete without IDs", async () => expectOneError(await e.run(["backup", "delete", "exchange"]), "either --backup or --backups flag is required"));
  test("details without --backup", async () => expectOneError(await e.run(["backup", "details", "exchange"]), `required flag(s) "backup" not set`));
});

describe("malformed time filters (refused before the repository is opened)", () => {
  const bad: [string, string][] = [
    ["--email-received-after", "yesterday"],
    ["--email-received-before", "2024-13-45T00:00:00Z"],
    ["--event-starts-after", "2022-01-01T00:00:00"],
    ["--event-starts-before", "1/2/2024"],
  ];
  for (const [flag, value] of bad) {
    test(`details ${flag} ${value}`, async () => {
      const r = await e.run(["backup", "details", "exchange", "--backup", backupId, flag, value]);
      expectOneError(r, `${flag}: "${value}"`);
      expect(r.stderr).not.toContain("Connecting");
    });
  }
  test("export --email-received-after garbage", async () => {
    const r = await e.run(["export", "exchange", join(e.dir, "exp-time"), "--backup", backupId, "--email-received-after", "soon"]);
    expectOneError(r, `--email-received-after: "soon"`);
  });
  test("--event-recurs maybe", async () => {
    expectOneError(await e.run(["backup", "details", "exchange", "--backup", backupId, "--event-recurs", "maybe"]), "--event-recurs");
  });
});

describe("export destination", () => {
  test("missing destination", async () => {
    expectOneError(await e.run(["export", "exchange", "--backup", backupId]), "missing export destination");
  });
  test("destination is a file", async () => {
    const f = join(e.dir, "a-file");
    writeFileSync(f, "x");
    expectOneError(await e.run(["export", "exchange", f, "--backup", backupId]), "is not a directory");
  });
  test("destination under a regular file (not creatable)", async () => {
    const f = join(e.dir, "another-file");
    writeFileSync(f, "x");
    expectOneError(await e.run(["export", "exchange", join(f, "sub", "dir"), "--backup", backupId]), "a parent is a file");
  });
  test("two destinations", async () => {
    const d = join(e.dir, "exp-two");
    mkdirSync(d, { recursive: true });
    expectOneError(await e.run(["export", "exchange", d, d, "--backup", backupId]), "missing export destination");
  });
});

describe("Graph returns garbage JSON for one item", () => {
  test("that item fails (exit 1, clear summary), every other item is kept and the next run fetches only it", async () => {
    const adele = e.sim.tenant.users().find((u) => u.userPrincipalName.startsWith("AdeleV"))!;
    const inbox = e.sim.tenant.folderId(adele.id, "mail", "inbox")!;
    const [bad] = e.sim.tenant.itemIds(inbox, 1);
    const total = e.sim.tenant.folders(adele.id, "mail").reduce((n, f) => n + f.itemCount, 0);
    e.sim.setFaults({ rules: [{ kind: "garbageJson", rate: 1, path: `/messages/${bad.replace(/\+/g, "\\+").replace(/=/g, "(=|%3D)")}$`, method: "GET" }] });
    const r = await e.run(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName, "--data", "email"]);
    e.sim.setFaults({});
    expect(r.code).toBe(1);
    const lines = stderrLines(r);
    expect(lines[lines.length - 1]).toMatch(/^Error: 1 of 1 backups failed: /);
    expect(lines[lines.length - 1]).toContain("AdeleV@contoso.onmicrosoft.com");
    expect(r.stderr).toContain("Error: Unable to complete backup");
    expect(r.stderr).not.toContain("    at ");
    // The saved (assist) backup is not listed, but `list --backup` shows it with the failed item.
    const assist = /assist backup ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
    expect(assist).toBeDefined();
    const listed = JSON.parse((await e.ok(["backup", "list", "exchange", "--json"])).stdout).map((b: any) => b.id);
    expect(listed).not.toContain(assist);
    const one = await e.ok(["backup", "list", "exchange", "--backup", assist!]);
    const failedRow = one.stdout.split("\n").find((l) => l.trim().startsWith("Error "));
    expect(failedRow).toBeDefined();
    expect(failedRow).toContain("invalid JSON");
    const hidden = await e.ok(["backup", "list", "exchange", "--backup", assist!, "--failed-items", "hide"]);
    expect(hidden.stdout.split("\n").some((l) => l.trim().startsWith("Error "))).toBe(false);
    // Nothing was lost: the next run downloads only the failed item; everything else comes from the saved data.
    const before = e.sim.requestLog().length;
    const r2 = await e.ok(["backup", "create", "exchange", "--mailbox", adele.userPrincipalName, "--data", "email"]);
    const gets = e.sim.requestLog().slice(before).filter((q) => q.method === "GET" && /\/messages\/(?!delta$)[^/]+$/.test(q.path));
    expect(gets.map((q) => decodeURIComponent(q.path.split("/").pop()!))).toEqual([bad]);
    const [id] = completedIds(r2);
    const details = JSON.parse((await e.ok(["backup", "details", "exchange", "--backup", id, "--json"])).stdout);
    expect(details.length).toBe(total);
    expect(details.some((d: any) => d.itemRef === bad)).toBe(true);
  });
});

describe("--json", () => {
  test("backup create --json: Corso's `Backup complete - ID:` and the list as JSON", async () => {
    const r = await e.ok(["backup", "create", "exchange", "--mailbox", "LeeG@contoso.onmicrosoft.com", "--data", "contacts", "--json"]);
    const id = /Backup complete - ID: (\S+)/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    expect(r.stdout).not.toContain("Bytes uploaded");
    const arr = JSON.parse(r.stdout);
    expect(arr.map((b: any) => b.id)).toEqual([id]);
    expect(arr[0].protectedResourceName).toBe("LeeG@contoso.onmicrosoft.com");
  });
});
