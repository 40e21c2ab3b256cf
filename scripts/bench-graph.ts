// Graph client throughput against the simulator with realistic latency and Microsoft's
// documented Exchange limits (4 concurrent, 10,000 requests / 10 min per mailbox).
// Fetches messages through the client for 1 mailbox and for 8 mailboxes and reports the
// steady-state request rate as a fraction of the throttle ceiling plus the 429s seen after
// warm-up. Last line: one JSON object.
//
//   bun run bench:graph [--seconds 40] [--warmup 6] [--latency 40]

import { startSimulator } from "../lib/graph-sim/index.ts";
import { createGraphClient, type GraphClient } from "../lib/m365/graph/index.ts";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const SECONDS = arg("seconds", 40);
const WARMUP = arg("warmup", 6);
const LATENCY = arg("latency", 40);
const WINDOW_REQ = 10_000;
const WINDOW_SEC = 600;
const CEILING = WINDOW_REQ / WINDOW_SEC; // requests/s per mailbox

interface Result {
  mailboxes: number;
  items: number;
  requests: number;
  itemsPerSec: number;
  requestsPerSecPerMailbox: number;
  ceilingPerMailbox: number;
  fractionOfCeiling: number;
  throttledAfterWarmup: number;
  throttledTotal: number;
  peakMailboxConcurrency: number;
}

async function messageIds(client: GraphClient, user: string): Promise<string[]> {
  const ids: string[] = [];
  for (const f of await client.mail.folders(user)) {
    for await (const ev of client.mail.messageDelta(user, String(f.id))) {
      if (ev.type === "reset") ids.length = 0;
      if (ev.type === "page") for (const m of ev.added) ids.push(String(m.id));
    }
  }
  return ids;
}

async function scenario(mailboxes: number): Promise<Result> {
  const perUser = Math.ceil(CEILING * (SECONDS + WARMUP) * 1.3) + 250;
  const sim = await startSimulator({
    seed: 7, users: mailboxes, messages: perUser, events: 0, contacts: 0, files: 0,
    latency: { fixedMs: LATENCY, perKbMs: 0.02 },
    limits: { mailboxRequestsPerWindow: WINDOW_REQ, mailboxWindowSec: WINDOW_SEC },
  });
  try {
    const client = createGraphClient({
      tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret, graphUrl: sim.graphBase, loginUrl: sim.loginBase,
      // Steady-state measurement uses Corso's token bucket (16/s, burst 200 = 0.96 of the ceiling,
      // with the burst inside the 10-minute budget).
      limits: { exchange: { mode: "token-bucket", ratePerSec: 16, burst: 200 } },
    });
    const users: string[] = [];
    for await (const u of client.discovery.users()) users.push(String(u.id));
    const idLists = await Promise.all(users.slice(0, mailboxes).map((u) => messageIds(client, u)));
    const mailReqs = () => sim.counters().byClass.mail ?? sim.counters().requests;
    const reqAtStart = mailReqs();
    const start = performance.now();
    const warmEnd = start + WARMUP * 1000;
    const end = warmEnd + SECONDS * 1000;
    let items = 0;
    let itemsAfterWarm = 0;
    let reqAtWarm = 0;
    let thrAtWarm = -1;
    const warmTimer = setTimeout(() => {
      reqAtWarm = mailReqs();
      thrAtWarm = sim.counters().throttled;
    }, WARMUP * 1000);
    await Promise.all(
      idLists.map(async (ids, ui) => {
        const user = users[ui];
        let next = 0;
        // More workers than slots: the client's semaphore must keep the mailbox at ≤ 4 in flight.
        await Promise.all(Array.from({ length: 8 }, async () => {
          while (performance.now() < end && next < ids.length) {
            const id = ids[next++];
            await client.mail.getMessage(user, id);
            items++;
            if (performance.now() >= warmEnd) itemsAfterWarm++;
          }
        }));
      }),
    );
    clearTimeout(warmTimer);
    const elapsedAfterWarm = (performance.now() - warmEnd) / 1000;
    const c = sim.counters();
    const reqAfterWarm = mailReqs() - reqAtWarm;
    const perMailbox = reqAfterWarm / elapsedAfterWarm / mailboxes;
    return {
      mailboxes,
      items,
      requests: mailReqs() - reqAtStart,
      itemsPerSec: round(itemsAfterWarm / elapsedAfterWarm),
      requestsPerSecPerMailbox: round(perMailbox),
      ceilingPerMailbox: round(CEILING),
      fractionOfCeiling: round(perMailbox / CEILING),
      throttledAfterWarmup: c.throttled - Math.max(0, thrAtWarm),
      throttledTotal: c.throttled,
      peakMailboxConcurrency: Math.max(0, ...Object.values(c.concurrency).map((x) => x.peak)),
    };
  } finally {
    await sim.stop();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

const results: Result[] = [];
for (const n of [1, 8]) {
  const r = await scenario(n);
  results.push(r);
  console.log(
    `${n} mailbox(es): ${r.itemsPerSec} items/s, ${r.requestsPerSecPerMailbox} req/s per mailbox = ${r.fractionOfCeiling} of the ${r.ceilingPerMailbox}/s ceiling; ` +
      `429s after warm-up ${r.throttledAfterWarmup} (total ${r.throttledTotal}); peak concurrency per mailbox ${r.peakMailboxConcurrency}`,
  );
}
console.log(JSON.stringify({ bench: "graph", date: new Date().toISOString(), seconds: SECONDS, warmupSeconds: WARMUP, latencyMs: LATENCY, results }));
