// What is stored for an Exchange item: the Graph JSON as Graph returned it, with the
// attachments Corso inlines (mail/event attachments, exception-occurrence attachments). When
// nothing was merged the stored text is byte for byte the response; when attachments were
// fetched separately they are spliced in as an "attachments" member at the end of the object.
import type { FetchedItem } from "../../m365/graph/index.ts";

function exceptionsMerged(it: FetchedItem): boolean {
  const ex = it.json.exceptionOccurrences;
  return Array.isArray(ex) && ex.some((o: any) => o && typeof o === "object" && Array.isArray(o.attachments)) && !/"exceptionOccurrences"\s*:\s*\[[^\]]*"attachments"/.test(it.raw);
}

export function storedItemJson(it: FetchedItem): string {
  const raw = it.raw;
  if (!raw) return JSON.stringify(it.json);
  if (exceptionsMerged(it)) return JSON.stringify(it.json);
  const atts = it.json.attachments;
  if (atts === undefined) return raw;
  // the GET did not carry attachments (Graph only returns them with $expand): append them
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return JSON.stringify(it.json);
  }
  if ("attachments" in parsed) return JSON.stringify(it.json);
  const end = raw.lastIndexOf("}");
  if (end < 0) return JSON.stringify(it.json);
  const head = raw.slice(0, end).trimEnd();
  const sep = head.endsWith("{") ? "" : ",";
  return `${head}${sep}"attachments":${JSON.stringify(atts)}${raw.slice(end)}`;
}
