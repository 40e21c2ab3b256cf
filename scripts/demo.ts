// `npm run demo` (= `bun scripts/demo.ts`): corso end to end against the Microsoft Graph simulator.
// Builds (or reuses) the corso binary, starts the simulator in this process with the sample
// tenant, initializes a filesystem repository in a temp dir, backs up every mailbox, lists,
// shows details, changes the tenant (add, update, delete, move), runs an incremental backup,
// exports to a folder and lists the exported files. Every step prints the command it runs and
// its output; the script exits non-zero if any step fails, and removes its temp dir
// (`--keep` keeps it).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { startSimulator, type Simulator, type TenantFixture } from "../lib/graph-sim/index.ts";

const ROOT = join(import.meta.dir, "..");
const keep = process.argv.includes("--keep");
const color = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_: number, s: string) => s;
const bold = (s: string) => color(1, s);
const dim = (s: string) => color(2, s);

async function binary(): Promise<string> {
  const helper = join(ROOT, "tests/helpers/binary.ts");
  if (existsSync(helper)) {
    const { ensureBinary } = await import(helper);
    return ensureBinary();
  }
  const out = join(ROOT, "dist", "corso");
  const r = Bun.spawnSync([process.execPath, "build", "--compile", join(ROOT, "cli.ts"), "--outfile", out], { cwd: ROOT });
  if (r.exitCode !== 0) throw new Error(`bun build failed: ${r.stderr}`);
  return out;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let failed = 0;
let step = 0;

function heading(text: string): void {
  step++;
  console.log(`\n${bold(`── ${step}. ${text}`)}`);
}

function indent(s: string): string {
  return s.replace(/\s+$/, "").split("\n").map((l) => `  ${l}`).join("\n");
}

async function corso(bin: string, env: Record<string, string>, args: string[], opts: { quietStdout?: boolean; maxLines?: number } = {}): Promise<Run> {
  const shown = args.map((a) => (/[\s*'"]/.test(a) ? `'${a}'` : a)).join(" ");
  console.log(bold(`$ corso ${shown}`));
  // One pipe for stdout and stderr, so messages and results show in the order corso wrote them.
  const p = Bun.spawn(["sh", "-c", 'exec "$0" "$@" 2>&1', bin, ...args], { env, stdout: "pipe", stdin: "ignore" });
  const [output, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  const max = opts.maxLines ?? 40;
  const lines = output.replace(/\s+$/, "").split("\n");
  const shownText = lines.length > max ? [...lines.slice(0, max), dim(`… (${lines.length - max} more lines)`)].join("\n") : lines.join("\n");
  if (output.trim() && !opts.quietStdout) console.log(indent(shownText));
  const stdout = output;
  const stderr = output;
  if (code !== 0) {
    failed++;
    const missing = /Cannot find module|Cannot find package|not yet available/i.test(stderr);
    console.log(color(31, missing ? `  ✗ step unavailable: the library behind this command is not in this build yet` : `  ✗ exit code ${code}`));
  }
  return { code, stdout, stderr };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)}  (${statSync(p).size} bytes)`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

async function main(): Promise<number> {
  console.log(bold("corso demo: Exchange backup, incremental and export against the Graph simulator"));
  const bin = await binary();
  console.log(dim(`binary: ${relative(process.cwd(), bin) || bin}`));

  const fixture = JSON.parse(readFileSync(join(ROOT, "lib/graph-sim/fixtures/sample-tenant.json"), "utf8")) as TenantFixture;
  const sim: Simulator = await startSimulator({ fixture });
  const work = mkdtempSync(join(tmpdir(), "corso-demo-"));
  const home = join(work, "home");
  const repo = join(work, "repo");
  const exportDir = join(work, "export");
  mkdirSync(home, { recursive: true });
  console.log(`simulator:  ${sim.url} (tenant ${sim.tenantId}, ${sim.tenant.users().length} users)`);
  console.log(`work dir:   ${work}${keep ? "" : " (removed at the end; --keep keeps it)"}`);
  console.log(`repository: ${repo}`);

  // The binary reaches the simulator only through the documented Graph/login endpoint settings.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    CORSO_PASSPHRASE: "demo passphrase, do not use",
    AZURE_TENANT_ID: sim.tenantId,
    AZURE_CLIENT_ID: sim.clientId,
    AZURE_CLIENT_SECRET: sim.clientSecret,
    CORSO_GRAPH_URL: sim.url,
    CORSO_LOGIN_URL: sim.loginBase,
  };
  console.log(dim(`env:        CORSO_GRAPH_URL=${sim.url} CORSO_LOGIN_URL=${sim.loginBase} AZURE_TENANT_ID=… AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=…`));

  try {
    heading("Initialize a filesystem repository");
    if ((await corso(bin, env, ["repo", "init", "filesystem", "--path", repo])).code !== 0) return 1;
    await corso(bin, env, ["repo", "connect", "filesystem", "--path", repo]);

    heading("Back up every mailbox");
    const first = await corso(bin, env, ["backup", "create", "exchange", "--mailbox", "*"]);
    const ids = [...first.stderr.matchAll(/Backup complete ∙ (\S+)/g)].map((m) => m[1]);

    heading("List the backups");
    const list = await corso(bin, env, ["backup", "list", "exchange"]);

    const adele = sim.tenant.users().find((u) => u.userPrincipalName.startsWith("AdeleV")) ?? sim.tenant.users()[0];
    const adeleId = list.stdout
      .split("\n")
      .find((l) => l.includes(adele.userPrincipalName) || l.includes(adele.displayName))
      ?.trim()
      .split(/\s+/)[0] ?? ids[0];

    heading(`Show what the backup of ${adele.userPrincipalName} holds`);
    if (adeleId) {
      await corso(bin, env, ["backup", "details", "exchange", "--backup", adeleId]);
      await corso(bin, env, ["backup", "details", "exchange", "--backup", adeleId, "--email-folder", "Inbox", "--email-subject", "e"], { maxLines: 10 });
    } else console.log("  (no backup to show)");

    heading("Change the tenant: add, update, delete and move items");
    const inbox = sim.tenant.folderId(adele.id, "mail", "inbox")!;
    const inboxItems = sim.tenant.itemIds(inbox, 10);
    const added = sim.tenant.add({ op: "add", kind: "message", user: adele.id, folder: inbox, item: { subject: "Added after the first backup", body: { contentType: "text", content: "hello again" }, from: { emailAddress: { name: "Megan Bowen", address: "MeganB@contoso.onmicrosoft.com" } } } });
    console.log(`  added message ${added} to Inbox`);
    if (inboxItems[0]) {
      sim.tenant.update(inboxItems[0], { subject: "Updated subject" });
      console.log(`  updated message ${inboxItems[0]}`);
    }
    if (inboxItems[1]) {
      sim.tenant.delete(inboxItems[1]);
      console.log(`  deleted message ${inboxItems[1]}`);
    }
    const other = sim.tenant.folders(adele.id, "mail").find((f) => f.id !== inbox && !/^(Deleted|Junk|Outbox|Drafts|Sent|Archive|Clutter|Conversation)/.test(f.path));
    if (inboxItems[2] && other) {
      sim.tenant.move(inboxItems[2], other.id);
      console.log(`  moved message ${inboxItems[2]} to ${other.path}`);
    }
    const contacts = sim.tenant.folderId(adele.id, "contact", "contacts")!;
    const contact = sim.tenant.add({ op: "add", kind: "contact", user: adele.id, folder: contacts, item: { displayName: "Demo Contact", givenName: "Demo", surname: "Contact", emailAddresses: [{ address: "demo@example.com", name: "Demo Contact" }] } });
    console.log(`  added contact ${contact}`);

    heading(`Incremental backup of ${adele.userPrincipalName}`);
    const before = sim.counters();
    const incr = await corso(bin, env, ["backup", "create", "exchange", "--mailbox", adele.userPrincipalName]);
    const after = sim.counters();
    const mailGets = (after.byClass.mail ?? 0) - (before.byClass.mail ?? 0);
    console.log(`  Graph requests for the incremental: ${after.requests - before.requests} (mail ${mailGets}, contacts ${(after.byClass.contacts ?? 0) - (before.byClass.contacts ?? 0)}, events ${(after.byClass.events ?? 0) - (before.byClass.events ?? 0)})`);
    const uploaded = /Items uploaded: (\d+)/.exec(incr.stdout);
    if (uploaded) console.log(`  items fetched and uploaded: ${uploaded[1]} — everything unchanged was carried over from the first backup`);
    const incrId = /Backup complete ∙ (\S+)/.exec(incr.stderr)?.[1];

    heading("List again");
    await corso(bin, env, ["backup", "list", "exchange"]);

    heading("Export the incremental backup to a folder");
    if (incrId) {
      await corso(bin, env, ["export", "exchange", exportDir, "--backup", incrId]);
      const files = listFiles(exportDir);
      console.log(bold(`$ find ${relative(work, exportDir)} -type f`) + dim(` (${files.length} files)`));
      console.log(indent(files.slice(0, 40).join("\n") + (files.length > 40 ? `\n… (${files.length - 40} more)` : "")));
      const eml = files.find((f) => f.includes(".eml"));
      if (eml) {
        const path = join(exportDir, eml.split("  (")[0]);
        console.log(bold(`$ head -12 ${relative(work, path)}`));
        console.log(indent(readFileSync(path, "utf8").split(/\r?\n/).slice(0, 12).join("\n")));
      }
    } else {
      failed++;
      console.log("  ✗ no incremental backup ID to export");
    }

    heading("Repository check");
    await corso(bin, env, ["repo", "verify"]);
  } finally {
    await sim.stop();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
  console.log(failed === 0 ? bold("\n✓ demo finished: every step succeeded") : color(31, `\n✗ demo finished with ${failed} failed step(s)`));
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`demo: ${(e as Error).message}`);
    process.exit(1);
  },
);
