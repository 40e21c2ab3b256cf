// `corso backup delete exchange --backup ID | --backups ID,ID` (corso-cli spec §4.4): all or
// nothing — the backup models, item-data and details snapshots of every ID go in one call, and an
// unknown ID deletes nothing.
import { UsageError } from "../../errors.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { CommandError, wrapError } from "../errors.ts";
import { info } from "../print.ts";
import type { RepoFlags } from "../repo-config.ts";
import { closeConnected, connectConfigured } from "../session.ts";
import { splitList } from "./backup.ts";
import { isNotFound } from "./backup-details.ts";

export async function deleteExchange(ctx: CommandContext, f: FlagValues): Promise<void> {
  let ids = splitList(f.backups) ?? [];
  if (ids.length === 0 && typeof f.backup === "string" && f.backup.trim() !== "") ids = [f.backup.trim()];
  if (ids.length === 0) throw new UsageError("either --backup or --backups flag is required");
  const c = await connectConfigured(ctx, f as RepoFlags);
  try {
    const { deleteBackups } = await import("../../ops/backups.ts");
    try {
      await deleteBackups(c.repo, ids);
    } catch (e) {
      const msg = (e as Error).message?.split("\n")[0] ?? String(e);
      if (isNotFound(e)) {
        throw new CommandError("backup-not-found", msg.startsWith("Deleting backup") ? msg : `Deleting backup [${ids.join(" ")}]: no backup exists with that id: ${msg}`, { cause: e });
      }
      throw wrapError(`Deleting backup [${ids.join(" ")}]`, e);
    }
  } finally {
    await closeConnected(ctx, c);
  }
  info(`Deleted Exchange backup [${ids.join(" ")}]`);
}
