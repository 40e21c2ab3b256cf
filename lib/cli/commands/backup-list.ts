// `corso backup list exchange [--backup ID]` (corso-cli spec §4.2): every Exchange backup
// (assist backups excluded), or one backup followed by its fault items (§8.3), whose sections the
// `--skipped-items/--recovered-errors/--alerts/--failed-items show|hide` flags toggle.
import type { CommandContext, FlagValues } from "../context.ts";
import { backupPrintable, faultPrintables, type BackupView, type FaultsView, useSyncStdout } from "../details-print.ts";
import { CommandError, wrapError } from "../errors.ts";
import { info, isJSON, outLine, printAll, printItem, printJSON } from "../print.ts";
import type { RepoFlags } from "../repo-config.ts";
import { closeConnected, connectConfigured } from "../session.ts";
import { isNotFound } from "./backup-details.ts";

const shown = (v: string | boolean | undefined): boolean => typeof v !== "string" || v.trim().toLowerCase() === "show";

export async function listExchange(ctx: CommandContext, f: FlagValues): Promise<void> {
  useSyncStdout(ctx);
  const id = typeof f.backup === "string" ? f.backup.trim() : "";
  const c = await connectConfigured(ctx, f as RepoFlags, { readOnly: true });
  try {
    const ops = await import("../../ops/backups.ts");
    if (id === "") {
      let list: BackupView[];
      try {
        list = (await ops.listBackups(c.repo, "exchange")) as unknown as BackupView[];
      } catch (e) {
        throw wrapError("Failed to list backups in the repository", e);
      }
      if (list.length === 0) {
        info("No backups available");
        return;
      }
      // Oldest first (the model store's order is arbitrary).
      list.sort((a, b) => String(a.startedAt ?? "").localeCompare(String(b.startedAt ?? "")));
      printAll(list.map(backupPrintable));
      return;
    }
    let d: { backup: unknown; faults: unknown };
    try {
      d = await ops.getBackupDetails(c.repo, id);
    } catch (e) {
      if (isNotFound(e)) throw new CommandError("backup-not-found", `No backup exists with the id ${id}`, { cause: e });
      throw wrapError(`Failed to list backup id ${id}`, e);
    }
    if (!d?.backup) throw new CommandError("backup-not-found", `No backup exists with the id ${id}`);
    const rows = faultPrintables(d.faults as FaultsView, {
      alerts: shown(f.alerts),
      skipped: shown(f.skippedItems),
      failed: shown(f.failedItems),
      recovered: shown(f.recoveredErrors),
    });
    if (isJSON()) {
      // One JSON document: the backup and its fault items.
      printJSON({ ...(backupPrintable(d.backup as BackupView).minimumPrintable() as object), faults: rows.map((r) => r.minimumPrintable()) });
      return;
    }
    printItem(backupPrintable(d.backup as BackupView));
    if (rows.length > 0) {
      outLine("");
      printAll(rows);
    }
  } finally {
    await closeConnected(ctx, c);
  }
}
