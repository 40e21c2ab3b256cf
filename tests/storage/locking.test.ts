import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFilesystemStorage } from "../../lib/storage/filesystem.ts";
import { isLockedBlobId, withRetention } from "../../lib/storage/locking.ts";
import { BlobAlreadyExistsError, listAll } from "../../lib/storage/types.ts";

// Real MinIO/kopia processes on a shared 2-core machine: be generous with time, not with retries.
setDefaultTimeout(120_000);

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "corso-locking-"));
}, 120_000);
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
}, 120_000);

test("kopia's locked prefixes (spec §1.5)", () => {
  for (const id of ["p0123", "q0123", "n0123", "xn0_abc", "xs1_abc", "xr0_1_abc", "xe5", "xw1700000000", "kopia.repository", "kopia.repository.backup.x", "kopia.blobcfg"]) {
    expect(isLockedBlobId(id)).toBe(true);
  }
  for (const id of ["s0123", "_log_2026", "kopia.maintenance", "m0123", "l0123", ".storageconfig"]) {
    expect(isLockedBlobId(id)).toBe(false);
  }
});

test("unlocked blobs pass through unchanged (options kept, other methods delegate)", async () => {
  const st = await openFilesystemStorage({ path: join(dir, "r"), create: true });
  const w = withRetention(st, "GOVERNANCE", 86_400_000);
  expect(w.displayName).toBe(st.displayName);
  expect(w.extendRetention).toBeUndefined(); // filesystem has none, so neither does the wrapper
  await w.putBlob("kopia.maintenance", new TextEncoder().encode("a"), { doNotRecreate: true });
  await expect(w.putBlob("kopia.maintenance", new TextEncoder().encode("b"), { doNotRecreate: true })).rejects.toBeInstanceOf(BlobAlreadyExistsError);
  expect(new TextDecoder().decode(await w.getBlob("kopia.maintenance"))).toBe("a");
  expect((await w.getMetadata("kopia.maintenance")).length).toBe(1);
  expect((await listAll(w, "")).map((m) => m.id)).toEqual(["kopia.maintenance"]);
  await w.deleteBlob("kopia.maintenance");
  expect(await listAll(st, "")).toEqual([]);
  await w.close();
});
