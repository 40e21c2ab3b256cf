// What every command action receives: resolved global options, the logger, progress output and
// the environment. Built by main.ts after flags are parsed.
import type { Logger } from "./log.ts";
import type { Progress } from "./progress.ts";

export interface GlobalOptions {
  configFile?: string;
  logLevel: string;
  logFormat: string;
  logFile?: string;
  maskSensitiveData: boolean;
  hideProgress: boolean;
  json: boolean;
  noStats: boolean;
  verbose: boolean;
}

export interface CommandContext {
  /** "corso repo init s3" */
  commandPath: string;
  globals: GlobalOptions;
  log: Logger;
  progress: Progress;
  env: NodeJS.ProcessEnv;
}

export type FlagValues = Record<string, string | boolean | undefined>;
