// Runs the real kopia 0.15 binary against a repository directory, isolated in a temp dir.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureKopia } from "../../../scripts/setup-tools.ts";

export class KopiaTool {
  readonly bin = ensureKopia();
  constructor(readonly work: string, readonly password: string) {
    mkdirSync(work, { recursive: true });
  }
  private get env() {
    return { ...process.env, KOPIA_PASSWORD: this.password, KOPIA_CHECK_FOR_UPDATES: "false", KOPIA_LOG_DIR: join(this.work, "logs"), HOME: this.work };
  }
  private common(): string[] {
    return [`--config-file=${join(this.work, "kopia.config")}`];
  }
  /** Runs kopia; throws with stderr on failure; returns raw stdout. */
  run(args: string[], opts: { allowFail?: boolean } = {}): { stdout: Uint8Array; stderr: string; exitCode: number } {
    const r = Bun.spawnSync([this.bin, ...args, ...this.common()], { env: this.env, cwd: this.work, stdout: "pipe", stderr: "pipe" });
    const out = { stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString(), exitCode: r.exitCode ?? -1 };
    if (out.exitCode !== 0 && !opts.allowFail) throw new Error(`kopia ${args.join(" ")} failed (${out.exitCode}): ${out.stderr}`);
    return out;
  }
  text(args: string[]): string {
    return new TextDecoder().decode(this.run(args).stdout);
  }
  json(args: string[]): any {
    return JSON.parse(this.text(args).replace(/[^\]}]*$/, ""));
  }
  create(repoPath: string, extra: string[] = []): void {
    this.run(["repository", "create", "filesystem", `--path=${repoPath}`, "--no-persist-credentials", `--cache-directory=${join(this.work, "cache")}`, ...extra]);
  }
  connect(repoPath: string): void {
    this.run(["repository", "connect", "filesystem", `--path=${repoPath}`, "--no-persist-credentials", `--cache-directory=${join(this.work, "cache")}`]);
  }
}
