// Corso's repository manifests (lib/corso/repository-model.ts) against an in-memory manifest
// store: payload bytes equal Go's json.Marshal output (generated once from kopia v0.15's
// policy.Policy and maintenance.Params), defaults applied idempotently, identity lookup.
import { describe, expect, test } from "bun:test";
import {
  applyCorsoPolicyDefaults,
  corsoDefaultGlobalPolicy,
  corsoOwnedParams,
  ensureCorsoGlobalPolicy,
  getRepositoryId,
  getGlobalPolicy,
  putRepositoryModel,
  repositoryModelLabels,
  type ManifestStore,
} from "../../lib/corso/repository-model.ts";
import { defaultMaintenanceParams, paramsToJson } from "../../lib/repo/maintenance/params.ts";
import { goMarshal } from "../../lib/repo/manifest/manifest-manager.ts";

// From Go: json.Marshal of Corso's default policy and of DefaultParams() with owner "u@h" and
// both cycles disabled (kopia v0.15.0 module, see docs/CLI.md).
const GO_POLICY =
  '{"retention":{"keepLatest":0,"keepHourly":0,"keepDaily":0,"keepWeekly":0,"keepMonthly":0,"keepAnnual":0},"files":{},"errorHandling":{},"scheduling":{},"compression":{"compressorName":"zstd-better-compression"},"actions":{},"logging":{"directories":{},"entries":{}},"upload":{}}';
const GO_PARAMS =
  '{"owner":"u@h","quick":{"enabled":false,"interval":3600000000000},"full":{"enabled":false,"interval":86400000000000},"logRetention":{"maxTotalSize":1073741824,"maxCount":10000,"maxAge":2592000000000000},"extendObjectLocks":false}';

function memStore(): ManifestStore & { entries: Map<string, { labels: Record<string, string>; payload: unknown; modTime: Date }> } {
  const entries = new Map<string, { labels: Record<string, string>; payload: unknown; modTime: Date }>();
  let n = 0;
  return {
    entries,
    async put(labels, payload) {
      const id = `m${++n}`;
      entries.set(id, { labels: { ...labels }, payload: JSON.parse(goMarshal(payload)), modTime: new Date(Date.now() + n) });
      return id;
    },
    async get(id) {
      const e = entries.get(id);
      if (!e) throw new Error("not found");
      return { metadata: { id, labels: e.labels }, payload: e.payload };
    },
    async find(labels) {
      return [...entries.entries()]
        .filter(([, e]) => Object.entries(labels).every(([k, v]) => e.labels[k] === v))
        .map(([id, e]) => ({ id, labels: e.labels, modTime: e.modTime }));
    },
    async delete(id) {
      entries.delete(id);
    },
    async flush() {},
  };
}

describe("payloads match Go's json.Marshal", () => {
  test("global policy", () => {
    expect(goMarshal(corsoDefaultGlobalPolicy())).toBe(GO_POLICY);
  });
  test("maintenance parameters owned by Corso", () => {
    expect(goMarshal(paramsToJson(corsoOwnedParams(defaultMaintenanceParams(), "u@h")))).toBe(GO_PARAMS);
  });
});

describe("global policy", () => {
  test("written once, with kopia's global labels", async () => {
    const ms = memStore();
    expect(await ensureCorsoGlobalPolicy(ms)).toBe(true);
    expect(await ensureCorsoGlobalPolicy(ms)).toBe(false);
    const all = await ms.find({ type: "policy" });
    expect(all.length).toBe(1);
    expect(all[0].labels).toEqual({ type: "policy", policyType: "global" });
    expect((await getGlobalPolicy(ms))!.policy.compression.compressorName).toBe("zstd-better-compression");
  });
  test("an existing policy is corrected, not replaced wholesale", async () => {
    const ms = memStore();
    await ms.put({ type: "policy", policyType: "global" }, { compression: { compressorName: "s2-default" }, files: { ignore: [".git"] }, scheduling: { intervalSeconds: 3600 } });
    expect(await ensureCorsoGlobalPolicy(ms)).toBe(true);
    const all = await ms.find({ type: "policy" });
    expect(all.length).toBe(1);
    const p = (await getGlobalPolicy(ms))!.policy;
    expect(p.files).toEqual({ ignore: [".git"] });
    expect(p.compression).toEqual({ compressorName: "zstd-better-compression" });
    expect(p.scheduling.intervalSeconds).toBeUndefined();
    expect(p.retention.keepLatest).toBe(0);
    expect(applyCorsoPolicyDefaults(p)).toBeUndefined();
  });
});

describe("repository identity", () => {
  test("RepositorySchema model with stableID and storeVersion", async () => {
    const ms = memStore();
    expect(await getRepositoryId(ms)).toBe("");
    await putRepositoryModel(ms, "4f1c0a4e-0000-4000-8000-000000000001");
    const [e] = [...ms.entries.values()];
    expect(e.labels).toEqual(repositoryModelLabels("4f1c0a4e-0000-4000-8000-000000000001"));
    expect(e.labels).toEqual({ type: "RepositorySchema", stableID: "4f1c0a4e-0000-4000-8000-000000000001", storeVersion: "1" });
    expect(e.payload).toEqual({ ID: "4f1c0a4e-0000-4000-8000-000000000001" });
    expect(await getRepositoryId(ms)).toBe("4f1c0a4e-0000-4000-8000-000000000001");
  });
});
