// The command tree (Corso's cobra tree, spec §0). Leaves import their implementation lazily so
// `corso --help` / `--version` load neither the engine nor the AWS SDK. Service commands
// (backup/restore/export) plug in here as further groups once they work.
// Exchange backup/export groups (issue #5): light specs; implementations load lazily.
import { BACKUP_GROUP, EXPORT_GROUP } from "./commands/backup-tree.ts";
import type { CommandContext, FlagValues } from "./context.ts";
import {
  AWS_FLAGS,
  AZURE_FLAGS,
  FS_PATH,
  MAINTENANCE_FLAGS,
  NEW_PASSPHRASE,
  PASSPHRASE,
  RETENTION_FLAGS,
  S3_FLAGS,
  VERIFY_FLAGS,
  type FlagSpec,
} from "./flags.ts";

export interface Leaf {
  kind: "leaf";
  name: string;
  short: string;
  long?: string;
  examples?: string;
  flags: FlagSpec[];
  /** Corso skips the "Logging to file" banner for some commands (env, help, groups). */
  noLogBanner?: boolean;
  /** Custom help (corso env prints its guide as help). */
  help?: () => Promise<void>;
  /** Usage after the command path (Corso's `Use` suffix), e.g. `<destination> --backup <backupId>`. */
  use?: string;
  /** Takes positional arguments (e.g. export's <destination>); passed as `args`. */
  positionalArgs?: boolean;
  run(ctx: CommandContext, flags: FlagValues, args?: string[]): Promise<void>;
}

export interface Group {
  kind: "group";
  name: string;
  short: string;
  long?: string;
  children: Node[];
}

export type Node = Leaf | Group;

const s3InitExamples = `# Create a new Corso repo in AWS S3 bucket named "my-bucket"
corso repo init s3 --bucket my-bucket

# Create a new Corso repo in AWS S3 bucket named "my-bucket" using a prefix
corso repo init s3 --bucket my-bucket --prefix my-prefix

# Create a new Corso repo in an S3 compliant storage provider
corso repo init s3 --bucket my-bucket --endpoint my-s3-server-endpoint`;

const s3ConnectExamples = `# Connect to a Corso repo in AWS S3 bucket named "my-bucket"
corso repo connect s3 --bucket my-bucket

# Connect to a Corso repo in AWS S3 bucket named "my-bucket" using a prefix
corso repo connect s3 --bucket my-bucket --prefix my-prefix

# Connect to a Corso repo in an S3 compliant storage provider
corso repo connect s3 --bucket my-bucket --endpoint my-s3-server-endpoint`;

const repoCmd = () => import("./commands/repo.ts");

export const ROOT: Group = {
  kind: "group",
  name: "corso",
  short: "Free, Secure, Open-Source Backup for M365.",
  long: "Free, Secure, and Open-Source Backup for Microsoft 365.",
  children: [
    {
      kind: "group",
      name: "repo",
      short: "Manage your repositories",
      long: "Initialize, configure, connect and update to your account backup repositories",
      children: [
        {
          kind: "group",
          name: "init",
          short: "Initialize a repository.",
          long: "Create a new repository to store your backups.",
          children: [
            {
              kind: "leaf",
              name: "s3",
              short: "Initialize a S3 repository",
              long: "Bootstraps a new S3 repository and connects it to your m365 account.",
              examples: s3InitExamples,
              flags: [PASSPHRASE, ...AWS_FLAGS, ...S3_FLAGS, ...RETENTION_FLAGS],
              run: async (ctx, f) => (await repoCmd()).initS3(ctx, f),
            },
            {
              kind: "leaf",
              name: "filesystem",
              short: "Initialize a repository on local or network storage.",
              long: "Bootstraps a new repository on local or network storage and connects it to your m365 account.",
              examples: `# Create a new Corso repository on local or network attached storage
corso repo init filesystem --path /tmp/corso-repo`,
              flags: [...AZURE_FLAGS, PASSPHRASE, FS_PATH],
              run: async (ctx, f) => (await repoCmd()).initFilesystem(ctx, f),
            },
          ],
        },
        {
          kind: "group",
          name: "connect",
          short: "Connect to a repository.",
          long: "Connect to an existing repository.",
          children: [
            {
              kind: "leaf",
              name: "s3",
              short: "Connect to a S3 repository",
              long: "Ensures a connection to an existing S3 repository.",
              examples: s3ConnectExamples,
              flags: [PASSPHRASE, ...AWS_FLAGS, ...S3_FLAGS],
              run: async (ctx, f) => (await repoCmd()).connectS3(ctx, f),
            },
            {
              kind: "leaf",
              name: "filesystem",
              short: "Connect to a repository on local or network storage.",
              long: "Ensures a connection to an existing repository on local or network storage.",
              examples: `# Connect to a Corso repository on local or network attached storage
corso repo connect filesystem --path /tmp/corso-repo`,
              flags: [...AZURE_FLAGS, PASSPHRASE, FS_PATH],
              run: async (ctx, f) => (await repoCmd()).connectFilesystem(ctx, f),
            },
          ],
        },
        {
          kind: "leaf",
          name: "maintenance",
          short: "Run maintenance on an existing repository",
          long: "Run maintenance on an existing repository to optimize performance and storage use",
          flags: MAINTENANCE_FLAGS,
          run: async (ctx, f) => (await import("./commands/maintenance.ts")).runMaintenanceCommand(ctx, f),
        },
        {
          kind: "leaf",
          name: "update-passphrase",
          short: "Update the repository passphrase",
          long: "Update the repository passphrase",
          examples: `# Update the Corso repository passphrase"
corso repo update-passphrase --new-passphrase 'newpass'`,
          flags: [NEW_PASSPHRASE],
          run: async (ctx, f) => (await repoCmd()).updatePassphrase(ctx, f),
        },
        {
          kind: "leaf",
          name: "verify",
          short: "Verify the repository's integrity",
          long:
            "Checks that every index, manifest, snapshot and backup model in the repository can be read and that every " +
            "referenced content is present. With --read-data-percent, also downloads and decrypts that share of the data packs. " +
            "Lists every problem found and exits non-zero if there is any.",
          examples: `# Check the repository's structure
corso repo verify

# Also read back 10% of the stored data
corso repo verify --read-data-percent 10`,
          flags: VERIFY_FLAGS,
          run: async (ctx, f) => (await import("./commands/verify.ts")).runVerifyCommand(ctx, f),
        },
      ],
    },
    BACKUP_GROUP,
    EXPORT_GROUP,
    {
      kind: "leaf",
      name: "env",
      short: "env var guide",
      long: "A guide to using environment variables in Corso.",
      flags: [],
      noLogBanner: true,
      help: async () => (await import("./commands/env.ts")).printEnvGuide(),
      run: async () => (await import("./commands/env.ts")).printEnvGuide(),
    },
  ],
};

/** Registered-but-unavailable commands are simply absent from the tree. This lets a later
 * issue register a leaf only when it works. */
export function findChild(g: Group, name: string): Node | undefined {
  return g.children.find((c) => c.name === name);
}
