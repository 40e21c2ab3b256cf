// `corso export exchange <destination> --backup ID [selectors] [--archive]` (corso-cli spec §5.2):
// mail as .eml, events as .ics, contacts as .vcf under Emails/<folders>/, Events/<calendar>/,
// Contacts/<folder>/ (or one zip with --archive). Corso's export took only the email selector
// flags; corso takes every Exchange selector flag of §6.1 (no flag: everything).
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../../errors.ts";
import type { CommandContext, FlagValues } from "../context.ts";
import { humanizeBytes } from "../details-print.ts";
import { CommandError, wrapError } from "../errors.ts";
import { errorLine, info } from "../print.ts";
import type { RepoFlags } from "../repo-config.ts";
import { closeConnected, connectConfigured } from "../session.ts";
import { isNotFound, selectorFrom } from "./backup-details.ts";

/** The destination must be (or become) a writable directory: one clear line otherwise. */
export function prepareDestination(dest: string): string {
  const abs = resolve(dest);
  try {
    const st = statSync(abs);
    if (!st.isDirectory()) throw new UsageError(`export destination ${dest} is not a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new UsageError(`export destination ${dest} is not a directory: a parent is a file`);
    if (code !== "ENOENT") throw new UsageError(`export destination ${dest}: ${(e as Error).message}`);
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e2) {
      const c2 = (e2 as NodeJS.ErrnoException).code;
      if (c2 === "ENOTDIR" || c2 === "EEXIST") throw new UsageError(`export destination ${dest} cannot be created: a parent is a file`);
      if (c2 === "EACCES" || c2 === "EPERM" || c2 === "EROFS") throw new UsageError(`export destination ${dest} is not writable`);
      throw new UsageError(`export destination ${dest} cannot be created: ${(e2 as Error).message}`);
    }
  }
  try {
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`export destination ${dest} is not writable`);
  }
  return abs;
}

function faultText(e: unknown): string {
  if (typeof e === "string") return e;
  const o = (e ?? {}) as { id?: string; name?: string; cause?: string; message?: string };
  if (o.cause !== undefined) return `${o.name || o.id || "item"}: ${o.cause}`;
  return o.message ?? JSON.stringify(e);
}

const CATEGORY_LABEL: Record<string, string> = { email: "Emails", emails: "Emails", events: "Events", contacts: "Contacts" };

export async function exportExchangeCmd(ctx: CommandContext, f: FlagValues, args: string[]): Promise<void> {
  if (args.length !== 1 || args[0].trim() === "") throw new UsageError("missing export destination");
  if (typeof f.format === "string" && f.format.trim() !== "") throw new UsageError("unrecognized format type: ");
  const id = String(f.backup ?? "").trim();
  const selector = await selectorFrom(f);
  const dest = prepareDestination(args[0]);
  const c = await connectConfigured(ctx, f as RepoFlags, { readOnly: true });
  let result: { items: number; bytes: number; errors: unknown[]; categories?: Record<string, { items: number; bytes: number }>; archive?: string };
  try {
    info(`Exporting to folder ${args[0]}`);
    const { exportExchange } = await import("../../ops/export/exchange.ts");
    const run = () => exportExchange(c.repo, id, selector, dest, { archive: f.archive === true, failFast: f.failFast === true });
    try {
      result = (await (ctx.progress.interactive ? ctx.progress.step("Writing data to disk", run) : run())) as typeof result;
    } catch (e) {
      if (isNotFound(e)) throw new CommandError("backup-not-found", `no backup exists with the id ${id}`, { cause: e });
      throw wrapError("Failed to export Exchange data", e);
    }
  } finally {
    await closeConnected(ctx, c);
  }
  const errors = result.errors ?? [];
  if (errors.length > 0) {
    info("\nExport failures");
    for (const e of errors) errorLine(faultText(e));
    throw new CommandError("export-incomplete", `Incomplete export of Exchange data: ${errors.length} item(s) failed, ${result.items} exported`);
  }
  if (result.items === 0) {
    info("no items match the provided selectors");
    return;
  }
  info("\nExport details");
  if (result.categories) {
    for (const [k, v] of Object.entries(result.categories)) {
      if (v.items > 0) info(`${CATEGORY_LABEL[k] ?? k}: ${v.items} items (${humanizeBytes(v.bytes)})`);
    }
  } else info(`Exchange: ${result.items} items (${humanizeBytes(result.bytes)})`);
  if (result.archive) info(`Archive: ${result.archive}`);
}
