// Corso paths (pkg/path, spec corso-graph §5.1–§5.2): elements joined with '/', where '/' and
// '\' inside an element are escaped with '\'. Data paths are
// tenant/service/resource/category/folders…/item; metadata paths use the `<service>Metadata`
// service. ShortRef = hex of the first 6 bytes of sha256 over the concatenated raw elements.
import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";

export type ExchangeCategory = "email" | "contacts" | "events";
export const EXCHANGE_CATEGORIES: readonly ExchangeCategory[] = ["email", "contacts", "events"];
export const EXCHANGE_SERVICE = "exchange";
export const EXCHANGE_METADATA_SERVICE = "exchangeMetadata";
export const DELTA_FILE = "delta";
export const PREVIOUS_PATH_FILE = "previouspath";

export function escapeElement(e: string): string {
  return e.replace(/[\\/]/g, (c) => "\\" + c);
}

export function joinElements(es: readonly string[]): string {
  return es.map(escapeElement).join("/");
}

/** Splits an escaped path into raw elements (empty elements dropped, like Corso's Builder). */
export function splitElements(p: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      const n = p[i + 1];
      if (n !== "\\" && n !== "/") throw new UsageError(`bad escape in path "${p}"`);
      cur += n;
      i++;
    } else if (c === "/") {
      if (cur) out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

export function shortRef(elements: readonly string[]): string {
  const h = createHash("sha256");
  for (const e of elements) h.update(e, "utf8");
  return h.digest("hex").slice(0, 12);
}

/** A data-layer path, kept as raw elements. */
export class CorsoPath {
  constructor(
    readonly tenant: string,
    readonly service: string,
    readonly resource: string,
    readonly category: string,
    readonly folders: readonly string[],
    /** Item name; "" for a folder (collection) path. */
    readonly item = "",
  ) {}

  elements(): string[] {
    const e = [this.tenant, this.service, this.resource, this.category, ...this.folders];
    if (this.item) e.push(this.item);
    return e;
  }
  toString(): string {
    return joinElements(this.elements());
  }
  shortRef(): string {
    return shortRef(this.elements());
  }
  /** The containing directory (for an item, its folder; for a folder, its parent). */
  dir(): CorsoPath {
    if (this.item) return new CorsoPath(this.tenant, this.service, this.resource, this.category, this.folders);
    return new CorsoPath(this.tenant, this.service, this.resource, this.category, this.folders.slice(0, -1));
  }
  withItem(item: string): CorsoPath {
    return new CorsoPath(this.tenant, this.service, this.resource, this.category, this.folders, item);
  }
  /** Elements below the tenant (the kopia tree below the root directory). */
  relElements(): string[] {
    return this.elements().slice(1);
  }

  /** Parses a RepoRef / previouspath string; `isItem` says whether the last element is an item. */
  static parse(p: string, isItem: boolean): CorsoPath {
    const e = splitElements(p);
    const min = isItem ? 5 : 4;
    if (e.length < min) throw new UsageError(`path "${p}" has too few elements`);
    if (isItem) return new CorsoPath(e[0], e[1], e[2], e[3], e.slice(4, -1), e[e.length - 1]);
    return new CorsoPath(e[0], e[1], e[2], e[3], e.slice(4));
  }
}

export function exchangeFolderPath(tenant: string, resource: string, cat: ExchangeCategory, folderIds: readonly string[]): CorsoPath {
  return new CorsoPath(tenant, EXCHANGE_SERVICE, resource, cat, folderIds);
}

export function exchangeMetadataPath(tenant: string, resource: string, cat: ExchangeCategory, file: string): CorsoPath {
  return new CorsoPath(tenant, EXCHANGE_METADATA_SERVICE, resource, cat, [], file);
}

/** Snapshot source host (spec kopia §12.3): sorted, de-duplicated `<service><category>` joined with '-'. */
export function snapshotHost(reasons: readonly { service: string; category: string }[]): string {
  return [...new Set(reasons.map((r) => r.service + r.category))].sort().join("-");
}
