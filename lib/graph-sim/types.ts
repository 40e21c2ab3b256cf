// Public types of the Graph simulator. Other areas' tests import these, so changes must be additive.

/** Service limits. Defaults follow Microsoft's documented Graph/Exchange/SharePoint limits. */
export interface Limits {
  /** Concurrent requests per app + mailbox (Exchange: 4). Excess → 429 ApplicationThrottled "MailboxConcurrency". */
  mailboxConcurrency: number;
  /** Requests per app + mailbox per window (Exchange: 10,000 per 10 minutes). */
  mailboxRequestsPerWindow: number;
  /** Length of that window in seconds (600). */
  mailboxWindowSec: number;
  /** SharePoint/OneDrive resource units per app per minute (1,250 for the smallest tenant tier). */
  driveResourceUnitsPerMinute: number;
  /** Retry-After (seconds) sent with a MailboxConcurrency 429. */
  concurrencyRetryAfterSec: number;
  /** Largest page Exchange honours for Prefer: odata.maxpagesize / $top (1000). */
  maxExchangePageSize: number;
  /** Largest drive delta / children page ($top, 1000). */
  maxDrivePageSize: number;
}

export const DEFAULT_LIMITS: Limits = {
  mailboxConcurrency: 4,
  mailboxRequestsPerWindow: 10_000,
  mailboxWindowSec: 600,
  driveResourceUnitsPerMinute: 1_250,
  concurrencyRetryAfterSec: 1,
  maxExchangePageSize: 1000,
  maxDrivePageSize: 1000,
};

export type FaultKind =
  | "500" | "502" | "503" | "504"
  | "reset" /* abort the response stream after some bytes */
  | "slowBody" /* stream the body in small, delayed chunks */
  | "notFound" /* 404 ErrorItemNotFound / itemNotFound for an item GET */
  | "malware" /* drive download → 403 malwareDetected + X-Virus-Infected */
  | "expiredUrl" /* drive download URL treated as expired → 401 */
  | "corruptData" /* 500 ErrorCorruptData on a message GET */
  | "garbageJson" /* 200 with an unparseable JSON body */
  | "throttle"; /* 429 with Retry-After regardless of limits */

export interface FaultRule {
  kind: FaultKind;
  /** Probability 0..1 that a matching request gets this fault. */
  rate: number;
  /** Regex tested against the request path (without query), e.g. "/messages/". */
  path?: string;
  /** HTTP method filter (GET, POST, …). */
  method?: string;
  /** Inject at most this many times, then stop. */
  max?: number;
  /** reset: bytes sent before the abort (default 64). slowBody: delay per chunk ms (default 50). */
  afterBytes?: number;
  delayMs?: number;
  /** throttle: Retry-After seconds (default 1). */
  retryAfterSec?: number;
}

/**
 * Either `rules`, or the shorthand `{ "503": 0.1, reset: 0.05, path: "/messages", max: 3 }` where every
 * FaultKind key is a rate and `path`/`method`/`max` apply to all of them. An empty object clears faults.
 */
export type FaultConfig = { rules?: FaultRule[]; seed?: number; path?: string; method?: string; max?: number } & Partial<
  Record<FaultKind, number>
>;

export interface SimOptions {
  port?: number;
  fixture?: TenantFixture;
  seed?: number;
  users?: number;
  messages?: number;
  events?: number;
  contacts?: number;
  files?: number;
  fileSize?: number;
  folders?: number;
  latency?: { fixedMs: number; perKbMs: number };
  limits?: Partial<Limits>;
  tokenLifetimeSec?: number;
  deltaTokenTtlSec?: number;
  /** Lifetime of @microsoft.graph.downloadUrl links (default 3600 s). */
  downloadUrlTtlSec?: number;
  log?: boolean;
}

export interface SimCounters {
  requests: number;
  /** Requests per endpoint class: token, users, mail, contacts, events, drive, download, upload, sites, groups, admin, other. */
  byClass: Record<string, number>;
  /** Responses per status code. */
  byStatus: Record<string, number>;
  throttled: number;
  throttledBy: { concurrency: number; window: number; resourceUnits: number; fault: number };
  faults: Record<string, number>;
  bytesServed: number;
  bytesReceived: number;
  resourceUnits: number;
  /** Per mailbox (user id): in-flight and peak concurrent requests. */
  concurrency: Record<string, { current: number; peak: number }>;
}

export interface SimRequest {
  time: string;
  method: string;
  path: string;
  query: string;
  status: number;
  class: string;
  mailbox?: string;
  fault?: string;
  ms: number;
  clientRequestId?: string;
}

// ---------------------------------------------------------------------------------------------
// Fixture format (documented in docs/SIMULATOR.md)
// ---------------------------------------------------------------------------------------------

export type GraphObject = Record<string, unknown>;

export interface TenantFixture {
  tenantId: string;
  /** Tenant domain, e.g. "contoso.onmicrosoft.com"; SharePoint host becomes "<first label>.sharepoint.com". */
  domain?: string;
  app?: { clientId: string; clientSecret: string; certificates?: string[] /* PEM public keys or certs */ };
  /** Seed for generated ids/content inside the fixture (default 1). */
  seed?: number;
  users?: FixtureUser[];
  sites?: FixtureSite[];
  groups?: FixtureGroup[];
}

export interface FixtureUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail?: string;
  userType?: "Member" | "Guest";
  /** Extra Graph user properties returned verbatim (givenName, jobTitle, …). */
  properties?: GraphObject;
  /** false → mail/contacts/calendar calls fail with MailboxNotEnabledForRESTAPI. Default true. */
  mailbox?: boolean;
  mailFolders?: FixtureMailFolder[];
  contactFolders?: FixtureContactFolder[];
  calendars?: FixtureCalendar[];
  /** null/absent with onedrive:false → "user's mysite not found". */
  drive?: FixtureDrive;
  onedrive?: boolean;
}

export interface FixtureMailFolder {
  /** Well-known name (inbox, sentitems, drafts, deleteditems, junkemail, outbox, archive) or any display name. */
  displayName: string;
  id?: string;
  wellKnownName?: string;
  isHidden?: boolean;
  /** Graph message JSON exactly as Graph returns it; id/parentFolderId are filled in when missing. */
  messages?: GraphObject[];
  /** Number of additional generated messages (derived from seed + id on demand). */
  generatedMessages?: number;
  childFolders?: FixtureMailFolder[];
}

export interface FixtureContactFolder {
  displayName: string;
  id?: string;
  contacts?: GraphObject[];
  generatedContacts?: number;
  childFolders?: FixtureContactFolder[];
}

export interface FixtureCalendar {
  name: string;
  id?: string;
  isDefault?: boolean;
  /** Graph event JSON. Recurring series: type "seriesMaster" with `recurrence`; `exceptionOccurrences` (partial
   *  event objects with originalStart) and `cancelledOccurrences` (dates "YYYY-MM-DD") are simulator extensions. */
  events?: GraphObject[];
  generatedEvents?: number;
}

export interface FixtureDrive {
  id?: string;
  name?: string;
  items?: FixtureDriveItem[];
}

export interface FixtureDriveItem {
  name: string;
  id?: string;
  /** folder when `children` is present or folder: true. */
  folder?: boolean;
  children?: FixtureDriveItem[];
  /** File content: inline text, base64, or a generated size (bytes) + optional seed. */
  content?: { text?: string; base64?: string; size?: number; seed?: number };
  mimeType?: string;
  malware?: boolean;
  permissions?: GraphObject[];
  createdDateTime?: string;
  lastModifiedDateTime?: string;
}

export interface FixtureSite {
  id?: string;
  name: string;
  displayName?: string;
  /** Server-relative path, e.g. "/sites/marketing". */
  path: string;
  drives?: FixtureDrive[];
}

export interface FixtureGroup {
  id: string;
  displayName: string;
  mail?: string;
  groupTypes?: string[];
  isTeam?: boolean;
  /** Path of the group's root site; one is created when absent. */
  site?: FixtureSite;
  members?: string[];
  properties?: GraphObject;
}

// ---------------------------------------------------------------------------------------------
// Admin operations (in-process via Simulator.tenant, out-of-process via POST /_sim/mutate)
// ---------------------------------------------------------------------------------------------

export type ExchangeItemKind = "message" | "contact" | "event";
export type ExchangeFolderKind = "mailFolder" | "contactFolder" | "calendar";

export type MutateOp =
  | { op: "add"; kind: ExchangeItemKind; user: string; folder: string; item?: GraphObject }
  | { op: "add"; kind: ExchangeFolderKind; user: string; parent?: string; displayName: string }
  | {
      op: "add";
      kind: "file" | "driveFolder";
      drive?: string;
      user?: string;
      parent?: string; // item id or path ("/A/B"); root when absent
      name: string;
      content?: { text?: string; base64?: string; size?: number; seed?: number };
      malware?: boolean;
    }
  | { op: "update"; id: string; patch?: GraphObject; content?: { text?: string; base64?: string; size?: number; seed?: number } }
  | { op: "delete"; id: string }
  | { op: "move"; id: string; to: string };

export interface MutateResult {
  id: string;
}
