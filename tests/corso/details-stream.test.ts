// Streaming details: encode then re-parse across every chunk boundary, with strings holding
// braces, brackets, quotes and multi-byte characters; Go-style key order and whitespace.
import { expect, test } from "bun:test";
import { encodeDetailsStream, iterateDetailsEntries } from "../../lib/corso/details-stream.ts";

async function* from<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const entries = [
  { repoRef: "t/exchange/u/email/f/i1", shortRef: "aaaaaaaaaaaa", exchange: { subject: 'tricky "}]{[" \\ ünïcødé ✓', itemType: 3 } },
  { repoRef: "t/exchange/u/email/f", shortRef: "bbbbbbbbbbbb", folder: { displayName: "[x]", itemType: 306 } },
  { repoRef: "t/exchange/u/events/c/i2", shortRef: "cccccccccccc", exchange: { recipient: ["a@x", "b@y"], itemType: 2 } },
];

test("round trip across all chunk boundaries", async () => {
  const bytes = Buffer.concat(await collect(encodeDetailsStream(from(entries.map((e) => JSON.stringify(e))))));
  expect(JSON.parse(bytes.toString("utf8"))).toEqual({ entries });
  for (let cut = 1; cut < bytes.length; cut += 7) {
    const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
    const got = (await collect(iterateDetailsEntries(from(chunks)))).map((t) => JSON.parse(t));
    expect(got).toEqual(entries);
  }
});

test("Go-marshalled documents with other keys and whitespace; empty and truncated input", async () => {
  const doc = `{ "other": {"entries": [1]}, "entries" : [ ${entries.map((e) => JSON.stringify(e, null, 2)).join(" ,\n")} ] }`;
  expect((await collect(iterateDetailsEntries(from([Buffer.from(doc)])))).map((t) => JSON.parse(t))).toEqual(entries);
  expect(await collect(iterateDetailsEntries(from([Buffer.from('{"entries":null}')])))).toEqual([]);
  expect(await collect(iterateDetailsEntries(from([Buffer.from('{"entries":[]}')])))).toEqual([]);
  await expect(collect(iterateDetailsEntries(from([Buffer.from('{"entries":[{"a":1}')])))).rejects.toThrow("truncated");
});
