// Content-layer throughput and memory: writes N MiB of random 1–4 MiB chunks to a filesystem
// repository, flushes, then reads everything back.  bun scripts/bench-content.ts [MiB] [dir]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createContentRepository, openContentRepository } from "../lib/repo/content-repository.ts";
import { openFilesystemStorage } from "../lib/storage/filesystem.ts";

const mib = Number(process.argv[2] ?? 1024);
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), "bench-content-"));
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const st = await openFilesystemStorage({ path: join(dir, "repo"), create: true });
await createContentRepository(st, "bench");
const repo = await openContentRepository(st, "bench");
const ids: string[] = [];
let written = 0;
let maxRss = 0;
const t0 = performance.now();
const pool = randomBytes(8 << 20);
let i = 0;
while (written < mib * 2 ** 20) {
  const len = (1 << 20) + ((i * 7919) % (3 << 20));
  const chunk = new Uint8Array(len);
  chunk.set(pool.subarray(0, len));
  new DataView(chunk.buffer).setUint32(0, i++); // unique
  ids.push(await repo.contents.writeContent(chunk, { prefix: "" }));
  written += len;
  maxRss = Math.max(maxRss, rss());
}
await repo.contents.flush();
const t1 = performance.now();
let read = 0;
const r2 = await openContentRepository(st, "bench", { readOnly: true });
for (const id of ids) read += (await r2.contents.getContent(id)).length;
const t2 = performance.now();
console.log(JSON.stringify({
  writtenMiB: Math.round(written / 2 ** 20),
  writeMiBps: Math.round(written / 2 ** 20 / ((t1 - t0) / 1000)),
  readMiBps: Math.round(read / 2 ** 20 / ((t2 - t1) / 1000)),
  contents: ids.length,
  maxRssMiBDuringWrite: maxRss,
  rssAfterReadMiB: rss(),
}));
await st.close();
if (!process.argv[3]) rmSync(dir, { recursive: true, force: true });
