// Opening further connections with the format key an earlier open derived (OpenOptions.formatKey):
// no second KDF run, and the connections are full peers (each reads what the other wrote).
// That the KDF is skipped is observable without timing: a WRONG password opens when the known
// key matches, and fails as before when it does not.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidPasswordError, RepositoryNotFoundError } from "../../../lib/errors.ts";
import { changeFormatPassword, createFormat, loadFormat } from "../../../lib/repo/format/format-manager.ts";
import { initializeRepository, openRepository } from "../../../lib/repo/repository.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";
import { MemStorage } from "../content/mem-storage.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("loadFormat with a known key", () => {
  test("a matching key opens without the password (no KDF); the result equals a password open", async () => {
    const st = new MemStorage();
    await createFormat(st, "right");
    const byPassword = await loadFormat(st, "right");
    const known = { uniqueID: byPassword.formatBlob.uniqueID, keyAlgo: byPassword.formatBlob.keyAlgo, key: byPassword.formatEncryptionKey };
    const byKey = await loadFormat(st, "wrong", known);
    expect(byKey.config).toEqual(byPassword.config);
    expect(byKey.blobCfg).toEqual(byPassword.blobCfg);
    expect(Buffer.from(byKey.formatEncryptionKey).equals(Buffer.from(byPassword.formatEncryptionKey))).toBe(true);
  });

  test("a key of another repository is ignored: the password decides", async () => {
    const a = new MemStorage();
    const b = new MemStorage();
    const la = await createFormat(a, "pw-a");
    await createFormat(b, "pw-b");
    const knownA = { uniqueID: la.formatBlob.uniqueID, keyAlgo: la.formatBlob.keyAlgo, key: la.formatEncryptionKey };
    expect((await loadFormat(b, "pw-b", knownA)).config.version).toBeGreaterThan(0);
    await expect(loadFormat(b, "pw-a", knownA)).rejects.toBeInstanceOf(InvalidPasswordError);
  });

  test("a stale key (password changed since) falls back to the password", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "old");
    const stale = { uniqueID: lf.formatBlob.uniqueID, keyAlgo: lf.formatBlob.keyAlgo, key: lf.formatEncryptionKey };
    await changeFormatPassword(st, await loadFormat(st, "old"), "new");
    expect((await loadFormat(st, "new", stale)).config.masterKey).toEqual(lf.config.masterKey);
    await expect(loadFormat(st, "old", stale)).rejects.toBeInstanceOf(InvalidPasswordError);
  });

  test("a corrupted key of the right repository with a wrong password is still InvalidPasswordError", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pw");
    const bad = { uniqueID: lf.formatBlob.uniqueID, keyAlgo: lf.formatBlob.keyAlgo, key: new Uint8Array(32).fill(7) };
    await expect(loadFormat(st, "nope", bad)).rejects.toBeInstanceOf(InvalidPasswordError);
    expect((await loadFormat(st, "pw", bad)).formatEncryptionKey).toEqual(lf.formatEncryptionKey);
  });

  test("a missing repository is RepositoryNotFoundError even with a key", async () => {
    const st = new MemStorage();
    const other = new MemStorage();
    const lf = await createFormat(other, "pw");
    const known = { uniqueID: lf.formatBlob.uniqueID, keyAlgo: lf.formatBlob.keyAlgo, key: lf.formatEncryptionKey };
    await expect(loadFormat(st, "pw", known)).rejects.toBeInstanceOf(RepositoryNotFoundError);
  });
});

describe("openRepository with formatKey", () => {
  test("two connections in one process, the second opened from the first's key, see each other's writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corso-fmtkey-"));
    dirs.push(dir);
    const st1 = await openFilesystemStorage({ path: join(dir, "repo"), create: true });
    await initializeRepository(st1, "pass");
    const r1 = await openRepository(st1, "pass", { hostname: "h", username: "u" });
    const st2 = await openFilesystemStorage({ path: join(dir, "repo") });
    const r2 = await openRepository(st2, "not the password", { hostname: "h", username: "u", formatKey: r1.content.formatKey });
    expect(r2.config).toEqual(r1.config);
    const oid = await r2.objects.writeObject(new TextEncoder().encode("written by the second connection"));
    const mid = await r2.manifests.put({ type: "test", n: "1" }, { oid: String(oid) });
    await r2.flush();
    await r1.refresh();
    const m = await r1.manifests.get(mid);
    expect(m.payload.oid).toBe(String(oid));
    expect(new TextDecoder().decode(await r1.objects.readObject(oid))).toBe("written by the second connection");
    await r2.close();
    await r1.close();
    await st1.close();
    await st2.close();
  });
});
