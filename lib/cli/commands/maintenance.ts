// `corso repo maintenance --mode metadata|complete [--force] [--user] [--host]` (spec §3.5).
// metadata = kopia quick maintenance (a no-op on epoch repositories, as in Corso's kopia fork),
// complete = full maintenance with kopia's full safety margins. The owner is user@host (flags >
// corso_user/corso_host > OS defaults); an unowned repository is claimed, someone else's only
// with --force. Complete mode first runs Corso's cleanup of orphaned/incomplete backups older than
// 7 days (lib/corso/cleanup-backups.ts; a failure there is logged, not fatal).
// Like Corso, the config file is rewritten (persisting --user/--host) and nothing
// is printed on success except progress. With --json the maintenance report goes to stdout.
//
// Hidden test hook: CORSO_MAINTENANCE_SAFETY=none runs with kopia's SafetyNone margins
// (no minimum ages), so tests can see data removed without waiting days.
import { UsageError } from "../../errors.ts";
import { writeConfigFile } from "../config-file.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { wrapError } from "../errors.ts";
import { pii } from "../log.ts";
import { isJSON, printJSON } from "../print.ts";
import { configKeysToWrite } from "../repo-config.ts";
import { closeConnected, connectConfigured } from "../session.ts";

const MODES: Record<string, "quick" | "full"> = { complete: "full", metadata: "quick" };

export async function runMaintenanceCommand(ctx: CommandContext, f: FlagValues): Promise<void> {
  const modeName = typeof f.mode === "string" ? f.mode : "complete";
  const mode = MODES[modeName];
  if (!mode) throw new UsageError(`${modeName} is an unrecognized maintenance mode; must be one of complete or metadata`);
  const safetyEnv = (ctx.env.CORSO_MAINTENANCE_SAFETY ?? "full").toLowerCase();
  if (safetyEnv !== "full" && safetyEnv !== "none") throw new UsageError(`CORSO_MAINTENANCE_SAFETY must be full or none, not "${safetyEnv}"`);

  const c = await connectConfigured(ctx, {
    user: typeof f.user === "string" ? f.user : undefined,
    host: typeof f.host === "string" ? f.host : undefined,
  });
  try {
    writeConfigFile(c.file, configKeysToWrite(c.details, c.repoId));
    const owner = `${c.client.username}@${c.client.hostname}`;
    ctx.log.info("running maintenance", { mode, force: f.force === true, owner: pii(owner), safety: safetyEnv });
    const { corsoRepoMaintenance } = await import("../../corso/cleanup-backups.ts");
    let report: Awaited<ReturnType<typeof corsoRepoMaintenance>>;
    try {
      report = await ctx.progress.step(`Running ${modeName} maintenance`, () =>
        corsoRepoMaintenance(c.repo, {
          mode,
          force: f.force === true,
          owner,
          safety: safetyEnv as "full" | "none",
          onProgress: (m) => ctx.log.info(m),
        }),
      );
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw wrapError(code === "maintenance-not-owned" ? "running maintenance operation: running kopia maintenance" : "running maintenance operation", e);
    }
    if (report.cleanupError) ctx.log.warn(report.cleanupError);
    if (report.ownerClaimed) ctx.progress.message(`updating maintenance user@host to ${owner}`);
    ctx.log.info("maintenance finished", {
      blobsDeleted: report.blobsDeleted,
      bytesFreed: report.bytesFreed,
      contentsDeleted: report.contentsDeleted,
      contentsRewritten: report.contentsRewritten,
    });
    if (isJSON()) printJSON(report);
  } finally {
    await closeConnected(ctx, c);
  }
}
