// `corso repo verify [--read-data-percent N]` (beyond Corso): checks the configured repository
// (indexes ↔ packs, manifests, everything snapshots reference; optionally reads back N% of the
// data), prints every problem on stdout (or a JSON result with --json) and fails if any exist.
import { UsageError } from "../../errors.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { CommandError, wrapError } from "../errors.ts";
import { info, isJSON, outLine, printJSON } from "../print.ts";
import { closeConnected, connectConfigured } from "../session.ts";

export function parsePercent(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v.trim());
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new UsageError(`invalid argument "${v}" for "--read-data-percent" flag: must be a number from 0 to 100`);
  }
  return n;
}

export async function runVerifyCommand(ctx: CommandContext, f: FlagValues): Promise<void> {
  const pct = parsePercent(typeof f.readDataPercent === "string" ? f.readDataPercent : undefined);
  const c = await connectConfigured(ctx, {}, { readOnly: true });
  let result: { problems: string[]; contentsChecked: number; bytesRead: number; snapshotsChecked: number };
  try {
    const { verifyRepository } = await import("../../repo/verify.ts");
    try {
      result = await ctx.progress.step("Verifying repository", (update) =>
        verifyRepository(c.repo, { readDataPercent: pct, onProgress: (m) => (ctx.log.info(m), update("")) }),
      );
    } catch (e) {
      throw wrapError("verifying repository", e);
    }
  } finally {
    await closeConnected(ctx, c);
  }
  ctx.log.info("verify finished", { problems: result.problems.length, contentsChecked: result.contentsChecked });
  if (isJSON()) printJSON(result);
  else for (const p of result.problems) outLine(p);
  info(
    `Verified ${result.contentsChecked} contents (${result.bytesRead} bytes read) and ${result.snapshotsChecked} snapshots: ` +
      `${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} found.`,
  );
  if (result.problems.length > 0) {
    throw new CommandError("verify-failed", `repository verification found ${result.problems.length} problem(s)`);
  }
}
