// `corso backup details exchange --backup ID [selectors]` (corso-cli spec §4.3, §6.1, §8.2): the
// backup's details entries filtered by the selector flags, one table per item type (mail, event,
// contact) or the entries as JSON with --json. Unlike Corso, malformed time filters are refused
// here too (Corso only validated them on restore/export, and silently matched nothing).
import type { CommandContext, FlagValues } from "../context.ts";
import { entryPrintable, groupEntries, type DetailsEntryView, useSyncStdout } from "../details-print.ts";
import { CommandError, wrapError } from "../errors.ts";
import { info, isJSON, outLine, printAll, printJSON } from "../print.ts";
import type { RepoFlags } from "../repo-config.ts";
import { closeConnected, connectConfigured } from "../session.ts";
import { splitList } from "./backup.ts";

/** The library's "no such backup" errors (typed code or message). */
export function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? "";
  const msg = e instanceof Error ? e.message : String(e);
  return /not-found|notfound/i.test(code) || /no backup exists|not found/i.test(msg);
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === "string" ? v : undefined);

/** Builds the selector from the flags. Every category scope gets both an item and a folder
 * pattern (a scope with only one of them selects nothing in the library's filter). */
export async function selectorFrom(f: FlagValues) {
  const { selectorFromFlags } = await import("../../corso/selectors/exchange.ts");
  const v = selectorFlagValues(f);
  const sel = selectorFromFlags(v);
  if (v.contactName && !sel.contacts.filters.some((x) => x.kind === "contains" && x.field === "contactName")) {
    sel.contacts.filters.push({ kind: "contains", field: "contactName", value: v.contactName });
  }
  for (const c of [sel.email, sel.events, sel.contacts]) {
    if (c.items && !c.folders) c.folders = ["*"];
    if (c.folders && !c.items) c.items = ["*"];
  }
  return sel;
}

/** Selector flag values as the selector library takes them. */
export function selectorFlagValues(f: FlagValues) {
  return {
    email: splitList(f.email),
    emailFolder: splitList(f.emailFolder),
    emailSubject: str(f.emailSubject),
    emailSender: str(f.emailSender),
    emailReceivedAfter: str(f.emailReceivedAfter),
    emailReceivedBefore: str(f.emailReceivedBefore),
    event: splitList(f.event),
    eventCalendar: splitList(f.eventCalendar),
    eventSubject: str(f.eventSubject),
    eventOrganizer: str(f.eventOrganizer),
    eventRecurs: str(f.eventRecurs),
    eventStartsAfter: str(f.eventStartsAfter),
    eventStartsBefore: str(f.eventStartsBefore),
    contact: splitList(f.contact),
    contactFolder: splitList(f.contactFolder),
    contactName: str(f.contactName),
  };
}

export async function detailsExchange(ctx: CommandContext, f: FlagValues): Promise<void> {
  useSyncStdout(ctx);
  const id = String(f.backup ?? "").trim();
  // Flags first: a malformed filter fails before the repository is opened.
  const { filterDetails } = await import("../../corso/selectors/exchange.ts");
  const selector = await selectorFrom(f);
  const c = await connectConfigured(ctx, f as RepoFlags, { readOnly: true });
  let entries: DetailsEntryView[];
  try {
    const { getBackupDetails } = await import("../../ops/backups.ts");
    let d: { backup: unknown; details: unknown[] };
    try {
      d = await getBackupDetails(c.repo, id);
    } catch (e) {
      if (isNotFound(e)) throw new CommandError("backup-not-found", `no backup exists with the id ${id}`, { cause: e });
      throw wrapError("Failed to get backup details in the repository", e);
    }
    if (!d?.backup) throw new CommandError("backup-not-found", `no backup exists with the id ${id}`);
    const all = (d.details as DetailsEntryView[]).filter((e) => !e.folder);
    if (all.length === 0) throw new CommandError("no-items", "no items in backup");
    entries = f.skipReduce === true ? all : (filterDetails(all as never, selector) as unknown as DetailsEntryView[]).filter((e) => !e.folder);
  } finally {
    await closeConnected(ctx, c);
  }
  if (entries.length === 0) {
    info("no items match the provided selectors");
    return;
  }
  if (isJSON()) {
    printJSON(entries);
    return;
  }
  groupEntries(entries).forEach((group, i) => {
    if (i > 0) outLine("");
    printAll(group.map(entryPrintable));
  });
}
