// The `backup` and `export` command groups (Exchange), plugged into lib/cli/tree.ts. Flag names,
// help texts and examples are Corso's (src/cli/flags/*.go, src/cli/backup/exchange.go,
// src/cli/export/exchange.go); implementations are imported lazily by each action.
import type { FlagSpec } from "../flags.ts";
import { AWS_FLAGS, AZURE_FLAGS, PASSPHRASE } from "../flags.ts";
import type { Group, Leaf } from "../tree.ts";

const s = (name: string, desc: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: "string", desc, ...extra });
const b = (name: string, desc: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: "bool", desc, ...extra });

const STORAGE_FLAGS: FlagSpec[] = [PASSPHRASE, ...AWS_FLAGS];

export const GENERIC_CREATE_FLAGS: FlagSpec[] = [
  b("fail-fast", "stop processing immediately if any error occurs", { hidden: true }),
  b("disable-incrementals", "Disable incremental data retrieval in backups.", { hidden: true }),
  b("force-item-data-download", "Disable cached data checks in backups to force item redownloads for items changed since the last successful backup.", { hidden: true }),
];

export const EXCHANGE_CREATE_FLAGS: FlagSpec[] = [
  s("mailbox", "Backup a specific mailbox(es) by email address; accepts '*' to select all mailboxes."),
  s("user", "Backup a specific user's mailbox(es) by email address; accepts '*' to select all users.", { hidden: true }),
  s("data", "Select one or more types of data to backup: email, contacts or events."),
  s("fetch-parallelism", "Control the number of concurrent data fetches for Exchange. Valid range is [1-4]. Default: 4", { hidden: true, display: "4" }),
  b("disable-delta", "Disable delta based data retrieval in backups.", { hidden: true }),
  b("enable-immutable-id", "Enable exchange immutable ID.", { hidden: true }),
  s("delta-page-size", "Control quantity of items returned in paged queries. Valid range is [1-500]. Default: 500", { hidden: true, display: "500" }),
  b("disable-sliding-window-limiter", "Disable sliding window rate limiter.", { hidden: true }),
  s("parallel-mailboxes", "Number of mailboxes backed up at the same time (Graph's limits are per mailbox).", { display: "8" }),
  s("shard", "Back up only the i-th of n stable partitions of the selected mailboxes (e.g. 1/4), so several hosts can share one tenant and repository."),
  ...GENERIC_CREATE_FLAGS,
];

export const BACKUP_ID = s("backup", "ID of the backup to retrieve.");
export const BACKUPS_IDS = s("backups", "',' separated IDs of the backup to retrieve");

export const EXCHANGE_SELECTOR_FLAGS: FlagSpec[] = [
  s("email", "Select email messages by ID; accepts '*' to select all emails."),
  s("email-folder", "Select emails within a folder; accepts '*' to select all email folders."),
  s("email-subject", "Select emails with a subject containing this value."),
  s("email-sender", "Select emails from a specific sender."),
  s("email-received-after", "Select emails received after this datetime."),
  s("email-received-before", "Select emails received before this datetime."),
  s("event", "Select events by event ID; accepts '*' to select all events."),
  s("event-calendar", "Select events under a calendar; accepts '*' to select all events."),
  s("event-subject", "Select events with a subject containing this value."),
  s("event-organizer", "Select events from a specific organizer."),
  s("event-recurs", "Select recurring events. Use `--event-recurs false` to select non-recurring events."),
  s("event-starts-after", "Select events starting after this datetime."),
  s("event-starts-before", "Select events starting before this datetime."),
  s("contact", "Select contacts by contact ID; accepts '*' to select all contacts."),
  s("contact-folder", "Select contacts within a folder; accepts '*' to select all contact folders."),
  s("contact-name", "Select contacts whose contact name contains this value."),
];

export const LIST_FAULT_FLAGS: FlagSpec[] = [
  s("skipped-items", "Toggles showing or hiding the list of items that were skipped.", { display: "show" }),
  s("recovered-errors", "Toggles showing or hiding the list of errors which Corso recovered from.", { display: "show" }),
  s("alerts", "Toggles showing or hiding the list of alerts produced during the operation.", { display: "show" }),
  s("failed-items", "Toggles showing or hiding the list of items that failed.", { hidden: true, display: "show" }),
];

const impl = () => import("./backup.ts");

const createExchange: Leaf = {
  kind: "leaf",
  name: "exchange",
  use: "--mailbox <email> | '*'",
  short: "Backup M365 Exchange service data",
  examples: `# Backup all Exchange data for Alice
corso backup create exchange --mailbox alice@example.com

# Backup only Exchange contacts for Alice and Bob
corso backup create exchange --mailbox alice@example.com,bob@example.com --data contacts

# Backup all Exchange data for all M365 users
corso backup create exchange --mailbox '*'

# Split the tenant's mailboxes over three hosts backing up into one repository
corso backup create exchange --mailbox '*' --shard 1/3`,
  flags: [...EXCHANGE_CREATE_FLAGS, ...STORAGE_FLAGS, ...AZURE_FLAGS],
  run: async (ctx, f) => (await impl()).createExchange(ctx, f),
};

const listExchange: Leaf = {
  kind: "leaf",
  name: "exchange",
  short: "List the history of M365 Exchange service backups",
  examples: `# List all Exchange backups in the repository
corso backup list exchange

# List details of one backup, with its errors and skipped items
corso backup list exchange --backup 1234abcd-12ab-cd34-56de-1234abcd`,
  flags: [BACKUP_ID, ...LIST_FAULT_FLAGS, ...STORAGE_FLAGS, ...AZURE_FLAGS],
  run: async (ctx, f) => (await import("./backup-list.ts")).listExchange(ctx, f),
};

const detailsExchange: Leaf = {
  kind: "leaf",
  name: "exchange",
  use: "--backup <backupId>",
  short: "Shows the details of a M365 Exchange service backup",
  examples: `# Explore items in Alice's latest backup (1234abcd...)
corso backup details exchange --backup 1234abcd-12ab-cd34-56de-1234abcd

# Explore emails in the folder "Inbox" with subject containing "Hello world"
corso backup details exchange --backup 1234abcd-12ab-cd34-56de-1234abcd \\
      --email-subject "Hello world" --email-folder Inbox

# Explore calendar events occurring after start of 2022
corso backup details exchange --backup 1234abcd-12ab-cd34-56de-1234abcd \\
      --event-starts-after 2022-01-01T00:00:00Z

# Explore contacts named Andy
corso backup details exchange --backup 1234abcd-12ab-cd34-56de-1234abcd \\
      --contact-name Andy`,
  flags: [{ ...BACKUP_ID, required: true }, ...EXCHANGE_SELECTOR_FLAGS, b("skip-reduce", "Skip the selector reduce filtering", { hidden: true }), ...STORAGE_FLAGS, ...AZURE_FLAGS],
  run: async (ctx, f) => (await import("./backup-details.ts")).detailsExchange(ctx, f),
};

const deleteExchange: Leaf = {
  kind: "leaf",
  name: "exchange",
  use: "--backups <backupId>",
  short: "Delete backed-up M365 Exchange service data",
  examples: `# Delete Exchange backup with ID 1234abcd-12ab-cd34-56de-1234abcd
corso backup delete exchange --backups 1234abcd-12ab-cd34-56de-1234abcd

# Delete multiple backups
corso backup delete exchange --backups 1234abcd-12ab-cd34-56de-1234abcd,1234abcd-12ab-cd34-56de-1234abce`,
  flags: [BACKUPS_IDS, BACKUP_ID, ...STORAGE_FLAGS, ...AZURE_FLAGS],
  run: async (ctx, f) => (await import("./backup-delete.ts")).deleteExchange(ctx, f),
};

export const BACKUP_GROUP: Group = {
  kind: "group",
  name: "backup",
  short: "Backup your service data",
  long: "Backup the data stored in one of your M365 services.",
  children: [
    { kind: "group", name: "create", short: "Backup an M365 Service", children: [createExchange] },
    { kind: "group", name: "list", short: "List the history of backups", children: [listExchange] },
    { kind: "group", name: "details", short: "Shows the details of a backup", children: [detailsExchange] },
    { kind: "group", name: "delete", short: "Deletes a backup", children: [deleteExchange] },
  ],
};

const exportExchange: Leaf = {
  kind: "leaf",
  name: "exchange",
  use: "<destination> --backup <backupId>",
  short: "Export M365 Exchange service data",
  long: "Export M365 Exchange service data: mail as .eml, events as .ics, contacts as .vcf.",
  positionalArgs: true,
  examples: `# Export emails with ID 98765abcdef and 12345abcdef from Alice's last backup (1234abcd...) to my-exports directory
corso export exchange my-exports --backup 1234abcd-12ab-cd34-56de-1234abcd --email 98765abcdef,12345abcdef

# Export all emails in the folder "Inbox" as one zip archive
corso export exchange my-exports --backup 1234abcd-12ab-cd34-56de-1234abcd --email-folder Inbox --archive`,
  flags: [
    { ...BACKUP_ID, required: true },
    ...EXCHANGE_SELECTOR_FLAGS,
    b("archive", "Export data as an archive instead of individual files"),
    s("format", "Specify the export file format", { hidden: true }),
    b("fail-fast", "stop processing immediately if any error occurs", { hidden: true }),
    ...STORAGE_FLAGS,
  ],
  run: async (ctx, f, args) => (await import("./export.ts")).exportExchangeCmd(ctx, f, args ?? []),
};

export const EXPORT_GROUP: Group = {
  kind: "group",
  name: "export",
  short: "Export your service data",
  long: "Export the data stored in one of your M365 services.",
  children: [exportExchange],
};
