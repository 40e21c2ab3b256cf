// Non-delta paging: follow @odata.nextLink one page at a time. Pages are yielded as they
// arrive; nothing is accumulated.

import { GraphError } from "./errors.ts";
import type { GraphHttp, GraphRequest } from "./http.ts";

export type GraphObject = Record<string, unknown>;

export interface Page<T = GraphObject> {
  items: T[];
  nextLink?: string;
  deltaLink?: string;
}

export const PAGE_SIZE_NON_DELTA = 999;
export const PAGE_SIZE_DELTA = 500;

export const preferPageSize = (n: number): string => `odata.maxpagesize=${n}`;

function readPage(json: GraphObject): Page {
  const value = json.value;
  return {
    items: Array.isArray(value) ? (value as GraphObject[]) : [],
    nextLink: typeof json["@odata.nextLink"] === "string" ? (json["@odata.nextLink"] as string) : undefined,
    deltaLink: typeof json["@odata.deltaLink"] === "string" ? (json["@odata.deltaLink"] as string) : undefined,
  };
}

/** Yields each page of a collection. `first` describes the first request; later pages reuse its headers. */
export async function* pages(http: GraphHttp, first: GraphRequest): AsyncGenerator<Page> {
  let req: GraphRequest = first;
  const seen = new Set<string>();
  for (;;) {
    const { json } = await http.getJson<GraphObject>(req);
    const page = readPage(json);
    yield page;
    if (!page.nextLink) return;
    // A nextLink that repeats would loop forever; Graph never does this legitimately.
    if (seen.has(page.nextLink)) {
      throw new GraphError({ status: 200, method: "GET", url: page.nextLink, message: "the server returned the same @odata.nextLink twice (paging loop)" });
    }
    seen.add(page.nextLink);
    req = { ...first, url: page.nextLink, query: undefined, api: undefined };
  }
}

/** Yields every item of a collection across pages. */
export async function* items(http: GraphHttp, first: GraphRequest): AsyncGenerator<GraphObject> {
  for await (const p of pages(http, first)) yield* p.items;
}

/** Collects a small collection (folders, drives, calendars) into an array. */
export async function collect<T = GraphObject>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
