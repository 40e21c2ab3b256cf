// Corso's model store (internal/kopia/model_store.go, spec kopia §12.5): each model is a kopia
// manifest labelled type=<schema>, stableID=<uuid>, storeVersion=1 plus the model's tags; the
// payload is the model JSON. Reuses the label constants of repository-model.ts.
import { CorsoError } from "../errors.ts";
import type { ManifestManager } from "../repo/manifest/manifest-manager.ts";
import { MODEL_STORE_VERSION } from "./repository-model.ts";

export type ModelSchema = "BackupOpSchema" | "RestoreOpSchema" | "BackupSchema" | "BackupDetailsSchema" | "RepositorySchema";

export class ModelNotFoundError extends CorsoError {
  constructor(readonly schema: string, readonly stableId: string) {
    super("model-not-found", `no ${schema === "BackupSchema" ? "backup" : schema} exists with the id ${stableId}`);
  }
}

export interface StoredModel<T> {
  manifestId: string;
  stableId: string;
  tags: Record<string, string>;
  modTime: Date;
  model: T;
}

const RESERVED = new Set(["type", "stableID", "storeVersion"]);

export function modelLabels(schema: ModelSchema, stableId: string, tags: Record<string, string> = {}): Record<string, string> {
  const l: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (!RESERVED.has(k)) l[k] = v;
  return { ...l, type: schema, stableID: stableId, storeVersion: MODEL_STORE_VERSION };
}

function tagsOf(labels: Record<string, string>): Record<string, string> {
  const t: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!RESERVED.has(k)) t[k] = v;
  return t;
}

/** Writes a model; an existing model with the same stableID is replaced (put new, delete old). */
export async function putModel(ms: ManifestManager, schema: ModelSchema, stableId: string, model: unknown, tags: Record<string, string> = {}): Promise<string> {
  const old = await ms.find({ type: schema, stableID: stableId });
  const id = await ms.put(modelLabels(schema, stableId, tags), model);
  for (const o of old) await ms.delete(o.id);
  return id;
}

export async function findModels<T>(ms: ManifestManager, schema: ModelSchema, tags: Record<string, string> = {}): Promise<StoredModel<T>[]> {
  const found = await ms.find({ ...tags, type: schema });
  const out: StoredModel<T>[] = [];
  for (const md of found) {
    const { payload } = await ms.get(md.id);
    out.push({ manifestId: md.id, stableId: md.labels.stableID ?? "", tags: tagsOf(md.labels), modTime: md.modTime, model: payload as T });
  }
  return out;
}

export async function getModel<T>(ms: ManifestManager, schema: ModelSchema, stableId: string): Promise<StoredModel<T>> {
  const found = await findModels<T>(ms, schema, { stableID: stableId });
  if (found.length === 0) throw new ModelNotFoundError(schema, stableId);
  return found.reduce((a, b) => (b.modTime > a.modTime ? b : a));
}
