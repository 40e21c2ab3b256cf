// lib/cli/session.ts openSibling: the extra repository connections of a multi-mailbox backup are
// opened from the first connection's derived format key — no second passphrase KDF — and fail
// with the same one-line wording as before ("connecting to the Filesystem repository: …").
// That no KDF runs is observable without timing: a sibling opens even when the passphrase in
// the connection details is wrong, as long as the first connection's key is at hand.
import { afterAll, expect, test } from "bun:test";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { connectCorsoRepository, initCorsoRepository } from "../../lib/corso/repo-init.ts";
import { closeConnected, openSibling, type Connected } from "../../lib/cli/session.ts";
import type { CommandContext } from "../../lib/cli/context.ts";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import { removeDir, tempDir } from "./helpers.ts";

const PASS = "sibling test passphrase";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const ctx = { log: { warn() {}, info() {}, debug() {} } } as unknown as CommandContext;

async function connected(tag: string): Promise<Connected & { path: string }> {
  const dir = tempDir(tag);
  dirs.push(dir);
  const path = join(dir, "repo");
  const client = { username: "u", hostname: "h" };
  const init = await initCorsoRepository(await openFilesystemStorage({ path, create: true }), PASS, {}, client);
  await init.repo.close();
  const storage = await openFilesystemStorage({ path });
  const { repo, repoId } = await connectCorsoRepository(storage, PASS, client);
  const details = { storage: { provider: "Filesystem" as const, path }, passphrase: PASS, tenantId: "", clientId: "", clientSecret: "", repoId, user: "", host: "" };
  return { file: { path: "", exists: true, values: {} } as any, details, storage, repo, repoId, client, path };
}

test("a sibling opens from the first connection's key (a wrong passphrase does not matter) and shares the repository", async () => {
  const c = await connected("sib-ok");
  const sib = await openSibling({ ...c, details: { ...c.details, passphrase: "not the passphrase" } });
  try {
    const { getRepositoryId } = await import("../../lib/corso/repository-model.ts");
    expect(await getRepositoryId(sib.repo.manifests)).toBe(c.repoId);
    expect(c.repoId).not.toBe("");
    // each connection is a full writer: what the sibling writes, the first reads after a refresh
    const id = await sib.repo.manifests.put({ type: "sibling-test" }, { from: "sibling" });
    await sib.repo.flush();
    await c.repo.refresh();
    expect((await c.repo.manifests.get(id)).payload).toEqual({ from: "sibling" });
  } finally {
    await closeConnected(ctx, sib);
    await closeConnected(ctx, c);
  }
});

test("without a derived key at hand the passphrase is used: wrong one → invalid repository password", async () => {
  const c = await connected("sib-nokey");
  try {
    const noKey = { ...c, repo: { ...c.repo, content: undefined } };
    const sib = await openSibling(noKey);
    await closeConnected(ctx, sib);
    const err = await openSibling({ ...noKey, details: { ...c.details, passphrase: "wrong" } }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("connecting to the Filesystem repository: invalid repository password");
  } finally {
    await closeConnected(ctx, c);
  }
});

test("a repository gone since the first connection: the sibling fails with the old one-line wording", async () => {
  const c = await connected("sib-gone");
  try {
    renameSync(c.path, c.path + ".moved");
    const err = await openSibling(c).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toStartWith("connecting to the Filesystem repository: repository not initialized in the provided storage");
    expect(err.message).not.toContain("\n");
    expect(err.code).toBe("repo-not-found");
  } finally {
    renameSync(c.path + ".moved", c.path);
    await closeConnected(ctx, c);
  }
});
