// The details spool stores entries as the inside of the details document's `entries` array, so
// the end of a backup copies it as is: the copy must be the same document the per-entry path
// wrote, for any size (several 1 MiB blocks), non-ASCII text and an empty spool.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DetailsEntry } from "../../lib/corso/details.ts";
import { emptyFaults } from "../../lib/corso/details.ts";
import { readStreamStore, writeStreamStore } from "../../lib/corso/streamstore.ts";
import { DetailsSpool } from "../../lib/ops/backup/details-spool.ts";
import { makeEnv, type Env } from "./helpers.ts";

function entry(i: number): DetailsEntry {
  return {
    repoRef: `tenant/exchange/user/email/folder${i % 7}/item${i}`,
    shortRef: (i * 2654435761 % 2 ** 48).toString(16).padStart(12, "0"),
    parentRef: "0123456789ab",
    locationRef: `Inbox/Ünïcødé ✉ ${i % 3}`,
    itemRef: `item${i}`,
    updated: false,
    exchange: { itemType: 3, subject: `Subject "${i}" \\ ${"é".repeat(i % 5)} 💌`, sender: "a@example.com", size: i },
  } as unknown as DetailsEntry;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  // blocks are reused by the spool: copy each before asking for the next
  for await (const b of it) parts.push(Buffer.from(b));
  return Buffer.concat(parts);
}

describe("DetailsSpool", () => {
  test("entriesJson is the comma-separated array inside, across several blocks; texts() still yields each entry", async () => {
    const spool = new DetailsSpool();
    try {
      const entries = Array.from({ length: 6000 }, (_, i) => entry(i));
      for (const e of entries) spool.add(e);
      const inside = await collect(spool.entriesJson());
      expect(inside.length).toBeGreaterThan(1 << 20); // more than one block
      expect(JSON.parse(`[${inside.toString("utf8")}]`)).toEqual(entries);
      const texts: string[] = [];
      for await (const t of spool.texts()) texts.push(t);
      expect(texts.map((t) => JSON.parse(t))).toEqual(entries);
      expect(spool.count).toBe(entries.length);
    } finally {
      spool.close();
    }
  });

  test("an empty spool yields nothing; one entry has no separator", async () => {
    const empty = new DetailsSpool();
    const one = new DetailsSpool();
    try {
      expect((await collect(empty.entriesJson())).length).toBe(0);
      one.add(entry(1));
      expect((await collect(one.entriesJson())).toString("utf8")).toBe(JSON.stringify(entry(1)));
    } finally {
      empty.close();
      one.close();
    }
  });
});

describe("details written from the spool's bytes", () => {
  let env: Env;
  beforeAll(async () => {
    env = await makeEnv({ seed: 3, users: 1, messages: 1, events: 0, contacts: 0, folders: 1, files: 0 });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  test("read back equal to the entries, and the same document as from entry texts", async () => {
    const entries = Array.from({ length: 2500 }, (_, i) => entry(i));
    const spool = new DetailsSpool();
    try {
      for (const e of entries) spool.add(e);
      const common = { tenant: "t", resource: "u", service: "exchange", categories: ["email"], faults: emptyFaults(), startedAt: new Date() };
      const fromBytes = await writeStreamStore(env.repo, { ...common, details: { entriesJson: spool.entriesJson() } });
      const fromTexts = await writeStreamStore(env.repo, { ...common, details: spool.texts() });
      const a = await readStreamStore(env.repo, fromBytes, "exchange");
      const b = await readStreamStore(env.repo, fromTexts, "exchange");
      expect(a.details).toEqual(entries);
      expect(b.details).toEqual(entries);
      const emptySpool = new DetailsSpool();
      try {
        const none = await writeStreamStore(env.repo, { ...common, details: { entriesJson: emptySpool.entriesJson() } });
        expect((await readStreamStore(env.repo, none, "exchange")).details).toEqual([]);
      } finally {
        emptySpool.close();
      }
    } finally {
      spool.close();
    }
  });
});
