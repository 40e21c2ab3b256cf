// Several processes writing one repository at once, and writers killed with SIGKILL.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "../../../lib/crypto/random.ts";
import { toHex } from "../../../lib/repo/blobcrypto.ts";
import { createContentRepository, openContentRepository } from "../../../lib/repo/content-repository.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { contentFor } from "./writer-script.ts";

const root = mkdtempSync(join(tmpdir(), "corso-concurrency-"));
const script = join(import.meta.dir, "writer-script.ts");
const children: Bun.Subprocess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill(9);
  rmSync(root, { recursive: true, force: true });
});

async function newRepo(name: string) {
  const path = join(root, name);
  const st = await openFilesystemStorage({ path, create: true });
  await createContentRepository(st, "pw");
  return { path, st };
}

function spawnWriter(path: string, seed: number, count: number, flushEvery: number, mode = "") {
  const p = Bun.spawn([process.execPath, script, path, "pw", String(seed), String(count), String(flushEvery), mode], { stdout: "pipe", stderr: "pipe" });
  children.push(p);
  return p;
}

/** Opens the repository, reads every indexed content and checks it hashes to its ID. */
async function verifyAll(path: string): Promise<number> {
  const st = await openFilesystemStorage({ path });
  const repo = await openContentRepository(st, "pw");
  let n = 0;
  for await (const info of repo.contents.iterateContents()) {
    const data = await repo.contents.getContent(info.contentId);
    const prefix = info.contentId.length % 2 ? info.contentId[0] : "";
    expect(prefix + toHex(repo.hash(data))).toBe(info.contentId);
    n++;
  }
  // the next write succeeds
  const id = await repo.contents.writeContent(randomBytes(100), { prefix: "" });
  await repo.contents.flush();
  expect((await repo.contents.getContent(id)).length).toBe(100);
  await st.close();
  return n;
}

describe("concurrent writers", () => {
  for (const writers of [2, 4]) {
    test(`${writers} processes writing at once lose nothing`, async () => {
      const { path, st } = await newRepo(`w${writers}`);
      const count = 60;
      const procs = Array.from({ length: writers }, (_, s) => spawnWriter(path, s + 1, count, 10, s === 0 ? "epochs" : ""));
      const codes = await Promise.all(procs.map((p) => p.exited));
      const errs = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
      expect(codes.map((c, i) => (c === 0 ? 0 : errs[i]))).toEqual(procs.map(() => 0));
      const repo = await openContentRepository(st, "pw", { readOnly: true });
      for (let s = 1; s <= writers; s++) {
        for (let i = 0; i < count; i++) {
          const d = contentFor(s, i);
          const id = (i % 5 === 0 ? "k" : "") + toHex(repo.hash(d));
          expect(Buffer.from(await repo.contents.getContent(id)).equals(Buffer.from(d))).toBe(true);
        }
      }
      expect(await verifyAll(path)).toBeGreaterThan(writers * count * 0.8);
      await st.close();
    }, 180_000);
  }
});

describe("crash safety", () => {
  test("writers killed with SIGKILL at random points leave a readable, writable repository", async () => {
    const { path, st } = await newRepo("crash");
    await st.close();
    const trials = 12;
    let committedMax = 0;
    for (let t = 0; t < trials; t++) {
      const p = spawnWriter(path, 100 + t, 400, 7, t % 2 ? "epochs" : "");
      await Bun.sleep(300 + Math.floor(Math.random() * 2000));
      p.kill(9);
      await p.exited;
      const n = await verifyAll(path);
      expect(n).toBeGreaterThanOrEqual(committedMax); // committed contents never disappear
      committedMax = n;
    }
    expect(committedMax).toBeGreaterThan(trials); // at least the post-crash writes
  }, 300_000);
});
