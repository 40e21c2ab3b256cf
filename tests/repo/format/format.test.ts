import { describe, expect, test } from "bun:test";
import { CorruptDataError, InvalidPasswordError, RepositoryExistsError, RepositoryNotFoundError, UnsupportedAlgorithmError, UsageError } from "../../../lib/errors.ts";
import { createFormat, loadFormat, changeFormatPassword, setFormatParameters, UnsupportedRepositoryFeatureError } from "../../../lib/repo/format/format-manager.ts";
import { parseFormatBlob, serializeFormatBlob, encryptRepositoryConfig, FORMAT_BLOB_ID } from "../../../lib/repo/format/format-blob.ts";
import { BLOBCFG_BLOB_ID, validateBlobCfg } from "../../../lib/repo/format/blobcfg.ts";
import { HOUR_NS } from "../../../lib/repo/format/go-json.ts";
import { deriveKeyFromPassword } from "../../../lib/crypto/kdf.ts";
import { MemStorage } from "../content/mem-storage.ts";

// scrypt-65536 is slow-ish; tests use the same default as kopia to stay honest.
describe("kopia.repository format", () => {
  test("create writes blobcfg then kopia.repository with Go-style JSON and defaults", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pass1");
    expect(st.puts.map((p) => p.id)).toEqual([BLOBCFG_BLOB_ID, FORMAT_BLOB_ID]);
    const text = new TextDecoder().decode(await st.getBlob(FORMAT_BLOB_ID));
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.startsWith('{\n  "tool": "https://github.com/kopia/kopia",\n  "buildVersion": "v0-unofficial",\n  "buildInfo": "unknown",\n  "uniqueID": "')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(["tool", "buildVersion", "buildInfo", "uniqueID", "keyAlgo", "encryption", "encryptedBlockFormat"]);
    expect(lf.config.version).toBe(3);
    expect(lf.config.indexVersion).toBe(2);
    expect(lf.config.maxPackSize).toBe(20 << 20);
    expect(lf.config.hash).toBe("BLAKE2B-256-128");
    expect(lf.config.encryption).toBe("AES256-GCM-HMAC-SHA256");
    expect(lf.config.splitter).toBe("DYNAMIC-4M-BUZHASH");
    expect(lf.config.epochParameters.Enabled).toBe(true);
    expect(lf.config.epochParameters.MinEpochDuration).toBe(24 * HOUR_NS);
    expect(lf.config.secret.length).toBe(32);
    expect(lf.config.masterKey.length).toBe(32);
    expect(lf.formatBlob.uniqueID.length).toBe(32);
    const re = await loadFormat(st, "pass1");
    expect(re.config).toEqual(lf.config);
    expect(re.blobCfg).toEqual({});
  });

  test("create refuses an existing repository; missing → RepositoryNotFoundError", async () => {
    const st = new MemStorage();
    await expect(loadFormat(st, "x")).rejects.toBeInstanceOf(RepositoryNotFoundError);
    await createFormat(st, "x");
    await expect(createFormat(st, "x")).rejects.toBeInstanceOf(RepositoryExistsError);
  });

  test("wrong password → InvalidPasswordError and nothing written", async () => {
    const st = new MemStorage();
    await createFormat(st, "right");
    const n = st.puts.length;
    await expect(loadFormat(st, "wrong")).rejects.toBeInstanceOf(InvalidPasswordError);
    expect(st.puts.length).toBe(n);
  });

  test("damaged JSON → CorruptDataError naming kopia.repository", async () => {
    const st = new MemStorage();
    st.set(FORMAT_BLOB_ID, '{"tool": "x", "uniqueID": ');
    const err = await loadFormat(st, "x").catch((e) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(err.message).toContain("kopia.repository");
  });

  test("unknown hash algorithm in config is reported as UnsupportedAlgorithmError at open", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pw");
    lf.config.hash = "SHA-1-NOPE";
    encryptRepositoryConfig(lf.formatBlob, lf.config, lf.formatEncryptionKey);
    st.set(FORMAT_BLOB_ID, serializeFormatBlob(lf.formatBlob));
    const { openContentRepository } = await import("../../../lib/repo/content-repository.ts");
    const err = await openContentRepository(st, "pw").catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedAlgorithmError);
    expect(err.message).toContain("SHA-1-NOPE");
  });

  test("unknown key algorithm → UnsupportedAlgorithmError", async () => {
    const st = new MemStorage();
    await createFormat(st, "pw");
    const f = parseFormatBlob(await st.getBlob(FORMAT_BLOB_ID));
    f.keyAlgo = "argon9";
    st.set(FORMAT_BLOB_ID, serializeFormatBlob(f));
    await expect(loadFormat(st, "pw")).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
  });

  test("required feature not understood → clear error; warn-only features are accepted", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pw");
    lf.config.requiredFeatures = [{ feature: "warn-only", ifNotUnderstood: { warn: true } }];
    encryptRepositoryConfig(lf.formatBlob, lf.config, lf.formatEncryptionKey);
    st.set(FORMAT_BLOB_ID, serializeFormatBlob(lf.formatBlob));
    expect((await loadFormat(st, "pw")).config.requiredFeatures?.[0].feature).toBe("warn-only");
    lf.config.requiredFeatures = [{ feature: "index-v9", ifNotUnderstood: { warn: false, upgradeToVersion: "v0.99" } }];
    encryptRepositoryConfig(lf.formatBlob, lf.config, lf.formatEncryptionKey);
    st.set(FORMAT_BLOB_ID, serializeFormatBlob(lf.formatBlob));
    const err = await loadFormat(st, "pw").catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedRepositoryFeatureError);
    expect(err.message).toContain("index-v9");
    expect(err.message).toContain("v0.99");
  });

  test("change password rewrites blobcfg then kopia.repository; keys unchanged", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "old");
    st.puts = [];
    await changeFormatPassword(st, lf, "new");
    expect(st.puts.map((p) => p.id)).toEqual([BLOBCFG_BLOB_ID, FORMAT_BLOB_ID]);
    await expect(loadFormat(st, "old")).rejects.toBeInstanceOf(InvalidPasswordError);
    const re = await loadFormat(st, "new");
    expect(re.config.masterKey).toEqual(lf.config.masterKey);
    expect(re.config.secret).toEqual(lf.config.secret);
    expect(re.formatEncryptionKey).toEqual(await deriveKeyFromPassword("new", lf.formatBlob.uniqueID, "scrypt-65536-8-1"));
  });

  test("set parameters validates and persists (MinEpochDuration 8h, retention)", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pw");
    await setFormatParameters(st, lf, { minEpochDurationMs: 8 * 3600_000 });
    expect((await loadFormat(st, "pw")).config.epochParameters.MinEpochDuration).toBe(8 * HOUR_NS);
    await expect(setFormatParameters(st, lf, { minEpochDurationMs: 5 * 60_000 })).rejects.toBeInstanceOf(UsageError);
    await expect(setFormatParameters(st, lf, { maxPackSize: 1 << 20 })).rejects.toBeInstanceOf(UsageError);
    await expect(setFormatParameters(st, lf, { retentionMode: "GOVERNANCE" })).rejects.toBeInstanceOf(UsageError);
    st.puts = [];
    await setFormatParameters(st, lf, { retentionMode: "COMPLIANCE", retentionPeriodMs: 48 * 3600_000 });
    expect(st.puts.map((p) => [p.id, p.opts?.retentionMode])).toEqual([[BLOBCFG_BLOB_ID, "COMPLIANCE"], [FORMAT_BLOB_ID, "COMPLIANCE"]]);
    const re = await loadFormat(st, "pw");
    expect(re.blobCfg).toEqual({ retentionMode: "COMPLIANCE", retentionPeriod: 48 * HOUR_NS });
    expect(re.config.epochParameters.MinEpochDuration).toBe(8 * HOUR_NS);
  });

  test("blobcfg validation: mode and period together, period ≥ 24h", () => {
    expect(() => validateBlobCfg({ retentionMode: "GOVERNANCE" })).toThrow(UsageError);
    expect(() => validateBlobCfg({ retentionPeriod: 48 * HOUR_NS })).toThrow(UsageError);
    expect(() => validateBlobCfg({ retentionMode: "GOVERNANCE", retentionPeriod: 23 * HOUR_NS })).toThrow(UsageError);
    expect(() => validateBlobCfg({ retentionMode: "GOVERNANCE", retentionPeriod: 24 * HOUR_NS })).not.toThrow();
    expect(() => validateBlobCfg({})).not.toThrow();
  });

  test("format version 1 config: index v1, epochs disabled, no password change", async () => {
    const st = new MemStorage();
    const lf = await createFormat(st, "pw", { formatVersion: 1 });
    expect(lf.config.indexVersion).toBe(1);
    expect(lf.config.epochParameters.Enabled).toBe(false);
    await expect(changeFormatPassword(st, lf, "x")).rejects.toBeInstanceOf(UsageError);
  });
});
