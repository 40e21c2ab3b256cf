// Public surface of the Graph client. Import from here (lazily from the CLI).
export { createGraphClient, createGraphClientFromEnv, type GraphClient, type GraphClientOptions } from "./client.ts";
export { ClientCredentialTokenSource, credentialsFromEnv, loadCertificate, buildClientAssertion, type Credentials, type TokenSource } from "./auth.ts";
export { CLOUDS, parseCloudName, resolveEndpoints, tokenEndpoint, type CloudName, type Endpoints, type EndpointOptions } from "./clouds.ts";
export { newCounters, type GraphCounters } from "./counters.ts";
export { deltaEvents, isRemoved, type DeltaEvent, type DeltaQuery } from "./delta-pager.ts";
export { downloadStream, downloadUrlExpiry, downloadUrlOf } from "./download.ts";
export { DrivesApi, DRIVE_ITEM_SELECT, driveItemSkipCause } from "./drives.ts";
export {
  GraphAuthError, GraphError, classify, isDeletedInFlight, isGraphError, meansServiceNotEnabled, parseODataError, skipCauseOf,
  type GraphErrorKind, type SkipCause,
} from "./errors.ts";
export { ContactsApi } from "./contacts.ts";
export { EventsApi } from "./events.ts";
export { MailApi } from "./mail.ts";
export { COST, DEFAULT_LIMITS, GraphHttp, userAgent, type GraphLimits, type GraphRequest, type GraphResponse, type ServiceKind } from "./http.ts";
export type { FetchedItem } from "./item.ts";
export { KeyedSemaphore, RetryAfterFence, Semaphore, SlidingWindow, TokenBucket } from "./limiter.ts";
export { collect, items, pages, type GraphObject, type Page } from "./pager.ts";
export { backoffDelay, DEFAULT_RETRY, parseRetryAfter, type RetryPolicy } from "./retry.ts";
export { DEFAULT_UPLOAD_CHUNK, UPLOAD_CHUNK_UNIT, uploadToSession, type UploadSource } from "./upload.ts";
export { DiscoveryApi } from "../discovery.ts";
