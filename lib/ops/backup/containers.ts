// Container (folder / calendar) enumeration and path resolution per category, as Corso's
// container resolvers do it: mail paths are folder IDs below msgfolderroot (which contributes
// nothing); contact paths start with the default Contacts folder; calendars are flat.
// Locations (display names) go to the details LocationRef.
import type { GraphClient, GraphObject } from "../../m365/graph/index.ts";
import type { ExchangeCategory } from "../../corso/path.ts";

export interface Container {
  id: string;
  /** Folder IDs from the category root down to this container. */
  idPath: string[];
  /** Display names along the same path. */
  locPath: string[];
  displayName: string;
}

function buildPaths(folders: GraphObject[], rootId: string | undefined, nameKey: string): Container[] {
  const byId = new Map<string, GraphObject>();
  for (const f of folders) byId.set(String(f.id), f);
  const memo = new Map<string, { ids: string[]; locs: string[] } | null>();
  const resolve = (id: string, depth: number): { ids: string[]; locs: string[] } | null => {
    if (memo.has(id)) return memo.get(id)!;
    const f = byId.get(id);
    if (!f || depth > 64) return null;
    const parent = f.parentFolderId == null ? undefined : String(f.parentFolderId);
    let base: { ids: string[]; locs: string[] } | null;
    if (!parent || parent === rootId || !byId.has(parent)) base = { ids: [], locs: [] };
    else base = resolve(parent, depth + 1);
    const r = base ? { ids: [...base.ids, id], locs: [...base.locs, String(f[nameKey] ?? id)] } : null;
    memo.set(id, r);
    return r;
  };
  const out: Container[] = [];
  for (const f of folders) {
    const id = String(f.id);
    if (id === rootId) continue;
    const r = resolve(id, 0);
    if (r) out.push({ id, idPath: r.ids, locPath: r.locs, displayName: String(f[nameKey] ?? id) });
  }
  return out;
}

export async function enumerateContainers(graph: GraphClient, user: string, cat: ExchangeCategory): Promise<Container[]> {
  if (cat === "email") {
    // independent reads: one round trip instead of two before the first delta (errors in the
    // old order: the root folder's first)
    const [rootR, foldersR] = await Promise.allSettled([graph.mail.rootFolder(user), graph.mail.folders(user, { includeHidden: true })]);
    if (rootR.status === "rejected") throw rootR.reason;
    if (foldersR.status === "rejected") throw foldersR.reason;
    const root = rootR.value;
    const folders = foldersR.value;
    // a parent missing from the listing is looked up (Corso's "missing parent refresh")
    const ids = new Set(folders.map((f) => String(f.id)));
    for (let i = 0; i < folders.length; i++) {
      const p = folders[i].parentFolderId == null ? "" : String(folders[i].parentFolderId);
      if (p && p !== root.id && !ids.has(p)) {
        try {
          const pf = await graph.mail.folder(user, p);
          ids.add(String(pf.id));
          folders.push(pf);
        } catch {
          // unknown parent: the folder hangs off the root
        }
      }
    }
    return buildPaths(folders, String(root.id), "displayName");
  }
  if (cat === "contacts") {
    const folders = await graph.contacts.folders(user);
    const root = folders[0];
    const rootParent = root?.parentFolderId == null ? undefined : String(root.parentFolderId);
    return buildPaths(folders, rootParent ?? "\u0000none", "displayName");
  }
  const cals = await graph.events.calendars(user);
  return cals.filter((c) => !c.shared).map(({ calendar }) => {
    const id = String(calendar.id);
    const name = String(calendar.name ?? id);
    return { id, idPath: [id], locPath: [name], displayName: name };
  });
}
