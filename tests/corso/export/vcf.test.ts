import { afterAll, describe, expect, test } from "bun:test";
import { CorruptDataError } from "../../../lib/errors.ts";
import { contactToVcf } from "../../../lib/corso/export/vcf.ts";
import { crlfLines, fixture, makeTempDir, runChecker } from "./helpers.ts";

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

describe("contactToVcf", () => {
  test("contact with all fields parses with vobject to the Graph values", () => {
    const c = fixture("contact-full.json");
    const vcf = contactToVcf(c);
    const enc = new TextEncoder();
    for (const l of crlfLines(vcf)) expect(enc.encode(l).length).toBeLessThanOrEqual(75);
    const v = runChecker(tmp.dir, "check_vcf.py", "full.vcf", vcf);
    const one = (k: string) => v[k][0].value;
    expect(one("VERSION")).toBe("4.0");
    expect(one("FN")).toBe(c.displayName);
    expect(one("N")).toEqual({ family: "Groß", given: "Jürgen", additional: "Maria", prefix: "Dr.", suffix: "Jr." });
    expect(one("NICKNAME")).toBe("Jü");
    expect(one("BDAY")).toBe("19740722");
    expect(v.ADR.map((a: any) => [a.params.TYPE, a.value])).toEqual([
      [["home"], { street: "Hauptstraße 1\nHinterhaus", city: "Berlin", region: "BE", code: "10115", country: "Germany" }],
      [["work"], { street: "Unter den Linden 5", city: "Berlin", region: "", code: "10117", country: "Germany" }],
      [["other"], { street: "Another street", city: "", region: "", code: "", country: "" }],
    ]);
    expect(v.TEL.map((t: any) => [t.params.TYPE[0], t.value])).toEqual([
      ["cell", "+49 171 7654321"], ["work", "+49 30 7654321"], ["work", "+49 30 7654322"], ["home", "+49 30 1234567"],
    ]);
    expect(v.EMAIL.map((e: any) => [e.value, e.params.TYPE ?? null])).toEqual([
      ["juergen@contoso.example", ["business"]], ["jg@home.example", null], ["jg@other.example", null],
    ]);
    expect(v.IMPP.map((e: any) => e.value)).toEqual(c.imAddresses);
    expect(one("ORG")).toEqual(["Contoso, Ltd.", "R&D; Labs"]);
    expect(one("TITLE")).toBe(c.jobTitle);
    expect(one("ROLE")).toBe("Engineer");
    expect(v.RELATED.map((r: any) => [r.params.TYPE[0], r.value])).toEqual([
      ["child", "Lena"], ["child", "Paul"], ["spouse", "Sabine Groß"], ["manager", "Maria Managerin"], ["assistant", "Anna Assistent"],
    ]);
    expect(one("NOTE")).toBe(c.personalNotes);
    expect(one("UID")).toBe(c.id);
  });

  test("minimal contact: FN falls back, empty addresses and lists are left out", () => {
    const vcf = contactToVcf({ ...fixture("contact-minimal.json"), givenName: "Ana", surname: "Lima" });
    const v = runChecker(tmp.dir, "check_vcf.py", "min.vcf", vcf);
    expect(v.FN[0].value).toBe("Ana Lima");
    expect(v.ADR).toBeUndefined();
    expect(v.TEL).toBeUndefined();
    expect(v.EMAIL).toBeUndefined();
    expect(v.ORG).toBeUndefined();
    expect(vcf.startsWith("BEGIN:VCARD\r\nVERSION:4.0\r\n")).toBe(true);
    expect(vcf.endsWith("END:VCARD\r\n")).toBe(true);
  });

  test("bad input gets typed one-line errors", () => {
    expect(() => contactToVcf(null as any)).toThrow(CorruptDataError);
    expect(() => contactToVcf({ id: "c1", birthday: "July" })).toThrow(/contact c1: invalid birthday "July"/);
  });
});
