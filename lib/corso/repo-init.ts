// Creating and connecting to a Corso repository (Corso's conn.go Initialize/Connect on top of
// kopia's repo.Initialize): kopia defaults for the format, Corso's global policy, MinEpochDuration
// 8 h, maintenance parameters owned by user@host with automatic cycles off (plus object-lock
// extension when asked), and the RepositorySchema identity model. Init on an existing repository
// succeeds when the passphrase opens it (and re-applies the defaults); otherwise it fails with
// Corso's "a repository was already initialized with that configuration".
import { randomUUID } from "node:crypto";
import { CorsoError, InvalidPasswordError, RepositoryExistsError, UsageError } from "../errors.ts";
import type { KnownFormatKey } from "../repo/format/format-manager.ts";
import { initializeRepository, openRepository } from "../repo/repository.ts";
import type { BlobStorage } from "../storage/types.ts";
import {
  CORSO_MIN_EPOCH_DURATION_MS,
  corsoOwnedParams,
  ensureCorsoGlobalPolicy,
  getMaintenanceParams,
  getRepositoryId,
  hasMaintenanceParams,
  putRepositoryModel,
  setMaintenanceParams,
  type ManifestStore,
} from "./repository-model.ts";

export type RetentionModeFlag = "none" | "governance" | "compliance";

export interface RetentionRequest {
  /** Only what the user passed (Corso applies only flags actually given). */
  mode?: RetentionModeFlag;
  durationMs?: number;
  extend?: boolean;
}

/** An existing repository was found and the passphrase does not open it. */
export class RepositoryAlreadyInitializedError extends CorsoError {
  constructor() {
    super("repo-already-initialized", "a repository was already initialized with that configuration: invalid repository password");
  }
}

/** The minimal repository surface used here (lib/repo/repository.ts Repository). */
export interface CorsoRepoHandle {
  manifests: ManifestStore;
  setParameters(p: { minEpochDurationMs?: number }): Promise<void>;
  changePassword(p: string): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 24 * 3_600_000;

export function validateRetention(r: RetentionRequest): void {
  if (r.mode !== undefined && !["none", "governance", "compliance"].includes(r.mode)) {
    throw new UsageError(`invalid retention mode ${r.mode}`);
  }
  if (r.durationMs !== undefined && r.durationMs < 0) throw new UsageError("negative retention duration");
  if (r.mode === "none" && (r.durationMs ?? 0) !== 0) {
    throw new UsageError("initializing repository: duration must be 0 if rrOpts is disabled");
  }
  if (r.mode === undefined && (r.durationMs ?? 0) !== 0) {
    throw new UsageError("initializing repository: retention duration needs --retention-mode governance or compliance");
  }
  const enabled = r.mode === "governance" || r.mode === "compliance";
  if (enabled && !(r.durationMs && r.durationMs > 0)) {
    throw new UsageError("initializing repository: retention mode needs a positive --retention-duration");
  }
  // kopia CheckExtendRetention with the default 24 h full-maintenance interval.
  if (enabled && r.extend && r.durationMs! - DAY_MS < DAY_MS) {
    throw new UsageError(
      "initializing repository: invalid retention config: the repo retention period must be 24h0m0s greater than the full maintenance interval (24h0m0s)",
    );
  }
}

export interface InitResult {
  repo: CorsoRepoHandle;
  repoId: string;
  existed: boolean;
}

export interface ClientIdentity {
  username: string;
  hostname: string;
}

export async function initCorsoRepository(
  storage: BlobStorage,
  passphrase: string,
  retention: RetentionRequest,
  client: ClientIdentity,
  newRepoId: () => string = randomUUID,
): Promise<InitResult> {
  validateRetention(retention);
  const enabled = retention.mode === "governance" || retention.mode === "compliance";
  let existed = false;
  try {
    await initializeRepository(storage, passphrase, {
      ...(enabled ? { retentionMode: retention.mode!.toUpperCase() as "GOVERNANCE" | "COMPLIANCE", retentionPeriodMs: retention.durationMs } : {}),
    } as Parameters<typeof initializeRepository>[2]);
  } catch (e) {
    if (!(e instanceof RepositoryExistsError)) throw e;
    existed = true;
  }
  let repo: CorsoRepoHandle;
  try {
    repo = (await openRepository(storage, passphrase, { hostname: client.hostname, username: client.username })) as unknown as CorsoRepoHandle;
  } catch (e) {
    if (existed && e instanceof InvalidPasswordError) throw new RepositoryAlreadyInitializedError();
    throw e;
  }
  try {
    const ms = repo.manifests;
    await ensureCorsoGlobalPolicy(ms);
    const cur = await getMaintenanceParams(ms);
    if (!(await hasMaintenanceParams(ms))) {
      const p = corsoOwnedParams(cur, `${client.username}@${client.hostname}`);
      p.extendObjectLocks = retention.extend === true;
      await setMaintenanceParams(ms, p);
    } else if (retention.extend !== undefined && cur.extendObjectLocks !== retention.extend) {
      await setMaintenanceParams(ms, { ...cur, extendObjectLocks: retention.extend });
    }
    let repoId = await getRepositoryId(ms);
    if (repoId === "") {
      repoId = newRepoId();
      await putRepositoryModel(ms, repoId);
    }
    await ms.flush();
    if (!existed) await repo.setParameters({ minEpochDurationMs: CORSO_MIN_EPOCH_DURATION_MS });
    await repo.flush();
    return { repo, repoId, existed };
  } catch (e) {
    await repo.close().catch(() => {});
    throw e;
  }
}

export interface ConnectResult {
  repo: CorsoRepoHandle;
  /** From the RepositorySchema model ("" when the repository has none, e.g. older Corso repos). */
  repoId: string;
}

export async function connectCorsoRepository(
  storage: BlobStorage,
  passphrase: string,
  client: ClientIdentity & { readOnly?: boolean; formatKey?: KnownFormatKey },
): Promise<ConnectResult> {
  const repo = (await openRepository(storage, passphrase, client)) as unknown as CorsoRepoHandle;
  try {
    const repoId = await getRepositoryId(repo.manifests);
    return { repo, repoId };
  } catch (e) {
    await repo.close().catch(() => {});
    throw e;
  }
}
