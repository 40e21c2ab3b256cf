// Test trees for interop: a reproducible directory with mixed file sizes (empty, small, > 8 MiB
// multi-chunk), nested and empty directories, a symlink and varied modes, plus a comparison
// that checks types, bytes, symlink targets, permissions and file mtimes.
import { createCipheriv, createHash } from "node:crypto";
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed). */
export function prng(seed: string, n: number): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return new Uint8Array(c.update(Buffer.alloc(n)));
}

export async function makeTree(root: string, seed = "tree"): Promise<void> {
  await mkdir(join(root, "docs/deep/deeper"), { recursive: true });
  await mkdir(join(root, "empty-dir"));
  await mkdir(join(root, "bin"));
  await writeFile(join(root, "large.bin"), prng(seed + "L", 11 * 1024 * 1024 + 12345));
  await writeFile(join(root, "bin/medium.bin"), prng(seed + "M", 1_500_000));
  await writeFile(join(root, "empty.txt"), "");
  await writeFile(join(root, "docs/readme.md"), "# hello <world> & more\n".repeat(200));
  await writeFile(join(root, "docs/deep/deeper/note.txt"), "deep note\n");
  for (let i = 0; i < 20; i++) await writeFile(join(root, `docs/deep/small-${i}.txt`), `file ${i} ${seed}\n`.repeat(i));
  await symlink("docs/readme.md", join(root, "link-to-readme"));
  await chmod(join(root, "bin/medium.bin"), 0o755);
  await chmod(join(root, "docs/deep/deeper/note.txt"), 0o600);
  await utimes(join(root, "large.bin"), 1_600_000_000.5, 1_600_000_000.5);
}

export interface TreeItem {
  type: "f" | "d" | "s";
  perm: number;
  size: number;
  sha?: string;
  target?: string;
  mtimeUs?: bigint;
}

export async function describeTree(root: string): Promise<Map<string, TreeItem>> {
  const out = new Map<string, TreeItem>();
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(p, { bigint: true });
      const perm = Number(st.mode) & 0o7777;
      if (st.isSymbolicLink()) out.set(r, { type: "s", perm: 0, size: 0, target: await readlink(p) });
      else if (st.isDirectory()) {
        out.set(r, { type: "d", perm, size: 0 });
        await walk(p, r);
      } else {
        const data = await readFile(p);
        out.set(r, {
          type: "f",
          perm,
          size: data.length,
          sha: createHash("sha256").update(data).digest("hex"),
          mtimeUs: st.mtimeNs / 1000n,
        });
      }
    }
  };
  await walk(root, "");
  return out;
}

/** Differences between two trees (empty = identical). File mtimes compared to 10 µs. */
export async function diffTrees(a: string, b: string): Promise<string[]> {
  const [ta, tb] = await Promise.all([describeTree(a), describeTree(b)]);
  const diffs: string[] = [];
  for (const [p, x] of ta) {
    const y = tb.get(p);
    if (!y) {
      diffs.push(`missing ${p}`);
      continue;
    }
    if (x.type !== y.type || x.size !== y.size || x.sha !== y.sha || x.target !== y.target) diffs.push(`content differs: ${p}`);
    else if (x.perm !== y.perm) diffs.push(`mode differs: ${p} ${x.perm.toString(8)} vs ${y.perm.toString(8)}`);
    else if (x.mtimeUs !== undefined && y.mtimeUs !== undefined) {
      const d = x.mtimeUs - y.mtimeUs;
      if (d > 10n || d < -10n) diffs.push(`mtime differs: ${p}`);
    }
  }
  for (const p of tb.keys()) if (!ta.has(p)) diffs.push(`extra ${p}`);
  return diffs;
}
