import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { parseCloudName, resolveEndpoints, tokenEndpoint } from "../../lib/m365/graph/clouds.ts";
import { buildQuery, encodeQueryValue, GraphHttp, userAgent } from "../../lib/m365/graph/http.ts";
import { newCounters } from "../../lib/m365/graph/counters.ts";

describe("national clouds", () => {
  test("global default", () => {
    const ep = resolveEndpoints();
    expect(ep.graphV1).toBe("https://graph.microsoft.com/v1.0");
    expect(ep.graphBeta).toBe("https://graph.microsoft.com/beta");
    expect(tokenEndpoint(ep, "contoso.onmicrosoft.com")).toBe("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
    expect(ep.scope).toBe("https://graph.microsoft.com/.default");
  });
  test("usgov (GCC High), dod, china", () => {
    const us = resolveEndpoints({ cloud: "usgov" });
    expect(us.graphV1).toBe("https://graph.microsoft.us/v1.0");
    expect(us.loginRoot).toBe("https://login.microsoftonline.us");
    expect(us.scope).toBe("https://graph.microsoft.us/.default");
    const dod = resolveEndpoints({ cloud: "dod" });
    expect(dod.graphV1).toBe("https://dod-graph.microsoft.us/v1.0");
    expect(dod.loginRoot).toBe("https://login.microsoftonline.us");
    const cn = resolveEndpoints({ env: { CORSO_M365_CLOUD: "china" } });
    expect(cn.graphV1).toBe("https://microsoftgraph.chinacloudapi.cn/v1.0");
    expect(tokenEndpoint(cn, "t")).toBe("https://login.chinacloudapi.cn/t/oauth2/v2.0/token");
  });
  test("aliases and unknown names", () => {
    expect(parseCloudName("GCC-High")).toBe("usgov");
    expect(parseCloudName("AzureChinaCloud")).toBe("china");
    expect(() => parseCloudName("mars")).toThrow(UsageError);
    expect(() => parseCloudName("mars")).toThrow(/unknown Microsoft 365 cloud "mars"/);
  });
  test("overrides: option beats env, /v1.0 suffix accepted, scope stays the cloud's", () => {
    const ep = resolveEndpoints({
      cloud: "usgov",
      graphUrl: "http://127.0.0.1:4555/v1.0/",
      env: { CORSO_GRAPH_URL: "http://ignored", CORSO_LOGIN_URL: "http://127.0.0.1:4555/login" },
    });
    expect(ep.graphV1).toBe("http://127.0.0.1:4555/v1.0");
    expect(ep.graphBeta).toBe("http://127.0.0.1:4555/beta");
    expect(ep.loginRoot).toBe("http://127.0.0.1:4555/login");
    expect(ep.scope).toBe("https://graph.microsoft.us/.default");
    expect(() => resolveEndpoints({ graphUrl: "not a url" })).toThrow(/invalid Graph URL/);
    expect(() => resolveEndpoints({ loginUrl: "ftp://x" })).toThrow(UsageError);
  });
});

describe("URL building", () => {
  const http = new GraphHttp({ endpoints: resolveEndpoints({ cloud: "dod" }), counters: newCounters() });
  test("paths resolve against v1.0 or beta; absolute URLs are kept", () => {
    expect(http.resolveUrl({ url: "/users/a%40b/drive" })).toBe("https://dod-graph.microsoft.us/v1.0/users/a%40b/drive");
    expect(http.resolveUrl({ url: "/users/x/mailFolders", api: "beta" })).toBe("https://dod-graph.microsoft.us/beta/users/x/mailFolders");
    expect(http.resolveUrl({ url: "https://dod-graph.microsoft.us/v1.0/x?$skiptoken=abc" })).toBe("https://dod-graph.microsoft.us/v1.0/x?$skiptoken=abc");
    expect(http.resolveUrl({ url: "/x?a=1", query: { $select: "id,name" } })).toBe("https://dod-graph.microsoft.us/v1.0/x?a=1&$select=id,name");
  });
  test("query encoding keeps OData punctuation and escapes the rest", () => {
    expect(buildQuery({ $select: "id,lastModifiedDateTime", $top: 500, skip: undefined })).toBe("$select=id,lastModifiedDateTime&$top=500");
    expect(encodeQueryValue("displayName eq 'a&b'")).toBe("displayName%20eq%20'a%26b'");
    expect(buildQuery({ "@microsoft.graph.conflictBehavior": "rename" })).toBe("@microsoft.graph.conflictBehavior=rename");
  });
  test("ISV user agent", () => {
    expect(userAgent("Contoso")).toMatch(/^ISV\|Contoso\|corso\/\d+\.\d+\.\d+/);
  });
});
