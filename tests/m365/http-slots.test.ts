// A mailbox's freed request slot goes to its next queued request before the finished request's
// caller resumes: Graph counts in-flight requests per mailbox, so the caller's parsing and storing
// must not sit between one request ending and the next one going out.
import { expect, test } from "bun:test";
import { resolveEndpoints } from "../../lib/m365/graph/clouds.ts";
import { newCounters } from "../../lib/m365/graph/counters.ts";
import { GraphHttp } from "../../lib/m365/graph/http.ts";

test("the next queued request of a mailbox is sent before the finished request's caller continues", async () => {
  const events: string[] = [];
  const pending: { url: string; resolve: (r: Response) => void }[] = [];
  const fetchFn = ((url: string) => {
    events.push(`fetch ${new URL(url).pathname.split("/").pop()}`);
    return new Promise<Response>((resolve) => pending.push({ url, resolve }));
  }) as unknown as typeof fetch;
  const http = new GraphHttp({ endpoints: resolveEndpoints({}), counters: newCounters(), fetchFn, limits: { mailboxConcurrency: 1 } });
  const get = (n: number) =>
    http.request({ url: `/users/u1/messages/m${n}`, service: "exchange", mailbox: "u1" }).then((r) => {
      // the caller's synchronous work on the response happens here
      events.push(`caller m${n}`);
      return r;
    });
  const a = get(1);
  const b = get(2);
  while (pending.length < 1) await new Promise((r) => setTimeout(r, 1));
  expect(events).toEqual(["fetch m1"]); // one slot: m2 waits
  pending[0].resolve(new Response("{}", { status: 200 }));
  await a;
  while (pending.length < 2) await new Promise((r) => setTimeout(r, 1));
  pending[1].resolve(new Response("{}", { status: 200 }));
  await b;
  expect(events).toEqual(["fetch m1", "fetch m2", "caller m1", "caller m2"]);
  expect(http.counters.peakMailboxConcurrency).toBe(1);
});
