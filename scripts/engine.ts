// Developer harness for the kopia-format engine (lib/repo only; no Corso/M365 code):
//
//   bun scripts/engine.ts init      --repo PATH | --bucket B [--endpoint H:P] [--prefix P] [--disable-tls]
//   bun scripts/engine.ts snapshot  <dir> [--compression NAME] [--no-cache]
//   bun scripts/engine.ts restore   <snapshot-id|latest> <dir>
//   bun scripts/engine.ts ls        [snapshot-id]
//   bun scripts/engine.ts verify    [--percent N]
//   bun scripts/engine.ts bench     [--size-mb N] [--keep] [--compression NAME] [--restore-dir DIR]
//                                   [--cache cold|hot] [--rounds N] [--no-kopia]
//
// Passphrase: --passphrase or CORSO_PASSPHRASE. S3 keys: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
// Errors print one line and exit 1.
import { resolve } from "node:path";
import { CorsoError, UsageError, errorMessage } from "../lib/errors.ts";
import { openStorage, type StorageConfig } from "../lib/storage/open.ts";
import type { BlobStorage } from "../lib/storage/types.ts";
import { initializeRepository, openRepository, type Repository } from "../lib/repo/repository.ts";
import {
  listSnapshots,
  loadSnapshot,
  readDirectory,
  restoreSnapshot,
  snapshotDirectory,
  sourceString,
  type DirEntry,
  type SnapshotManifest,
} from "../lib/repo/snapshot/index.ts";
import { formatRfc3339Nano } from "../lib/repo/manifest/go-json.ts";
import { verifyRepository } from "../lib/repo/verify.ts";

export interface Flags {
  _: string[];
  [k: string]: string | boolean | string[];
}

const BOOL_FLAGS = new Set(["disable-tls", "no-cache", "keep", "json", "no-kopia"]);

export function parseArgs(argv: string[]): Flags {
  const f: Flags = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) f[a.slice(2, eq)] = a.slice(eq + 1);
      else if (BOOL_FLAGS.has(a.slice(2))) f[a.slice(2)] = true;
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag ${a} needs a value`);
        f[a.slice(2)] = argv[++i];
      }
    } else f._.push(a);
  }
  return f;
}

function str(f: Flags, k: string): string | undefined {
  const v = f[k];
  return typeof v === "string" ? v : undefined;
}

export function storageConfig(f: Flags): StorageConfig {
  const repo = str(f, "repo");
  const bucket = str(f, "bucket");
  if (repo && bucket) throw new UsageError("use either --repo or --bucket, not both");
  if (repo) return { provider: "filesystem", path: resolve(repo) };
  if (bucket) {
    return {
      provider: "s3",
      bucket,
      endpoint: str(f, "endpoint"),
      prefix: str(f, "prefix"),
      doNotUseTLS: f["disable-tls"] === true,
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
      sessionToken: process.env.AWS_SESSION_TOKEN,
      region: process.env.AWS_REGION,
    };
  }
  throw new UsageError("no repository: pass --repo PATH or --bucket NAME");
}

function passphrase(f: Flags): string {
  const p = str(f, "passphrase") ?? process.env.CORSO_PASSPHRASE;
  if (!p) throw new UsageError("no passphrase: pass --passphrase or set CORSO_PASSPHRASE");
  return p;
}

async function withRepo<T>(f: Flags, fn: (r: Repository, st: BlobStorage) => Promise<T>): Promise<T> {
  const st = await openStorage(storageConfig(f), { create: false });
  try {
    const repo = await openRepository(st, passphrase(f));
    try {
      return await fn(repo, st);
    } finally {
      await repo.close();
    }
  } finally {
    await st.close();
  }
}

const mb = (n: number) => (n / 1e6).toFixed(1);

async function findSnapshot(repo: Repository, id: string): Promise<SnapshotManifest> {
  if (id !== "latest") return loadSnapshot(repo.manifests, id);
  const all = await listSnapshots(repo.manifests);
  if (all.length === 0) throw new UsageError("repository has no snapshots");
  return all[all.length - 1];
}

async function cmdInit(f: Flags): Promise<void> {
  const st = await openStorage(storageConfig(f), { create: true });
  try {
    await initializeRepository(st, passphrase(f));
    console.log(`initialized repository at ${st.displayName}`);
  } finally {
    await st.close();
  }
}

async function cmdSnapshot(f: Flags): Promise<void> {
  const dir = f._[1];
  if (!dir) throw new UsageError("usage: snapshot <dir>");
  await withRepo(f, async (repo) => {
    const t0 = performance.now();
    const abs = resolve(dir);
    const source = { host: repo.hostname, userName: repo.username, path: abs };
    const previous = f["no-cache"] ? null : ((await listSnapshots(repo.manifests, source)).at(-1) ?? null);
    const m = await snapshotDirectory(repo, abs, source, { previous, compression: str(f, "compression") });
    await repo.flush();
    const s = (performance.now() - t0) / 1000;
    console.log(
      `snapshot ${m.id}: ${m.stats.fileCount} files (${m.stats.cachedFiles} cached), ${m.stats.dirCount} dirs, ` +
        `${mb(m.stats.totalSize)} MB in ${s.toFixed(2)} s (${mb(m.stats.totalSize / s)} MB/s)`,
    );
  });
}

async function cmdRestore(f: Flags): Promise<void> {
  const [, id, dest] = f._;
  if (!id || !dest) throw new UsageError("usage: restore <snapshot-id|latest> <dir>");
  await withRepo(f, async (repo) => {
    const t0 = performance.now();
    const m = await findSnapshot(repo, id);
    const st = await restoreSnapshot(repo, m, resolve(dest));
    const s = (performance.now() - t0) / 1000;
    console.log(
      `restored ${m.id}: ${st.files} files, ${st.dirs} dirs, ${st.symlinks} symlinks, ${mb(st.bytes)} MB in ${s.toFixed(2)} s (${mb(st.bytes / s)} MB/s)`,
    );
  });
}

async function listTree(repo: Repository, e: DirEntry, path: string, out: (s: string) => void): Promise<void> {
  const line = (x: DirEntry, p: string) =>
    `${x.type} 0${x.mode.toString(8).padStart(3, "0")} ${String(x.size).padStart(12)} ${formatRfc3339Nano(x.mtimeNs)} ${x.obj} ${p}`;
  for (const c of await readDirectory(repo.objects, e.obj)) {
    const p = path ? `${path}/${c.name}` : c.name;
    out(line(c, p));
    if (c.type === "d") await listTree(repo, c, p, out);
  }
}

async function cmdLs(f: Flags): Promise<void> {
  const id = f._[1];
  await withRepo(f, async (repo) => {
    if (!id) {
      for (const m of await listSnapshots(repo.manifests)) {
        console.log(
          `${m.id} ${formatRfc3339Nano(m.startTimeNs)} ${sourceString(m.source)} ${m.stats.fileCount} files ${mb(m.stats.totalSize)} MB root=${m.rootEntry?.obj ?? "-"}`,
        );
      }
      return;
    }
    const m = await findSnapshot(repo, id);
    if (!m.rootEntry) throw new UsageError(`snapshot ${m.id} has no root entry`);
    if (m.rootEntry.type !== "d") console.log(`${m.rootEntry.type} ${m.rootEntry.size} ${m.rootEntry.name}`);
    else await listTree(repo, m.rootEntry, "", (s) => console.log(s));
  });
}

async function cmdVerify(f: Flags): Promise<void> {
  const pct = Number(str(f, "percent") ?? "100");
  if (!(pct >= 0 && pct <= 100)) throw new UsageError("--percent must be 0..100");
  const res = await withRepo(f, (repo) =>
    verifyRepository(repo, { readDataPercent: pct, onProgress: (m) => process.stderr.write(m + "\n") }),
  );
  console.log(
    `verified ${res.contentsChecked} contents (${mb(res.bytesRead)} MB read), ${res.snapshotsChecked} snapshots: ${res.problems.length} problem(s)`,
  );
  for (const p of res.problems) console.log(`problem: ${p}`);
  if (res.problems.length > 0) process.exitCode = 1;
}

export async function main(argv: string[]): Promise<void> {
  const f = parseArgs(argv);
  const cmd = f._[0];
  switch (cmd) {
    case "init":
      return cmdInit(f);
    case "snapshot":
      return cmdSnapshot(f);
    case "restore":
      return cmdRestore(f);
    case "ls":
      return cmdLs(f);
    case "verify":
      return cmdVerify(f);
    case "bench": {
      const { runBench } = await import("./engine-bench.ts");
      return runBench(f);
    }
    default:
      throw new UsageError(`unknown command "${cmd ?? ""}" (init, snapshot, restore, ls, verify, bench)`);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((e) => {
    const msg = e instanceof CorsoError ? e.message : `internal error: ${errorMessage(e)}`;
    process.stderr.write(`error: ${msg.split("\n")[0]}\n`);
    process.exit(1);
  });
}
