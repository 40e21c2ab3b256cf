// Corso-style error wrapping for the CLI: a context prefix ("connecting repository: …") on the
// one-line message, keeping the underlying error's code and cause for the log.
import { CorsoError, InvalidPasswordError, RepositoryNotFoundError, errorMessage } from "../errors.ts";

export class CommandError extends CorsoError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Corso's wording for engine errors where the spec gives it. */
export function corsoWording(e: unknown, where: string): string {
  if (e instanceof InvalidPasswordError) return "invalid repository password";
  if (e instanceof RepositoryNotFoundError) return `repository not initialized in the provided storage: ${where}`;
  return errorMessage(e).split("\n")[0];
}

export function wrapError(prefix: string, e: unknown, where = ""): CommandError {
  const code = e instanceof CorsoError ? e.code : "internal";
  return new CommandError(code, `${prefix}: ${corsoWording(e, where)}`, { cause: e });
}
