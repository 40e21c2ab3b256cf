// Interop with the real kopia 0.15 binary, on the filesystem and on MinIO:
// (a) kopia writes, we restore (also after kopia's full maintenance);
// (b) we write, kopia verifies and restores (and produces the same directory objects);
// (c) the same large file written by kopia, then by us, adds no data contents.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type StorageConfig } from "../../lib/storage/open.ts";
import { initializeRepository, openRepository, type Repository } from "../../lib/repo/repository.ts";
import {
  SnapshotTreeBuilder,
  listSnapshots,
  loadSnapshot,
  readDirectory,
  restoreSnapshot,
  saveSnapshot,
  snapshotDirectory,
} from "../../lib/repo/snapshot/index.ts";
import { connectFlags, kopiaSession, KOPIA_HOST, KOPIA_USER, type KopiaSession } from "../helpers/kopia.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";
import { diffTrees, makeTree, prng } from "./tree.ts";

const PASSWORD = "interop-password";
const temps: string[] = [];
let minio: MinioServer | undefined;
let bucketNo = 0;

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "corso-interop-"));
  temps.push(d);
  return d;
}

beforeAll(async () => {
  minio = await startMinio();
}, 120_000);

afterAll(async () => {
  await minio?.stop();
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

interface Backend {
  /** kopia arguments after `repository create|connect`. */
  kopiaArgs: string[];
  storage: StorageConfig;
}

async function newBackend(kind: "filesystem" | "s3"): Promise<Backend> {
  if (kind === "filesystem") {
    const path = join(await tmp(), "repo");
    return { kopiaArgs: ["filesystem", `--path=${path}`], storage: { provider: "filesystem", path } };
  }
  const bucket = `interop-${process.pid}-${++bucketNo}`;
  await minio!.createBucket(bucket);
  return {
    kopiaArgs: [
      "s3",
      `--bucket=${bucket}`,
      `--endpoint=${minio!.endpoint}`,
      "--disable-tls",
      `--access-key=${minio!.accessKey}`,
      `--secret-access-key=${minio!.secretKey}`,
    ],
    storage: { provider: "s3", ...minio!.options(bucket) },
  };
}

async function withOurRepo<T>(b: Backend, fn: (r: Repository) => Promise<T>): Promise<T> {
  const st = await openStorage(b.storage, { create: false });
  const repo = await openRepository(st, PASSWORD, { hostname: KOPIA_HOST, username: KOPIA_USER });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
    await st.close();
  }
}

async function dataContentCount(r: Repository): Promise<number> {
  let n = 0;
  await r.refresh();
  for await (const ci of r.contents.iterateContents({})) {
    if (!ci.deleted && ci.contentId.length % 2 === 0) n++; // unprefixed = file data
  }
  return n;
}

for (const kind of ["filesystem", "s3"] as const) {
  describe(`kopia interop (${kind})`, () => {
    let k: KopiaSession;
    beforeAll(async () => {
      k = await kopiaSession(PASSWORD);
    });
    afterAll(async () => {
      await k.close();
    });

    test("(a) kopia snapshots, we restore byte for byte, also after full maintenance", async () => {
      const b = await newBackend(kind);
      const src = join(await tmp(), "src");
      await makeTree(src, `a-${kind}`);
      await k.run(["repository", "create", ...b.kopiaArgs, ...connectFlags(k)]);
      const man = await k.json(["snapshot", "create", src]);
      expect(man.id).toMatch(/^[0-9a-f]{32}$/);

      await withOurRepo(b, async (repo) => {
        const snaps = await listSnapshots(repo.manifests);
        expect(snaps.map((s) => s.id)).toEqual([man.id]);
        const m = await loadSnapshot(repo.manifests, man.id);
        expect(m.source).toEqual({ host: KOPIA_HOST, userName: KOPIA_USER, path: src });
        expect(m.rootEntry!.obj).toBe(man.rootEntry.obj);
        const dest = join(await tmp(), "restored");
        await restoreSnapshot(repo, m, dest);
        expect(await diffTrees(src, dest)).toEqual([]);
      });

      await k.run(["maintenance", "run", "--full", "--safety=none"]);
      await withOurRepo(b, async (repo) => {
        const dest = join(await tmp(), "restored-after-maintenance");
        await restoreSnapshot(repo, await loadSnapshot(repo.manifests, man.id), dest);
        expect(await diffTrees(src, dest)).toEqual([]);
      });
      await k.run(["repository", "disconnect"]);
    }, 300_000);

    test("(b) we snapshot, kopia verifies and restores byte for byte", async () => {
      const b = await newBackend(kind);
      const src = join(await tmp(), "src");
      await makeTree(src, `b-${kind}`);
      const st = await openStorage(b.storage, { create: true });
      await initializeRepository(st, PASSWORD);
      await st.close();
      const ours = await withOurRepo(b, async (repo) => {
        const m = await snapshotDirectory(repo, src, { host: KOPIA_HOST, userName: KOPIA_USER, path: src });
        await repo.flush();
        return m;
      });

      await k.run(["repository", "connect", ...b.kopiaArgs, ...connectFlags(k)]);
      const list = await k.json(["snapshot", "list", "--all"]);
      expect(list.map((s: any) => s.id)).toEqual([ours.id]);
      expect(list[0].rootEntry.obj).toBe(ours.rootEntry!.obj);
      await k.run(["snapshot", "verify", "--verify-files-percent=100"]);
      await k.run(["content", "verify", "--full"]);
      const dest = join(await tmp(), "kopia-restored");
      await k.run(["restore", ours.id, dest]);
      expect(await diffTrees(src, dest)).toEqual([]);

      // kopia snapshotting the same tree produces byte-identical directory objects
      const again = await k.json(["snapshot", "create", src]);
      expect(again.rootEntry.obj).toBe(ours.rootEntry!.obj);
      await k.run(["repository", "disconnect"]);
    }, 300_000);

    test("(d) a Corso-style virtual tree (tree builder, zstd-better-compression) passes kopia verify and restore", async () => {
      const b = await newBackend(kind);
      const st = await openStorage(b.storage, { create: true });
      await initializeRepository(st, PASSWORD);
      await st.close();
      const items: [string[], Uint8Array][] = [
        [["exchange", "user1", "email", "inbox", "item-a"], new TextEncoder().encode("\x00\x00\x00\x01mail body ".repeat(300))],
        [["exchange", "user1", "email", "inbox", "item-b"], prng(`d-${kind}`, 9 * 1024 * 1024)],
        [["exchange", "user1", "email", "sent", "item-c"], new Uint8Array([0, 0, 0, 1])],
      ];
      const id = await withOurRepo(b, async (repo) => {
        const tb = new SnapshotTreeBuilder(repo, { rootName: "dGVuYW50", compression: "zstd-better-compression" });
        for (const [p, body] of items.reverse()) await tb.addFile(p, body, { mtime: new Date("2024-03-04T05:06:07.890Z") });
        const { root, stats } = await tb.finish();
        const now = BigInt(Date.now()) * 1_000_000n;
        const sid = await saveSnapshot(repo.manifests, {
          id: "",
          source: { host: "exchangeemail", userName: "tenant-user1", path: "dGVuYW50" },
          description: "",
          startTimeNs: now,
          endTimeNs: now,
          stats,
          rootEntry: root,
          tags: { "tag:backup-id": "b-1", "tag:exchangeemail": "0" },
          pins: ["corso"],
        });
        await repo.flush();
        return sid;
      });
      await k.run(["repository", "connect", ...b.kopiaArgs, ...connectFlags(k)]);
      const list = await k.json(["snapshot", "list", "--all"]);
      expect(list.map((s: any) => s.id)).toEqual([id]);
      expect(list[0].rootEntry.mtime).toBe("1754-08-30T22:43:41.128654848Z");
      await k.run(["snapshot", "verify", "--verify-files-percent=100"]);
      await k.run(["content", "verify", "--full"]);
      const dest = join(await tmp(), "kopia-restored");
      await k.run(["restore", id, dest, "--skip-times"]);
      for (const [p, body] of items) {
        expect(Buffer.from(await Bun.file(join(dest, ...p)).arrayBuffer()).equals(Buffer.from(body))).toBe(true);
      }
      await k.run(["repository", "disconnect"]);
    }, 300_000);

    test("(c) a large file snapshotted by kopia, then by us, adds no data contents", async () => {
      const b = await newBackend(kind);
      const src = join(await tmp(), "big");
      await mkdir(src);
      await writeFile(join(src, "huge.bin"), prng(`c-${kind}`, 19 * 1024 * 1024 + 777));
      await k.run(["repository", "create", ...b.kopiaArgs, ...connectFlags(k)]);
      const man = await k.json(["snapshot", "create", src]);
      await k.run(["repository", "disconnect"]);

      await withOurRepo(b, async (repo) => {
        const kopiaEntries = await readDirectory(repo.objects, man.rootEntry.obj);
        const before = await dataContentCount(repo);
        expect(before).toBeGreaterThan(2); // multi-chunk
        // different source so no previous-snapshot cache can short-cut reading
        const m = await snapshotDirectory(repo, src, { host: "other-host", userName: "other", path: "/elsewhere" });
        await repo.flush();
        expect(m.stats.nonCachedFiles).toBe(1);
        const ourEntries = await readDirectory(repo.objects, m.rootEntry!.obj);
        expect(ourEntries[0].obj).toBe(kopiaEntries[0].obj);
        expect(await dataContentCount(repo)).toBe(before);
      });
    }, 300_000);
  });
}
