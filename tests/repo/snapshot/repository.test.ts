// The object/manifest/snapshot layers on the real engine (filesystem storage, real content
// manager, buzhash splitter, encryption), through the repository facade and the harness.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidPasswordError } from "../../../lib/errors.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { initializeRepository, openRepository } from "../../../lib/repo/repository.ts";
import { ManifestManager } from "../../../lib/repo/manifest/index.ts";
import {
  SnapshotTreeBuilder,
  listSnapshots,
  restoreSnapshot,
  saveSnapshot,
  type SnapshotManifest,
} from "../../../lib/repo/snapshot/index.ts";

const temps: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "corso-repo-"));
  temps.push(d);
  return d;
}
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

async function freshRepo() {
  const path = join(await tmp(), "repo");
  const st = await openFilesystemStorage({ path, create: true });
  await initializeRepository(st, "pw");
  return { path, st };
}

describe("repository facade on the real engine", () => {
  test("tree builder snapshot survives reopen; restore is byte exact", async () => {
    const { st } = await freshRepo();
    const repo = await openRepository(st, "pw", { hostname: "h", username: "u" });
    expect(repo.config.splitter).toBe("DYNAMIC-4M-BUZHASH");
    const b = new SnapshotTreeBuilder(repo, { rootName: "dGVuYW50", compression: "zstd-better-compression" });
    const big = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const text = new TextEncoder().encode("mail body ".repeat(5000));
    async function* chunks() {
      for (let i = 0; i < big.length; i += 1 << 20) yield big.subarray(i, i + (1 << 20));
    }
    const r1 = await b.addFile(["exchange", "user", "email", "inbox", "big"], chunks(), { mtime: new Date("2024-02-03T04:05:06Z") });
    await b.addFile(["exchange", "user", "email", "inbox", "msg"], text, { mtime: new Date("2024-02-03T04:05:07Z") });
    expect(r1.size).toBe(big.length);
    expect(r1.objectId.startsWith("Ix")).toBe(true);
    const { root, stats } = await b.finish();
    const now = BigInt(Date.now()) * 1_000_000n;
    const m: SnapshotManifest = {
      id: "",
      source: { host: "exchangeemail", userName: "tenant-user", path: "dGVuYW50" },
      description: "",
      startTimeNs: now,
      endTimeNs: now,
      stats,
      rootEntry: root,
      tags: { "tag:backup-id": "b1" },
      pins: ["corso"],
    };
    const id = await saveSnapshot(repo.manifests, m);
    await repo.close();

    const repo2 = await openRepository(st, "pw");
    const snaps = await listSnapshots(repo2.manifests, m.source);
    expect(snaps.map((s) => s.id)).toEqual([id]);
    expect(snaps[0].tags).toEqual({ "tag:backup-id": "b1" });
    expect(snaps[0].pins).toEqual(["corso"]);
    const ids = await repo2.objects.verifyObject(snaps[0].rootEntry!.obj);
    expect(ids.length).toBeGreaterThan(0);
    const dest = join(await tmp(), "out");
    await restoreSnapshot(repo2, snaps[0], dest);
    const got = await readFile(join(dest, "exchange/user/email/inbox/big"));
    expect(Buffer.from(got).equals(Buffer.from(big))).toBe(true);
    expect((await readFile(join(dest, "exchange/user/email/inbox/msg"))).toString()).toBe("mail body ".repeat(5000));
    await repo2.close();
    await st.close();
  }, 60_000);

  test("manifest auto-compaction on the real content manager", async () => {
    const { st } = await freshRepo();
    const repo = await openRepository(st, "pw");
    for (let i = 0; i < 17; i++) {
      await repo.manifests.put({ type: "t", n: String(i) }, { i });
      await repo.flush();
    }
    await repo.close();
    const countM = async () => {
      const r = await openRepository(st, "pw", { manifests: { autoCompactionThreshold: 0 } });
      let n = 0;
      for await (const ci of r.contents.iterateContents({ prefix: "m" })) if (!ci.deleted) n++;
      await r.close();
      return n;
    };
    expect(await countM()).toBe(17);
    const repo2 = await openRepository(st, "pw");
    expect((await repo2.manifests.find({ type: "t" })).length).toBe(17); // triggers compaction
    await repo2.close();
    expect(await countM()).toBe(1);
    const repo3 = await openRepository(st, "pw");
    expect(((await repo3.manifests.get((await repo3.manifests.find({ n: "5" }))[0].id)).payload)).toEqual({ i: 5 });
    expect(new ManifestManager(repo3.contents)).toBeDefined();
    await repo3.close();
    await expect(openRepository(st, "wrong")).rejects.toThrow(InvalidPasswordError);
    await st.close();
  }, 60_000);
});

describe("engine harness", () => {
  const ENGINE = resolve(import.meta.dir, "../../../scripts/engine.ts");
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = Bun.spawnSync([process.execPath, ENGINE, ...args], { env: { ...process.env, CORSO_PASSPHRASE: "", ...env } });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  test("snapshot / ls / restore / verify round trip, and one-line errors", async () => {
    const d = await tmp();
    const repo = join(d, "repo");
    const env = { CORSO_PASSPHRASE: "pw" };
    expect(run(["init", "--repo", repo], env).code).toBe(0);
    const src = resolve(import.meta.dir, "../../../lib/repo/object");
    const s = run(["snapshot", src, "--repo", repo], env);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^snapshot [0-9a-f]{32}: /);
    const s2 = run(["snapshot", src, "--repo", repo], env);
    expect(s2.out).toMatch(/\((\d+) cached\)/);
    expect(s2.out).not.toContain("(0 cached)");
    const ls = run(["ls", "latest", "--repo", repo], env);
    expect(ls.out).toContain("object-writer.ts");
    expect(run(["restore", "latest", join(d, "out"), "--repo", repo], env).code).toBe(0);
    expect(await readFile(join(d, "out/object-writer.ts"), "utf8")).toBe(await readFile(join(src, "object-writer.ts"), "utf8"));
    const v = run(["verify", "--repo", repo], env);
    expect(v.code).toBe(0);
    expect(v.out).toContain("0 problem(s)");

    for (const [args, e, msg] of [
      [["ls", "--repo", repo], {}, "no passphrase"],
      [["ls", "--repo", repo], { CORSO_PASSPHRASE: "bad" }, "invalid repository password"],
      [["restore", "0".repeat(32), join(d, "x"), "--repo", repo], env, "not found"],
      [["frobnicate"], env, "unknown command"],
      [["ls"], env, "no repository"],
    ] as const) {
      const r = run([...args], e as Record<string, string>);
      expect(r.code).toBe(1);
      expect(r.err.trim().split("\n").length).toBe(1);
      expect(r.err).toContain(msg);
    }
  }, 120_000);
});
