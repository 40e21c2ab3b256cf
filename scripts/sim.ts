// Runs the Microsoft Graph simulator until SIGINT/SIGTERM.
//   bun run sim -- --port 8080 --fixture lib/graph-sim/fixtures/sample-tenant.json
//   bun run sim -- --port 8080 --seed 7 --users 3 --messages 1000 --events 50 --contacts 50 --files 20 --file-size 65536
import { readFileSync } from "node:fs";
import { CorsoError } from "../lib/errors.ts";
import { startSimulator, type FaultConfig, type Limits, type SimOptions, type TenantFixture } from "../lib/graph-sim/index.ts";

const NUM: Record<string, keyof SimOptions> = {
  "--port": "port", "--seed": "seed", "--users": "users", "--messages": "messages", "--events": "events", "--contacts": "contacts",
  "--files": "files", "--file-size": "fileSize", "--folders": "folders", "--token-lifetime": "tokenLifetimeSec",
  "--delta-ttl": "deltaTokenTtlSec", "--download-ttl": "downloadUrlTtlSec",
};

const LIMIT: Record<string, keyof Limits> = {
  "--mailbox-concurrency": "mailboxConcurrency", "--mailbox-requests": "mailboxRequestsPerWindow", "--mailbox-window": "mailboxWindowSec",
  "--ru-per-minute": "driveResourceUnitsPerMinute",
};

function usage(msg: string): never {
  console.error(`sim: ${msg}`);
  console.error("usage: bun run sim -- --port N [--fixture tenant.json | --seed S --users U --messages M --events E --contacts C --files F --file-size B --folders K] [--latency-ms N] [--latency-per-kb-ms N] [--mailbox-concurrency N] [--mailbox-requests N] [--mailbox-window S] [--ru-per-minute N] [--faults JSON] [--token-lifetime S] [--delta-ttl S] [--download-ttl S] [--log]");
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts: SimOptions = {};
  const latency = { fixedMs: 0, perKbMs: 0 };
  let faults: FaultConfig | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") continue;
    if (a === "--log") { opts.log = true; continue; }
    if (a === "--help" || a === "-h") usage("help");
    const v = args[++i];
    if (v === undefined) usage(`${a} needs a value`);
    if (a === "--fixture") {
      let text: string;
      try { text = readFileSync(v!, "utf8"); } catch { usage(`cannot read fixture ${v}`); }
      try { opts.fixture = JSON.parse(text!) as TenantFixture; } catch { usage(`fixture ${v} is not valid JSON`); }
    } else if (a === "--faults") {
      try { faults = JSON.parse(v!) as FaultConfig; } catch { usage("--faults must be JSON, e.g. '{\"503\":0.1}'"); }
    } else if (LIMIT[a]) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) usage(`${a} must be a positive integer`);
      opts.limits = { ...(opts.limits ?? {}), [LIMIT[a]!]: n };
    } else if (a === "--latency-ms" || a === "--latency-per-kb-ms") {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) usage(`${a} must be a non-negative number`);
      if (a === "--latency-ms") latency.fixedMs = n; else latency.perKbMs = n;
      opts.latency = latency;
    } else if (NUM[a]) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) usage(`${a} must be a non-negative integer`);
      (opts as Record<string, unknown>)[NUM[a]!] = n;
    } else usage(`unknown flag ${a}`);
  }
  const sim = await startSimulator(opts);
  if (faults) {
    try { sim.setFaults(faults); } catch (e) { await sim.stop(); usage(e instanceof CorsoError ? e.message : String(e)); }
  }
  console.log(`listening on ${sim.url}`);
  console.log(`tenant id:     ${sim.tenantId}`);
  console.log(`client id:     ${sim.clientId}`);
  console.log(`client secret: ${sim.clientSecret}`);
  console.log(`graph base:    ${sim.graphBase}`);
  const stop = async () => { await sim.stop(); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e) => {
  console.error(`sim: ${e instanceof CorsoError ? e.message : String(e)}`);
  process.exit(1);
});
