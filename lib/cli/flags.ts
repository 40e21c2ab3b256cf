// Flag definitions, named and described as in Corso (src/cli/flags/*.go), so `--help` reads the
// same. Values are parsed by cac; these specs also drive help output and argv normalisation.

export interface FlagSpec {
  /** Long name without dashes, e.g. "aws-access-key". */
  name: string;
  short?: string;
  kind: "string" | "bool";
  desc: string;
  /** Default shown in help (strings only; bools default false). */
  display?: string;
  hidden?: boolean;
  /** Cobra-required: missing → `required flag(s) "<name>" not set`. */
  required?: boolean;
}

const s = (name: string, desc: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: "string", desc, ...extra });
const b = (name: string, desc: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: "bool", desc, ...extra });

/** Root persistent flags (spec §1), in Corso's registration order. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  s("run-mode", "What mode to run: dry, test, run.  Defaults to run.", { hidden: true, display: "run" }),
  s("config-file", "config file location", { display: "$HOME/.corso.toml" }),
  s("log-level", "set the log level to debug|info|warn|error", { display: "info" }),
  s("log-format", "set the log format to text|json", { display: "text" }),
  s("log-file", "location for writing logs, use '-' for stdout", { display: "corso-<timestamp>.log" }),
  b("debug-api-calls", "add non-2xx request/response errors to logging"),
  b("readable-logs", "minimizes log output for console readability", { hidden: true }),
  b("mask-sensitive-data", "anonymize personal data in log output"),
  b("log-storage", "include logs produced by the downstream storage systems.", { hidden: true }),
  b("hide-progress", "turn off the progress bar displays"),
  b("retain-progress", "retain the progress bar displays after completion"),
  b("json", "output data in JSON format"),
  b("json-debug", "output all internal and debugging data in JSON format", { hidden: true }),
  b("verbose", "don't hide additional information"),
  b("no-stats", "disable anonymous usage statistics gathering"),
];

export const HELP_FLAG: FlagSpec = b("help", "help for this command", { short: "h" });

export const PASSPHRASE = s("passphrase", "Passphrase to protect encrypted repository contents");
export const AWS_FLAGS: FlagSpec[] = [
  s("aws-access-key", "S3 access key"),
  s("aws-secret-access-key", "S3 access secret"),
  s("aws-session-token", "S3 session token"),
];
export const AZURE_FLAGS: FlagSpec[] = [
  s("azure-tenant-id", "Azure tenant ID"),
  s("azure-client-id", "Azure app client ID"),
  s("azure-client-secret", "Azure app client secret"),
];
export const S3_FLAGS: FlagSpec[] = [
  s("bucket", "Name of S3 bucket for repo. (required)"),
  s("prefix", "Repo prefix within bucket."),
  s("endpoint", "S3 service endpoint."),
  b("disable-tls", "Disable TLS (HTTPS)"),
  b("disable-tls-verification", "Disable TLS (HTTPS) certificate verification."),
];
export const RETENTION_FLAGS: FlagSpec[] = [
  s("retention-mode", "Sets object locking mode (if any) to use in remote storage: none, governance, or compliance", {
    hidden: true,
    display: "none",
  }),
  s("retention-duration", "Set the amount of time to lock individual objects in remote storage", { hidden: true, display: "0s" }),
  b("extend-retention", "Extends object locks during maintenance. Extends locks by the most recently set value of retention-duration", {
    hidden: true,
  }),
];
export const FS_PATH = s("path", "path to local or network storage", { required: true });
export const MAINTENANCE_FLAGS: FlagSpec[] = [
  s("mode", "Type of maintenance operation to run ('metadata' | 'complete' )", { display: "complete" }),
  b("force", "Force maintenance. Caution: user must ensure this is not run concurrently on a single repo", { hidden: true }),
  s("user", "Attempt to run maintenance as the specified user for the repo owner user"),
  s("host", "Attempt to run maintenance with the specified hostname for the repo owner hostname"),
];
export const NEW_PASSPHRASE = s("new-passphrase", "update Corso passphrase for repo", { required: true });
export const VERIFY_FLAGS: FlagSpec[] = [
  s("read-data-percent", "Also download and decrypt this percentage (0-100) of the data packs", { display: "0" }),
];

/** mri/cac camelCase of a flag name. */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
