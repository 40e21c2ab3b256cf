import { describe, expect, test } from "bun:test";
import { classify, GraphAuthError, GraphError, meansServiceNotEnabled, parseODataError, skipCauseOf } from "../../lib/m365/graph/errors.ts";

const err = (status: number, code: string, message = "", headers?: Headers) =>
  new GraphError({ status, method: "GET", url: "https://graph.microsoft.com/v1.0/users/u/messages/m?$select=id&deltatoken=SECRET", odata: { code, message }, headers });

describe("classification (spec §8.1)", () => {
  const cases: Array<[number, string, string, string]> = [
    [401, "InvalidAuthenticationToken", "Access token has expired", "auth-expired"],
    [429, "", "", "throttled"],
    [503, "ApplicationThrottled", "", "throttled"],
    [404, "Request_ResourceNotFound", "", "user-not-found"],
    [404, "ErrorInvalidUser", "", "user-not-found"],
    [404, "ResourceNotFound", "User not found", "user-not-found"],
    [423, "resourceLocked", "", "resource-not-accessible"],
    [403, "notAllowed", "", "resource-not-accessible"],
    [403, "Authorization_RequestDenied", "", "unauthorized"],
    [403, "ErrorAccessDenied", "", "unauthorized"],
    [409, "nameAlreadyExists", "", "already-exists"],
    [404, "ErrorItemNotFound", "", "not-found"],
    [404, "itemNotFound", "", "not-found"],
    [404, "ErrorSyncFolderNotFound", "", "not-found"],
    [404, "", "", "not-found"],
    [400, "SyncStateNotFound", "", "invalid-delta"],
    [400, "ResyncRequired", "", "invalid-delta"],
    [400, "SyncStateInvalid", "", "invalid-delta"],
    [410, "resyncChangesApplyDifferences", "", "invalid-delta"],
    [400, "BadRequest", "Parameter 'DeltaToken' not supported for this request", "delta-not-supported"],
    [507, "ErrorQuotaExceeded", "", "quota-exceeded"],
    [404, "MailboxNotEnabledForRESTAPI", "", "mailbox-not-enabled"],
    [404, "BadRequest", "User's mysite not found.", "service-not-enabled"],
    [400, "BadRequest", "Tenant does not have a SPO license.", "service-not-enabled"],
    [403, "malwareDetected", "", "malware"],
    [500, "ErrorCorruptData", "", "corrupt-data"],
    [500, "ErrorInternalServerError", "Data is corrupt., Invalid global object ID", "corrupt-data"],
    [400, "ErrorInvalidRecipients", "", "invalid-recipients"],
    [500, "ErrorCannotOpenFileAttachment", "", "cannot-open-attachment"],
    [502, "", "", "server-error"],
    [400, "invalidRequest", "", "bad-request"],
  ];
  for (const [status, code, message, kind] of cases) {
    test(`${status} ${code || "(no code)"} → ${kind}`, () => {
      expect(String(classify(status, code, message))).toBe(kind);
      expect(String(err(status, code, message).kind)).toBe(kind);
    });
  }
  test("X-Virus-Infected header means malware", () => {
    expect(classify(403, "", "", undefined, new Headers({ "X-Virus-Infected": "true" }))).toBe("malware");
  });
});

describe("GraphError", () => {
  test("one line, no query string (delta tokens stay out of messages), labels", () => {
    const e = err(404, "BadRequest", "User's mysite not found.\r\nmore");
    expect(e.message).not.toContain("SECRET");
    expect(e.message).not.toContain("\n");
    expect(e.message).toContain("/users/u/messages/m");
    expect(e.labels).toContain("status_code_404");
    expect(e.labels).toContain("mysite_not_found");
    expect(e.code).toBe("graph-service-not-enabled");
  });
  test("skip causes (spec §8.2)", () => {
    expect(skipCauseOf(err(403, "malwareDetected"), { service: "drive" })).toBe("malware_detected");
    expect(skipCauseOf(err(503, ""), { service: "drive", packageChild: true })).toBe("inaccessible_one_note_file");
    expect(skipCauseOf(err(503, ""), { service: "drive" })).toBeUndefined();
    expect(skipCauseOf(err(400, "ErrorInvalidRecipients"), { service: "exchange" })).toBe("invalid_recipients_email");
    expect(skipCauseOf(err(500, "ErrorCorruptData"), { service: "exchange" })).toBe("corrupt_data");
    expect(skipCauseOf(err(503, ""), { service: "exchange", category: "events", knownEvent503: true })).toBe("known_event_instance_503");
    expect(skipCauseOf(err(500, ""), { service: "exchange" })).toBeUndefined();
    expect(skipCauseOf(new Error("x"))).toBeUndefined();
  });
  test("service-not-enabled predicate", () => {
    expect(meansServiceNotEnabled(err(404, "MailboxNotEnabledForRESTAPI"))).toBe(true);
    expect(meansServiceNotEnabled(err(404, "ErrorItemNotFound"))).toBe(true);
    expect(meansServiceNotEnabled(err(500, ""))).toBe(false);
    expect(meansServiceNotEnabled(err(404, "ErrorInvalidUser"))).toBe(false);
  });
  test("OData body parsing", () => {
    const od = parseODataError(JSON.stringify({ error: { code: "ErrorItemNotFound", message: "gone", innerError: { "request-id": "r1", code: "x" } } }));
    expect(od).toEqual({ code: "ErrorItemNotFound", message: "gone", innerCode: "x", requestId: "r1" });
    expect(parseODataError("<html>")).toBeUndefined();
    expect(parseODataError("")).toBeUndefined();
    expect(parseODataError('{"value":[]}')).toBeUndefined();
  });
});

describe("GraphAuthError", () => {
  test("one line with the AADSTS code, trace noise dropped", () => {
    const e = new GraphAuthError({
      status: 401, oauthError: "invalid_client",
      description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: abc Correlation ID: def Timestamp: 2026-11-21",
      tenantId: "t1", clientId: "c1",
    });
    expect(e.aadsts).toBe("AADSTS7000215");
    expect(e.message).toStartWith("authentication failed for tenant t1, client c1: AADSTS7000215: Invalid client secret provided.");
    expect(e.message).not.toContain("Trace ID");
    expect(e.message).not.toContain("\n");
  });
  test("code from error_codes when the description lacks it", () => {
    const e = new GraphAuthError({ status: 400, description: "Tenant not found.", aadsts: "AADSTS90002", tenantId: "t", clientId: "c" });
    expect(e.message).toContain("AADSTS90002: Tenant not found.");
  });
});
