// Shared setup for the Exchange operation tests: a simulator, a Graph client on it, and a
// filesystem repository whose storage counts the bytes written (to prove dedup on resume).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator, type SimOptions } from "../../lib/graph-sim/index.ts";
import { createGraphClient, type GraphClient } from "../../lib/m365/graph/index.ts";
import { initializeRepository, openRepository, type Repository } from "../../lib/repo/repository.ts";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import type { BlobStorage } from "../../lib/storage/types.ts";
import { encodeElements } from "../../lib/corso/path-encoder.ts";
import { CorsoPath } from "../../lib/corso/path.ts";
import { stripHeader } from "../../lib/corso/serialization.ts";
import { lookupEntry } from "../../lib/corso/snapshots.ts";
import { loadSnapshot } from "../../lib/repo/snapshot/manifest.ts";

export const PASSWORD = "ops-test-password";

export interface CountingStorage extends BlobStorage {
  written: { packBytes: number; blobs: number };
}

/** Wraps storage so every putBlob is counted (p-blobs = content packs). */
export function counting(st: BlobStorage): CountingStorage {
  const written = { packBytes: 0, blobs: 0 };
  const wrapped = Object.create(st) as CountingStorage;
  wrapped.putBlob = async (id, data, opts) => {
    written.blobs++;
    if (id.startsWith("p")) written.packBytes += data.length;
    return st.putBlob(id, data, opts);
  };
  (wrapped as any).written = written;
  return wrapped;
}

export function clientFor(sim: Simulator): GraphClient {
  return createGraphClient({
    tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret,
    graphUrl: sim.graphBase, loginUrl: sim.loginBase,
    retry: { baseDelayMs: 10, maxDelayMs: 100 },
  });
}

export interface Env {
  sim: Simulator;
  graph: GraphClient;
  dir: string;
  repoPath: string;
  storage: CountingStorage;
  repo: Repository;
  reopen(): Promise<Repository>;
  cleanup(): Promise<void>;
}

export async function makeEnv(simOpts: SimOptions = {}): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), "corso-ops-"));
  const repoPath = join(dir, "repo");
  const sim = await startSimulator(simOpts);
  const base = await openFilesystemStorage({ path: repoPath, create: true });
  await initializeRepository(base, PASSWORD);
  const storage = counting(base);
  const env: Env = {
    sim,
    graph: clientFor(sim),
    dir,
    repoPath,
    storage,
    repo: await openRepository(storage, PASSWORD, { hostname: "test-host", username: "tester" }),
    async reopen() {
      await env.repo.close();
      env.repo = await openRepository(storage, PASSWORD, { hostname: "test-host", username: "tester" });
      return env.repo;
    },
    async cleanup() {
      await env.repo.close().catch(() => {});
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** The stored bytes (header stripped) of an item in a backup's item-data snapshot. */
export async function storedItem(repo: Repository, snapshotId: string, repoRef: string): Promise<string | undefined> {
  const snap = await loadSnapshot(repo.manifests, snapshotId);
  const p = CorsoPath.parse(repoRef, true);
  const e = await lookupEntry(repo, snap.rootEntry!, encodeElements(p.relElements()));
  if (!e) return undefined;
  return Buffer.from(stripHeader(await repo.objects.readObject(e.obj)).body).toString("utf8");
}

/** Every Exchange item of a user in the simulator: id → {category, folderId}. */
export function tenantItems(sim: Simulator, user: string): Map<string, { cat: "email" | "contacts" | "events"; folder: string }> {
  const out = new Map<string, { cat: "email" | "contacts" | "events"; folder: string }>();
  const kinds = [["mail", "email"], ["contact", "contacts"], ["calendar", "events"]] as const;
  for (const [kind, cat] of kinds) {
    const fs = sim.tenant.folders(user, kind);
    if (kind !== "mail") {
      // roots of contacts/calendars are containers too
      const root = sim.tenant.folderId(user, kind, kind === "contact" ? "contacts" : "calendar");
      if (root && !fs.some((f) => f.id === root)) fs.push({ id: root, displayName: "", parentFolderId: null, path: "", itemCount: 0 });
    }
    for (const f of fs) for (const id of sim.tenant.itemIds(f.id, 100_000)) out.set(id, { cat, folder: f.id });
  }
  return out;
}
