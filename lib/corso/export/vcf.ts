// Stored Graph contact JSON → vCard 4.0 (RFC 6350). Corso's vcf.FromJSON (emersion/go-vcard
// with vcard.ToV4) writes VERSION:4.0; the property mapping follows it, with the RFC-required
// FN added and values escaped per component. Differences are listed in docs/EXPORT.md.

import { CorruptDataError } from "../../errors.ts";
import { escapeText, paramValue, serializeLines } from "./content-lines.ts";
import type { GraphContact, GraphPhysicalAddress } from "./types.ts";

const s = (v: string | null | undefined) => (v ?? "").trim();

/** Structured value: each component escaped (so `;` and `,` inside a component survive). */
function structured(parts: (string | null | undefined)[]): string {
  return parts.map((p) => escapeText(p ?? "")).join(";");
}

function adr(a: GraphPhysicalAddress | null | undefined, type: string): string | null {
  if (!a) return null;
  if (![a.street, a.city, a.state, a.postalCode, a.countryOrRegion].some((v) => s(v))) return null;
  // ADR: PO box; extended; street; locality; region; postal code; country
  return `ADR;TYPE=${type}:${structured(["", "", a.street, a.city, a.state, a.postalCode, a.countryOrRegion])}`;
}

/** Graph birthdays are DateTimeOffsets (often noon UTC); the vCard gets the calendar date. */
function bday(v: string, id: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!m) throw new CorruptDataError(`contact ${id}: invalid birthday "${v}"`);
  return `${m[1]}${m[2]}${m[3]}`;
}

/** Stored Graph contact → .vcf text (vCard 4.0, CRLF lines folded at 75 octets). */
export function contactToVcf(c: GraphContact): string {
  if (!c || typeof c !== "object") throw new CorruptDataError("contact: not a JSON object");
  const id = c.id ?? "";
  const L: string[] = ["BEGIN:VCARD", "VERSION:4.0"];

  const fn =
    s(c.displayName) ||
    [c.title, c.givenName, c.middleName, c.surname, c.generation].map(s).filter(Boolean).join(" ") ||
    s(c.companyName) ||
    s(c.emailAddresses?.[0]?.address);
  L.push(`FN:${escapeText(fn)}`);
  // N: family; given; additional; prefixes; suffixes
  L.push(`N:${structured([c.surname, c.givenName, c.middleName, c.title, c.generation])}`);
  if (s(c.nickName)) L.push(`NICKNAME:${escapeText(s(c.nickName))}`);
  if (s(c.birthday)) L.push(`BDAY:${bday(s(c.birthday), id)}`);

  for (const [a, t] of [[c.homeAddress, "home"], [c.businessAddress, "work"], [c.otherAddress, "other"]] as const) {
    const line = adr(a, t);
    if (line) L.push(line);
  }

  if (s(c.mobilePhone)) L.push(`TEL;TYPE=cell:${escapeText(s(c.mobilePhone))}`);
  for (const p of c.businessPhones ?? []) if (s(p)) L.push(`TEL;TYPE=work:${escapeText(s(p))}`);
  for (const p of c.homePhones ?? []) if (s(p)) L.push(`TEL;TYPE=home:${escapeText(s(p))}`);

  for (const e of c.emailAddresses ?? []) {
    const addr = s(e?.address);
    if (!addr) continue;
    const type = s(e?.type);
    L.push(`EMAIL${type && type !== "unknown" ? `;TYPE=${paramValue(type)}` : ""}:${escapeText(addr)}`);
  }
  for (const im of c.imAddresses ?? []) if (s(im)) L.push(`IMPP:${s(im)}`);

  if (s(c.companyName) || s(c.department)) L.push(`ORG:${structured(s(c.department) ? [c.companyName, c.department] : [c.companyName])}`);
  if (s(c.jobTitle)) L.push(`TITLE:${escapeText(s(c.jobTitle))}`);
  if (s(c.profession)) L.push(`ROLE:${escapeText(s(c.profession))}`);
  if (s(c.businessHomePage)) L.push(`URL;TYPE=work:${s(c.businessHomePage)}`);

  // RELATED defaults to a URI value; names are text.
  for (const child of c.children ?? []) if (s(child)) L.push(`RELATED;TYPE=child;VALUE=text:${escapeText(s(child))}`);
  if (s(c.spouseName)) L.push(`RELATED;TYPE=spouse;VALUE=text:${escapeText(s(c.spouseName))}`);
  if (s(c.manager)) L.push(`RELATED;TYPE=manager;VALUE=text:${escapeText(s(c.manager))}`);
  if (s(c.assistantName)) L.push(`RELATED;TYPE=assistant;VALUE=text:${escapeText(s(c.assistantName))}`);

  if (s(c.personalNotes)) L.push(`NOTE:${escapeText(c.personalNotes ?? "")}`);
  if (id) L.push(`UID;VALUE=text:${escapeText(id)}`);
  L.push("END:VCARD");
  return serializeLines(L);
}
