// Relative paths of exported items (corso-graph.md §6): Emails/<folders…>/<id>.eml,
// Events/<calendar>/<id>.ics, Contacts/<folder>/<id>.vcf. Every element is made safe for
// Windows, macOS and Linux file systems, since exports are often copied between them.

export type ExportCategory = "email" | "events" | "contacts";

const BASE: Record<ExportCategory, { dir: string; ext: string }> = {
  email: { dir: "Emails", ext: ".eml" },
  events: { dir: "Events", ext: ".ics" },
  contacts: { dir: "Contacts", ext: ".vcf" },
};

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const MAX_ELEMENT_BYTES = 255;

/**
 * One path element, safe everywhere: Windows-invalid characters (`<>:"/\|?*`) and control
 * characters become `_`, trailing dots/spaces are dropped, `.`/`..`/empty become `_`, reserved
 * device names get a `_` prefix, and the result is cut to 255 UTF-8 bytes.
 */
export function sanitizePathElement(name: string): string {
  let s = name.normalize("NFC").replace(/[<>:"/\\|?*\x00-\x1f\x7f]/g, "_");
  s = s.replace(/[. ]+$/, "");
  if (s === "" || /^\.+$/.test(s)) s = "_";
  if (WINDOWS_RESERVED.test(s)) s = "_" + s;
  const enc = new TextEncoder();
  if (enc.encode(s).length > MAX_ELEMENT_BYTES) {
    let out = "";
    let n = 0;
    for (const ch of s) {
      const b = enc.encode(ch).length;
      if (n + b > MAX_ELEMENT_BYTES) break;
      out += ch;
      n += b;
    }
    s = out.replace(/[. ]+$/, "") || "_";
  }
  return s;
}

export interface ExportItemRef {
  category: ExportCategory;
  /** Folder display names from the root (mail folders nest; calendars and contact folders don't). */
  folders: readonly string[];
  /** Graph item ID, used as the file's base name. */
  id: string;
}

/** Relative export path (with `/` separators) for an item. */
export function exportLayout(ref: ExportItemRef): string {
  const b = BASE[ref.category];
  return [b.dir, ...ref.folders.map(sanitizePathElement), sanitizePathElement(ref.id + b.ext)].join("/");
}
