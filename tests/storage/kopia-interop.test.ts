// Layout interop with the real kopia 0.15 binary: kopia-created repositories (filesystem and S3
// on MinIO) list identically through our storage, and blobs we write are seen by kopia.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import { openS3Storage } from "../../lib/storage/s3.ts";
import { listAll, type BlobStorage } from "../../lib/storage/types.ts";
import { ensureKopia } from "../../scripts/setup-tools.ts";
import { startMinio, type MinioServer } from "../helpers/minio.ts";
import { packId } from "./conformance.ts";

// Real MinIO/kopia processes on a shared 2-core machine: be generous with time, not with retries.
setDefaultTimeout(120_000);

let kopia: string;
let dir: string;
let minio: MinioServer;

beforeAll(async () => {
  kopia = ensureKopia();
  dir = await fsp.mkdtemp(join(tmpdir(), "corso-kopia-interop-"));
  minio = await startMinio();
  await minio.createBucket("interop");
}, 120_000);
afterAll(async () => {
  await minio?.stop();
  await fsp.rm(dir, { recursive: true, force: true });
}, 120_000);

function k(config: string, args: string[]): string {
  const r = Bun.spawnSync([kopia, "--config-file", config, "--log-dir", join(dir, "logs"), ...args], {
    env: { ...process.env, KOPIA_CHECK_FOR_UPDATES: "false", KOPIA_PASSWORD: "interop-password", HOME: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`kopia ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

interface KopiaBlob {
  id: string;
  length: number;
  timestamp: string;
}
const kopiaList = (config: string, prefix = ""): KopiaBlob[] =>
  JSON.parse(k(config, ["blob", "list", "--json", ...(prefix ? [`--prefix=${prefix}`] : [])]));

async function sameListing(config: string, st: BlobStorage, exactTimes: boolean): Promise<void> {
  const theirs = kopiaList(config).sort((a, b) => a.id.localeCompare(b.id));
  const ours = (await listAll(st, "")).sort((a, b) => a.id.localeCompare(b.id));
  expect(theirs.length).toBeGreaterThanOrEqual(4); // kopia.repository, kopia.blobcfg, q pack, xn index (+ _log_)
  expect(ours.map((m) => [m.id, m.length])).toEqual(theirs.map((b) => [b.id, b.length]));
  if (exactTimes) {
    ours.forEach((m, i) => expect(m.timestamp.getTime()).toBe(Math.floor(Date.parse(theirs[i].timestamp))));
  }
  expect(theirs.some((b) => b.id.startsWith("xn0_"))).toBe(true);
}

async function weWriteKopiaReads(config: string, st: BlobStorage): Promise<void> {
  const id = packId("p");
  const data = new TextEncoder().encode("written by corso storage");
  await st.putBlob(id, data);
  expect(kopiaList(config, "p")).toEqual([expect.objectContaining({ id, length: data.length })]);
  expect(k(config, ["blob", "show", id])).toBe("written by corso storage");
  // And kopia's own blobs read back byte-identically through our storage.
  const format = await st.getBlob("kopia.repository");
  expect(new TextDecoder().decode(format)).toBe(k(config, ["blob", "show", "kopia.repository"]));
  await st.deleteBlob(id);
  expect(kopiaList(config, "p")).toEqual([]);
}

describe("kopia 0.15 interop", () => {
  test("filesystem: kopia-created repository", async () => {
    const repo = join(dir, "fs-repo");
    const config = join(dir, "fs.config");
    k(config, ["repo", "create", "filesystem", "--path", repo]);
    const st = await openFilesystemStorage({ path: repo });
    try {
      expect(await fsp.readFile(join(repo, ".shards"), "utf8")).toBe('{"default":[1,3],"maxNonShardedLength":20}\n');
      await sameListing(config, st, true);
      await weWriteKopiaReads(config, st);
    } finally {
      await st.close();
    }
  });

  test("S3 (MinIO): kopia-created repository under a prefix", async () => {
    const config = join(dir, "s3.config");
    k(config, [
      "repo", "create", "s3", "--bucket", "interop", "--endpoint", minio.endpoint, "--disable-tls",
      "--access-key", minio.accessKey, "--secret-access-key", minio.secretKey, "--prefix", "corso/",
    ]);
    const st = await openS3Storage(minio.options("interop", { prefix: "corso" }));
    try {
      await sameListing(config, st, false);
      await weWriteKopiaReads(config, st);
    } finally {
      await st.close();
    }
  });
});
