// Drive delta, download (resume, expired URL refresh, malware), upload sessions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { downloadUrlExpiry, type GraphClient, type GraphObject } from "../../lib/m365/graph/index.ts";
import { bytesOf, clientFor, firstUser, mutate, type Sim, sha, startSimulator } from "./sim-helpers.ts";

let sim: Sim;
let g: GraphClient;
let user: string;
let driveId: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 9, users: 1, messages: 0, events: 0, contacts: 0, files: 6, fileSize: 300_000, downloadUrlTtlSec: 2 });
  g = clientFor(sim);
  user = await firstUser(g);
  driveId = String((await g.drives.userDrive(user)).id);
});
afterAll(async () => {
  await sim?.stop();
});

async function files(link?: string): Promise<{ files: GraphObject[]; removed: GraphObject[]; deltaLink?: string; resets: number }> {
  const out: GraphObject[] = [];
  const removed: GraphObject[] = [];
  let deltaLink: string | undefined;
  let resets = 0;
  for await (const ev of g.drives.delta(driveId, link)) {
    if (ev.type === "reset") {
      resets++;
      out.length = 0;
      removed.length = 0;
    }
    if (ev.type === "page") {
      out.push(...ev.added.filter((i) => i.file));
      removed.push(...ev.removed);
    }
    if (ev.type === "end") deltaLink = ev.deltaLink;
  }
  return { files: out, removed, deltaLink, resets };
}

describe("drive delta", () => {
  test("enumerates files; incremental shows adds and deletions", async () => {
    const a = await files();
    expect(a.files.length).toBe(6);
    expect(a.deltaLink).toBeString();
    const added = await mutate(sim, { op: "add", kind: "file", user, name: "new.txt", content: { text: "hello" } });
    await mutate(sim, { op: "delete", id: String(a.files[0].id) });
    const b = await files(a.deltaLink);
    expect(b.resets).toBe(0);
    expect(b.files.map((f) => f.id)).toContain(added.id);
    expect(b.removed.map((f) => f.id)).toContain(a.files[0].id);
  });
});

describe("download", () => {
  test("streams the content; bytes match a second download", async () => {
    const f = (await files()).files[0];
    const exp = downloadUrlExpiry(String(f["@microsoft.graph.downloadUrl"]));
    expect(exp).toBeGreaterThan(Date.now() - 1000);
    const b1 = await bytesOf(g.drives.download(driveId, f));
    expect(b1.byteLength).toBe(Number(f.size));
    const b2 = await bytesOf(g.drives.download(driveId, f));
    expect(sha(b2)).toBe(sha(b1));
  });

  test("resumes with Range after a mid-body reset; bytes equal", async () => {
    const f = (await files()).files[1];
    const good = await bytesOf(g.drives.download(driveId, f));
    sim.setFaults({ reset: 1, max: 2, path: "download", afterBytes: 100_000 } as never);
    const r0 = g.stats().downloadResumes;
    const b = await bytesOf(g.drives.download(driveId, f));
    const injected = sim.counters().faults.reset ?? 0;
    sim.setFaults({});
    expect(injected).toBeGreaterThanOrEqual(1);
    expect(b.byteLength).toBe(good.byteLength);
    expect(sha(b)).toBe(sha(good));
    expect(g.stats().downloadResumes - r0).toBeGreaterThanOrEqual(1);
    expect(sim.requestLog().some((r) => r.class === "download" && r.status === 206)).toBe(true);
  });

  test("an expired download URL is refreshed by re-reading the item", async () => {
    const f = (await files()).files[2];
    await Bun.sleep(2500); // downloadUrlTtlSec = 2
    const r0 = g.stats().downloadUrlRefreshes;
    const b = await bytesOf(g.drives.download(driveId, f));
    expect(b.byteLength).toBe(Number(f.size));
    expect(g.stats().downloadUrlRefreshes - r0).toBe(1);
  });

  test("a URL the server rejects as expired (401) is refreshed too", async () => {
    const f = (await files()).files[3];
    sim.setFaults({ expiredUrl: 1, max: 1, path: "download" } as never);
    const r0 = g.stats().downloadUrlRefreshes;
    const b = await bytesOf(g.drives.download(driveId, f));
    sim.setFaults({});
    expect(b.byteLength).toBe(Number(f.size));
    expect(g.stats().downloadUrlRefreshes - r0).toBe(1);
  });

  test("malware is reported as kind malware (skip cause malware_detected)", async () => {
    const f = (await files()).files[4];
    sim.setFaults({ malware: 1, max: 1, path: "download" } as never);
    const e = await bytesOf(g.drives.download(driveId, f)).catch((x) => x);
    sim.setFaults({});
    expect(e.name).toBe("GraphError");
    expect(e.kind).toBe("malware");
  });
});

describe("upload session", () => {
  test("chunked upload (320 KiB multiples) round-trips byte for byte", async () => {
    const root = await g.drives.getItem(driveId, "root", "id");
    const data = new Uint8Array(1_000_003);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + 13) & 0xff;
    const item = await g.drives.uploadFile(driveId, String(root.id), "upload.bin", data, data.length, { chunkSize: 320 * 1024 });
    expect(item.size).toBe(data.length);
    const puts = sim.requestLog().filter((r) => r.method === "PUT" && r.class === "upload");
    expect(puts.length).toBe(4);
    const fresh = await g.drives.getItem(driveId, String(item.id));
    const back = await bytesOf(g.drives.download(driveId, fresh));
    expect(sha(back)).toBe(sha(data));
  });

  test("a chunk PUT that fails with 503 is retried and the upload completes intact", async () => {
    const root = await g.drives.getItem(driveId, "root", "id");
    const data = new Uint8Array(700_000).map((_, i) => (i * 31) & 0xff);
    sim.setFaults({ "503": 1, max: 1, path: "upload", method: "PUT" } as never);
    const item = await g.drives.uploadFile(driveId, String(root.id), "retry.bin", data, data.length, { chunkSize: 327_680 });
    const injected = sim.counters().faults["503"] ?? 0;
    sim.setFaults({});
    expect(injected).toBe(1);
    expect(item.size).toBe(data.length);
    const back = await bytesOf(g.drives.download(driveId, await g.drives.getItem(driveId, String(item.id))));
    expect(sha(back)).toBe(sha(data));
  });

  test("an empty file is created with a plain PUT", async () => {
    const root = await g.drives.getItem(driveId, "root", "id");
    const item = await g.drives.uploadFile(driveId, String(root.id), "empty.txt", new Uint8Array(0), 0);
    expect(item.size).toBe(0);
    expect(item.name).toBe("empty.txt");
    expect(sim.tenant.fileContent(String(item.id))?.byteLength).toBe(0);
  });

  test("a streamed source uploads too, and bad chunk sizes are refused", async () => {
    const root = await g.drives.getItem(driveId, "root", "id");
    const data = new TextEncoder().encode("x".repeat(700_000));
    const stream = new Blob([data]).stream();
    const item = await g.drives.uploadFile(driveId, String(root.id), "stream.txt", stream, data.length, { chunkSize: 327_680 });
    expect(item.size).toBe(data.length);
    await expect(g.drives.uploadFile(driveId, String(root.id), "bad.txt", data, data.length, { chunkSize: 100_000 })).rejects.toThrow(/multiple of 320 KiB/);
  });
});
