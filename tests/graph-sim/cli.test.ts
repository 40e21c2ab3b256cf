// `bun run sim` as a separate process, driven over HTTP only (token, Graph, /_sim admin API).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FIXTURE } from "./helpers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
let proc: ReturnType<typeof Bun.spawn>;
let url = "";
let out = "";

beforeAll(async () => {
  proc = Bun.spawn([process.execPath, "scripts/sim.ts", "--port", "0", "--fixture", FIXTURE], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  while (!/client secret: .+\n/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`sim exited early: ${out}`);
    out += dec.decode(value);
  }
  reader.releaseLock();
  url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
});
afterAll(async () => {
  if (proc.exitCode === null) proc.kill("SIGKILL");
  await proc.exited;
});

describe("bun run sim", () => {
  test("prints credentials; full flow over HTTP incl. admin mutate, faults, counters, log; exits on SIGTERM", async () => {
    const tenant = /tenant id: +(\S+)/.exec(out)![1]!;
    const clientId = /client id: +(\S+)/.exec(out)![1]!;
    const secret = /client secret: +(\S+)/.exec(out)![1]!;
    expect(tenant).toBe("5f1c2a3e-8b7d-4c6a-9e0f-1a2b3c4d5e6f");
    const tr = await fetch(`${url}/${tenant}/oauth2/v2.0/token`, { method: "POST", body: new URLSearchParams({ client_id: clientId, client_secret: secret, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" }) });
    const tok = ((await tr.json()) as any).access_token as string;
    const H = { Authorization: `Bearer ${tok}` };
    const info = (await (await fetch(`${url}/_sim/info`)).json()) as any;
    const adele = info.users[0].id;
    const before = (await (await fetch(`${url}/v1.0/users/${adele}/mailFolders/inbox`, { headers: H })).json()) as any;
    const added = (await (await fetch(`${url}/_sim/mutate`, { method: "POST", body: JSON.stringify({ op: "add", kind: "message", user: adele, folder: "inbox", item: { subject: "via admin" } }) })).json()) as any;
    expect(typeof added.id).toBe("string");
    const after = (await (await fetch(`${url}/v1.0/users/${adele}/mailFolders/inbox`, { headers: H })).json()) as any;
    expect(after.totalItemCount).toBe(before.totalItemCount + 1);
    const badMutate = await fetch(`${url}/_sim/mutate`, { method: "POST", body: JSON.stringify({ op: "delete", id: "nope" }) });
    expect(badMutate.status).toBe(400);
    expect(((await badMutate.json()) as any).error.message).toContain("not found");
    expect((await fetch(`${url}/_sim/faults`, { method: "POST", body: JSON.stringify({ "503": 1, max: 1 }) })).status).toBe(200);
    expect((await fetch(`${url}/v1.0/users`, { headers: H })).status).toBe(503);
    expect((await fetch(`${url}/v1.0/users`, { headers: H })).status).toBe(200);
    const badFaults = await fetch(`${url}/_sim/faults`, { method: "POST", body: JSON.stringify({ rules: [{ kind: "x", rate: 1 }] }) });
    expect(badFaults.status).toBe(400);
    const counters = (await (await fetch(`${url}/_sim/counters`)).json()) as any;
    expect(counters.faults["503"]).toBe(1);
    expect(counters.byClass.mail).toBe(2);
    const log = (await (await fetch(`${url}/_sim/log`)).json()) as any[];
    expect(log.some((e) => e.fault === "503" && e.status === 503)).toBe(true);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });
});
