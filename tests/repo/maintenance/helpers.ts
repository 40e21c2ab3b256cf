// Test helpers for maintenance: a virtual clock shared by the repository writer, the storage
// timestamps and maintenance (so "25 hours later" needs no waiting), and a real kopia 0.15 CLI
// runner bound to a temp config.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlobMetadata, BlobStorage, PutOptions, RetentionMode } from "../../../lib/storage/types.ts";
import { ensureKopia } from "../../../scripts/setup-tools.ts";

export const HOUR = 3_600_000;

export class VirtualClock {
  constructor(public ms: number = Date.now()) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Real storage whose blob timestamps are the virtual time at which we wrote them (blobs
 * written by others keep their real mtime). Everything else passes straight through.
 */
export class ClockedStorage implements BlobStorage {
  readonly written = new Map<string, Date>();
  constructor(readonly inner: BlobStorage, readonly clock: VirtualClock) {}
  get displayName() {
    return this.inner.displayName;
  }
  private fix(m: BlobMetadata): BlobMetadata {
    const t = this.written.get(m.id);
    return t ? { ...m, timestamp: t } : m;
  }
  getBlob(id: string, offset?: number, length?: number) {
    return this.inner.getBlob(id, offset, length);
  }
  async getMetadata(id: string) {
    return this.fix(await this.inner.getMetadata(id));
  }
  async putBlob(id: string, data: Uint8Array, opts?: PutOptions) {
    await this.inner.putBlob(id, data, opts);
    this.written.set(id, this.clock.now());
  }
  async deleteBlob(id: string) {
    await this.inner.deleteBlob(id);
    this.written.delete(id);
  }
  async *listBlobs(prefix: string) {
    for await (const m of this.inner.listBlobs(prefix)) yield this.fix(m);
  }
  get extendRetention(): ((id: string, mode: RetentionMode, periodMs: number) => Promise<void>) | undefined {
    const e = this.inner.extendRetention;
    return e ? (id, mode, p) => e.call(this.inner, id, mode, p) : undefined;
  }
  close() {
    return this.inner.close();
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface KopiaCli {
  run(args: string[], opts?: { allowFail?: boolean }): { code: number; stdout: string; stderr: string };
  configDir: string;
}

/** kopia 0.15 CLI with its own config/log/cache dirs under `dir`. */
export function kopiaCli(dir: string, password: string): KopiaCli {
  const bin = ensureKopia();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KOPIA_PASSWORD: password,
    KOPIA_CHECK_FOR_UPDATES: "false",
    KOPIA_LOG_DIR: join(dir, "logs"),
    KOPIA_CACHE_DIRECTORY: join(dir, "cache"),
  };
  return {
    configDir: dir,
    run(args, opts = {}) {
      const r = Bun.spawnSync([bin, `--config-file=${join(dir, "repository.config")}`, ...args], { env, stdout: "pipe", stderr: "pipe" });
      const res = { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
      if (res.code !== 0 && !opts.allowFail) {
        throw new Error(`kopia ${args.join(" ")} failed (${res.code}):\n${res.stderr}\n${res.stdout}`);
      }
      return res;
    },
  };
}
