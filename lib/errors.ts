// Typed errors with user-facing messages. Every error that can reach a user carries a
// one-line message that names the thing at fault (blob ID, bucket, algorithm, flag).
// The CLI prints `err.message` alone for CorsoError subclasses and exits 1; anything else
// is a bug and is printed with a short "internal error" prefix (never a raw stack trace
// unless --log-level debug).

export class CorsoError extends Error {
  /** Stable machine-readable code, e.g. "invalid-password", "blob-not-found". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A blob does not exist in storage. */
export class BlobNotFoundError extends CorsoError {
  constructor(readonly blobId: string, options?: { cause?: unknown }) {
    super("blob-not-found", `blob ${blobId} not found`, options);
  }
}

/** Storage-level failure: unreachable endpoint, missing bucket, permission denied. */
export class StorageError extends CorsoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("storage", message, options);
  }
}

/** Wrong passphrase (GCM authentication of the format blob failed). */
export class InvalidPasswordError extends CorsoError {
  constructor() {
    super("invalid-password", "invalid repository password");
  }
}

/** Data read from the repository failed authentication, decoding or parsing. */
export class CorruptDataError extends CorsoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("corrupt", message, options);
  }
}

/** An algorithm name in the repository format is not supported. */
export class UnsupportedAlgorithmError extends CorsoError {
  constructor(kind: string, name: string) {
    super("unsupported-algorithm", `unsupported ${kind} algorithm "${name}"`);
  }
}

/** Invalid user input: flags, config file, arguments. */
export class UsageError extends CorsoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("usage", message, options);
  }
}

/** The repository does not exist where the user pointed (no kopia.repository). */
export class RepositoryNotFoundError extends CorsoError {
  constructor(where: string) {
    super("repo-not-found", `repository not found at ${where}: run 'corso repo init' first`);
  }
}

/** The repository already exists (init on an initialised location). */
export class RepositoryExistsError extends CorsoError {
  constructor(where: string) {
    super("repo-exists", `repository already exists at ${where}`);
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
