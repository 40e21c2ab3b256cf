// Graph error model and the classification of spec §8.1 (Corso's graph/errors.go) plus the
// skip causes of §8.2. Classification is pure so it can be unit-tested from status + body.

import { CorsoError } from "../../errors.ts";

export type GraphErrorKind =
  | "throttled" // 429 / ApplicationThrottled
  | "auth-expired" // InvalidAuthenticationToken
  | "unauthorized" // 401/403, Authorization_RequestDenied, ErrorAccessDenied
  | "user-not-found" // Request_ResourceNotFound, ErrorInvalidUser, ResourceNotFound about a user
  | "not-found" // ErrorItemNotFound, itemNotFound, ErrorSyncFolderNotFound, NotFound, 404
  | "resource-not-accessible" // resourceLocked, notAllowed, lapsed subscription
  | "already-exists" // nameAlreadyExists, ErrorFolderExists
  | "invalid-delta" // SyncStateNotFound, ResyncRequired, SyncStateInvalid, 410
  | "delta-not-supported" // Parameter 'DeltaToken' not supported
  | "quota-exceeded" // ErrorQuotaExceeded
  | "mailbox-not-enabled" // MailboxNotEnabledForRESTAPI
  | "service-not-enabled" // mysite not found / no SPO license
  | "malware" // malwareDetected / X-Virus-Infected
  | "corrupt-data" // ErrorCorruptData, "Data is corrupt", Invalid global object ID
  | "invalid-recipients" // ErrorInvalidRecipients
  | "cannot-open-attachment" // ErrorCannotOpenFileAttachment
  | "server-error" // any 5xx
  | "bad-request" // other 4xx
  | "network" // connection reset, timeout, DNS… after retries
  | "unknown";

/** Skip causes (Corso pkg/fault/skipped.go) — not errors, recorded as skipped items. */
export type SkipCause =
  | "malware_detected"
  | "inaccessible_one_note_file"
  | "invalid_recipients_email"
  | "corrupt_data"
  | "known_event_instance_503";

export interface ODataError {
  code: string;
  message: string;
  innerCode?: string;
  requestId?: string;
}

export class GraphError extends CorsoError {
  readonly kind: GraphErrorKind;
  readonly status: number; // 0 for network errors
  readonly odataCode: string;
  readonly odataMessage: string;
  readonly innerCode: string;
  readonly requestId: string;
  readonly method: string;
  /** URL with the query string removed (tokens, delta tokens and tempauth are never printed). */
  readonly safeUrl: string;
  /** Labels in Corso's style: status_code_404, mysite_not_found, no_sharepoint_license, malware_detected. */
  readonly labels: readonly string[];
  readonly retryAfterMs?: number;

  constructor(init: {
    status: number;
    method: string;
    url: string;
    odata?: Partial<ODataError>;
    message?: string;
    headers?: Headers;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    const od = init.odata ?? {};
    const status = init.status;
    const code = od.code ?? "";
    const msg = od.message ?? init.message ?? "";
    const headers = init.headers;
    const kind = classify(status, code, msg, od.innerCode, headers);
    const safe = safeUrl(init.url);
    const requestId = od.requestId ?? headers?.get("request-id") ?? headers?.get("client-request-id") ?? "";
    const statusPart = status ? `${status}${code ? " " + code : ""}` : code || "network error";
    const line = oneLine(
      `graph ${init.method} ${safe}: ${statusPart}${msg ? ": " + msg : ""}${requestId ? ` (request-id ${requestId})` : ""}`,
    );
    super(`graph-${kind}`, line, { cause: init.cause });
    this.kind = kind;
    this.status = status;
    this.odataCode = code;
    this.odataMessage = msg;
    this.innerCode = od.innerCode ?? "";
    this.requestId = requestId;
    this.method = init.method;
    this.safeUrl = safe;
    this.labels = labelsFor(status, code, msg, headers);
    this.retryAfterMs = init.retryAfterMs;
  }

  is(kind: GraphErrorKind): boolean {
    return this.kind === kind;
  }
}

/** Token endpoint failure: one line carrying the AADSTS code. */
export class GraphAuthError extends CorsoError {
  readonly aadsts: string;
  readonly oauthError: string;
  readonly status: number;
  constructor(init: { status: number; oauthError?: string; description?: string; aadsts?: string; tenantId: string; clientId: string; cause?: unknown }) {
    const desc = firstSentence(init.description ?? "");
    const aadsts = init.aadsts ?? (/AADSTS\d+/.exec(init.description ?? "")?.[0] ?? "");
    const head = desc ? (aadsts && !desc.startsWith(aadsts) ? `${aadsts}: ${desc}` : desc) : (init.oauthError || `HTTP ${init.status}`);
    super(
      "graph-auth",
      oneLine(`authentication failed for tenant ${init.tenantId}, client ${init.clientId}: ${head}`),
      { cause: init.cause },
    );
    this.aadsts = aadsts;
    this.oauthError = init.oauthError ?? "";
    this.status = init.status;
  }
}

export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** AAD descriptions carry "Trace ID: … Correlation ID: … Timestamp: …" after the useful sentence. */
function firstSentence(desc: string): string {
  const flat = oneLine(desc);
  const cut = flat.search(/\s+Trace ID:/i);
  return (cut >= 0 ? flat.slice(0, cut) : flat).trim();
}

export function safeUrl(url: string): string {
  const q = url.indexOf("?");
  return q >= 0 ? url.slice(0, q) : url;
}

const lc = (s: string | undefined) => (s ?? "").toLowerCase();

export function classify(status: number, code: string, message: string, innerCode?: string, headers?: Headers): GraphErrorKind {
  const c = lc(code);
  const m = lc(message);
  const inner = lc(innerCode);
  if (c === "invalidauthenticationtoken") return "auth-expired";
  if (c === "applicationthrottled" || status === 429) return "throttled";
  if (c === "syncstatenotfound" || c === "resyncrequired" || c === "syncstateinvalid" || status === 410 ||
      inner === "resyncrequired" || c.startsWith("resyncchanges")) return "invalid-delta";
  if (m.includes("parameter 'deltatoken' not supported")) return "delta-not-supported";
  if (c === "malwaredetected" || lc(headers?.get("x-virus-infected") ?? "") === "true") return "malware";
  if (c === "errorquotaexceeded") return "quota-exceeded";
  if (c === "mailboxnotenabledforrestapi") return "mailbox-not-enabled";
  if (m.includes("user's mysite not found") || m.includes("unable to retrieve user's mysite url") ||
      m.includes("tenant does not have a spo license")) return "service-not-enabled";
  if (c === "errorinvalidrecipients") return "invalid-recipients";
  if (c === "errorcorruptdata" || m.includes("data is corrupt") || m.includes("invalid global object id")) return "corrupt-data";
  if (c === "errorcannotopenfileattachment") return "cannot-open-attachment";
  if (c === "request_resourcenotfound" || c === "errorinvaliduser" || (c === "resourcenotfound" && m.includes("user"))) {
    return "user-not-found";
  }
  if (c === "resourcelocked" || c === "notallowed" ||
      (m.includes("service principal") && m.includes("lapsed"))) return "resource-not-accessible";
  if (c === "authorization_requestdenied" || c === "erroraccessdenied" || c === "accessdenied" || status === 401 || status === 403) {
    return "unauthorized";
  }
  if (c === "namealreadyexists" || c === "errorfolderexists") return "already-exists";
  if (c === "erroritemnotfound" || c === "itemnotfound" || c === "errorsyncfoldernotfound" || c === "notfound" ||
      c === "resourcenotfound" || status === 404) return "not-found";
  if (status >= 500) return "server-error";
  if (status >= 400) return "bad-request";
  return "unknown";
}

function labelsFor(status: number, code: string, message: string, headers?: Headers): string[] {
  const out: string[] = [];
  if (status) out.push(`status_code_${status}`);
  const m = lc(message);
  if (m.includes("user's mysite not found") || m.includes("unable to retrieve user's mysite url")) out.push("mysite_not_found");
  if (m.includes("tenant does not have a spo license")) out.push("no_sharepoint_license");
  if (lc(code) === "malwaredetected" || lc(headers?.get("x-virus-infected") ?? "") === "true") out.push("malware_detected");
  return out;
}

/** Parses Graph's `{"error":{"code","message","innerError":{…}}}` body; tolerant of anything else. */
export function parseODataError(bodyText: string): ODataError | undefined {
  if (!bodyText) return undefined;
  try {
    const j = JSON.parse(bodyText) as { error?: Record<string, unknown> };
    const e = j?.error;
    if (!e || typeof e !== "object") return undefined;
    const inner = (e.innerError ?? e.innererror) as Record<string, unknown> | undefined;
    return {
      code: typeof e.code === "string" ? e.code : "",
      message: typeof e.message === "string" ? e.message : "",
      innerCode: typeof inner?.code === "string" ? inner.code : undefined,
      requestId: typeof inner?.["request-id"] === "string" ? (inner["request-id"] as string) : undefined,
    };
  } catch {
    return undefined;
  }
}

export function isGraphError(e: unknown, kind?: GraphErrorKind): e is GraphError {
  return e instanceof GraphError && (kind === undefined || e.kind === kind);
}

/** Item deleted between enumeration and fetch: tolerated by consumers (spec §8.2). */
export function isDeletedInFlight(e: unknown): boolean {
  return e instanceof GraphError && e.kind === "not-found";
}

/** Maps an item-fetch error to the skip cause Corso records instead of failing (spec §8.2). */
export function skipCauseOf(
  e: unknown,
  ctx: { service: "exchange" | "drive"; category?: "email" | "contacts" | "events"; mimeType?: string; packageChild?: boolean; knownEvent503?: boolean } = { service: "exchange" },
): SkipCause | undefined {
  if (!(e instanceof GraphError)) return undefined;
  if (e.kind === "malware") return "malware_detected";
  if (ctx.service === "drive") {
    if ((e.status === 503 && ctx.packageChild) || ctx.mimeType === "application/msonenote") return "inaccessible_one_note_file";
    return undefined;
  }
  if (e.kind === "invalid-recipients") return "invalid_recipients_email";
  if (e.kind === "corrupt-data") return "corrupt_data";
  if (ctx.category === "events" && e.status === 503 && ctx.knownEvent503) return "known_event_instance_503";
  return undefined;
}

/** Service-enabled checks (spec §3.12): errors that mean "this user has no such service". */
export function meansServiceNotEnabled(e: unknown): boolean {
  return e instanceof GraphError &&
    (e.kind === "mailbox-not-enabled" || e.kind === "service-not-enabled" || e.kind === "not-found" ||
     lc(e.odataCode) === "authenticationerror");
}
