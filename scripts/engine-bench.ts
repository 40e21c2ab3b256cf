// `bun scripts/engine.ts bench`: ingest / re-ingest / restore throughput and peak RSS of our
// engine vs restic (and vs kopia 0.15, the reference implementation of the same repository
// format, when it is built) on the same reproducible ~1 GB data set (seeded random binaries plus
// compressible mail-like text). Each tool runs as a child process under /usr/bin/time -v so
// wall time includes startup and RSS is the child's own peak. Before every timed phase the files
// it reads (the data set, or the tool's repository for a restore) are put in the same page-cache
// state for every tool: `--cache cold` (default) drops them, as for a nightly backup of data
// nobody read since; `--cache hot` reads them first. The LAST stdout line is JSON:
// {"ingest_ratio","reingest_ratio","restore_ratio","peak_rss_mb", …} (ratios = ours ÷ restic).
import { createCipheriv, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../lib/errors.ts";
import { dropFromPageCache } from "../lib/storage/page-cache.ts";
import type { Flags } from "./engine.ts";
import { kopiaPath } from "./setup-tools.ts";

const ENGINE = resolve(import.meta.dir, "engine.ts");

function prngStream(seed: string) {
  const key = createHash("sha256").update(seed).digest();
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return (n: number) => c.update(Buffer.alloc(n));
}

/** xorshift32 for choices in text generation. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part meeting project quarterly report budget invoice schedule review attached please regards thanks team customer update deadline contract proposal"
).split(" ");

export async function generate(dir: string, totalBytes: number): Promise<{ files: number; bytes: number }> {
  const binBudget = Math.floor(totalBytes * 0.6);
  let files = 0;
  let bytes = 0;
  const rnd = prngStream("corso-bench-v1");
  // random binaries: a few large (multi-chunk), some medium, many small
  const sizes: number[] = [];
  const pattern = [96 << 20, 24 << 20, 24 << 20, 6 << 20, 6 << 20, 6 << 20, 1 << 20, 300_000, 300_000, 40_000];
  for (let i = 0, sum = 0; sum < binBudget; i++) {
    const s = Math.min(pattern[i % pattern.length], binBudget - sum);
    sizes.push(s);
    sum += s;
  }
  await mkdir(join(dir, "bin"), { recursive: true });
  for (let i = 0; i < sizes.length; i++) {
    const sub = join(dir, "bin", `d${i % 8}`);
    await mkdir(sub, { recursive: true });
    const path = join(sub, `blob-${i}.bin`);
    let left = sizes[i];
    const parts: Buffer[] = [];
    while (left > 0) {
      const n = Math.min(left, 8 << 20);
      parts.push(rnd(n));
      left -= n;
    }
    await writeFile(path, Buffer.concat(parts));
    files++;
    bytes += sizes[i];
  }
  // mail-like text: headers + bodies from a small vocabulary (compresses ~3-4x)
  const r = rng(42);
  const sentences: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const n = 6 + Math.floor(r() * 14);
    const w: string[] = [];
    for (let j = 0; j < n; j++) w.push(WORDS[Math.floor(r() * WORDS.length)]);
    sentences.push(w.join(" ") + ".");
  }
  let textBytes = totalBytes - bytes;
  let msg = 0;
  while (textBytes > 0) {
    const folder = join(dir, "mail", `user${msg % 20}`, `folder${Math.floor(msg / 20) % 25}`);
    if (msg < 500) await mkdir(folder, { recursive: true });
    const target = Math.min(textBytes, 2000 + Math.floor(r() * r() * 120_000));
    const lines = [
      `Message-ID: <${msg}.${Math.floor(r() * 1e9)}@example.com>`,
      `From: user${Math.floor(r() * 500)}@example.com`,
      `To: user${Math.floor(r() * 500)}@example.com`,
      `Subject: ${sentences[Math.floor(r() * sentences.length)]}`,
      `Date: ${new Date(1_600_000_000_000 + msg * 60_000).toUTCString()}`,
      "",
    ];
    let len = lines.join("\n").length;
    while (len < target) {
      const s = sentences[Math.floor(r() * sentences.length)];
      lines.push(s);
      len += s.length + 1;
    }
    const body = Buffer.from(lines.join("\n")).subarray(0, target);
    await writeFile(join(folder, `msg-${msg}.eml`), body);
    textBytes -= body.length;
    bytes += body.length;
    files++;
    msg++;
  }
  return { files, bytes };
}

interface Run {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

async function timed(cmd: string[], env: Record<string, string> = {}): Promise<Run> {
  // Every phase starts with no dirty page cache: otherwise the previous phases' gigabytes are
  // written back during this one (and an fsync — both tools sync what they store — waits for the
  // journal to flush them), which made either tool's figures swing 2× with the run order.
  Bun.spawnSync(["sync"]);
  const t0 = performance.now();
  const proc = Bun.spawn(["/usr/bin/time", "-v", ...cmd], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new UsageError(`${cmd.slice(0, 3).join(" ")} failed (${code}): ${stderr.trim().split("\n").slice(-25, -23).join(" ")}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { seconds, peakRssMb: m ? Number(m[1]) / 1024 : NaN, stdout };
}

async function listFiles(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

type CacheState = "cold" | "hot";

/**
 * Puts every file under `dirs` in the same page-cache state before a timed phase, so no tool
 * reads from memory what another read from the disk. (This VM also evicts page cache idle for
 * ~30 s on its own, so without this the state depended on how long ago the files were touched.)
 */
async function setCache(dirs: string[], state: CacheState): Promise<void> {
  Bun.spawnSync(["sync"]); // DONTNEED leaves dirty pages alone
  for (const d of dirs) {
    for (const f of await listFiles(d)) {
      if (state === "hot") {
        await Bun.file(f).arrayBuffer();
      } else {
        const fh = await open(f, "r");
        try {
          await dropFromPageCache(fh.fd);
        } finally {
          await fh.close();
        }
      }
    }
  }
}

async function dirBytes(d: string): Promise<number> {
  let n = 0;
  for (const f of await listFiles(d)) n += (await stat(f)).size;
  return n;
}

interface Tool {
  name: string;
  repo: string;
  env: Record<string, string>;
  init(): string[][];
  snapshot(): string[];
  /** The restore command; may look up the snapshot first (untimed). */
  restore(out: string): Promise<string[]>;
}

interface ToolResult {
  ingest: Run;
  reingest: Run;
  restore: Run;
  repoMb: number;
}

async function runTool(t: Tool, data: string, expectBytes: number, restoreBase: string, cache: CacheState, log: (s: string) => void): Promise<ToolResult> {
  for (const c of t.init()) await timed(c, t.env);
  await setCache([data], cache);
  log(`${t.name}: snapshot ...`);
  const ingest = await timed(t.snapshot(), t.env);
  await setCache([data], cache);
  log(`${t.name}: snapshot again (unchanged) ...`);
  const reingest = await timed(t.snapshot(), t.env);
  const out = join(restoreBase, `${t.name}-restored`);
  const cmd = await t.restore(out);
  await setCache([t.repo], cache);
  log(`${t.name}: restore (into ${restoreBase}) ...`);
  const restore = await timed(cmd, t.env);
  const restored = await dirBytes(out);
  if (restored !== expectBytes) throw new UsageError(`${t.name}'s restore produced ${restored} bytes, expected ${expectBytes}`);
  // restored trees are removed only after every tool's restore: ext4 makes file creation slow
  // for a while after many deletions (it skips recently freed inodes), which would penalise
  // whichever restore ran next
  return { ingest, reingest, restore, repoMb: (await dirBytes(t.repo)) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per phase: the median time of the rounds and the highest peak RSS. */
function summarizeRounds(rs: ToolResult[]): ToolResult {
  const phase = (pick: (t: ToolResult) => Run): Run => ({
    seconds: median(rs.map((t) => pick(t).seconds)),
    peakRssMb: Math.max(...rs.map((t) => pick(t).peakRssMb)),
    stdout: "",
  });
  return { ingest: phase((t) => t.ingest), reingest: phase((t) => t.reingest), restore: phase((t) => t.restore), repoMb: rs[0].repoMb };
}

export async function runBench(f: Flags): Promise<void> {
  const sizeMb = Number((f["size-mb"] as string) ?? "1024");
  if (!(sizeMb > 0)) throw new UsageError("--size-mb must be positive");
  const compression = (f.compression as string) ?? "zstd-fastest";
  const cache = ((f.cache as string) ?? "cold") as CacheState;
  if (cache !== "cold" && cache !== "hot") throw new UsageError(`--cache must be cold or hot, got "${cache}"`);
  if (!existsSync("/usr/bin/time")) throw new UsageError("bench needs /usr/bin/time (apt-get install time)");
  if (Bun.spawnSync(["restic", "version"]).exitCode !== 0) throw new UsageError("restic not found: run scripts/install-restic.sh");
  const withKopia = existsSync(kopiaPath) && !f["no-kopia"];
  const rounds = Number((f.rounds as string) ?? "3");
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError("--rounds must be a positive integer");

  const work = await mkdtemp(join(tmpdir(), "corso-bench-"));
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    const data = join(work, "data");
    log(`generating ${sizeMb} MB data set in ${data} ...`);
    const gen = await generate(data, sizeMb * 1e6);
    const mbTotal = gen.bytes / 1e6;
    log(`  ${gen.files} files, ${mbTotal.toFixed(0)} MB; page cache before each phase: ${cache}`);
    // --restore-dir: where every tool restores (default: the work directory). On this VM's
    // journal-less ext4 every file creation scans inodes freed in the last ~5 minutes, so restores
    // there measure what ran before as much as the tools; a tmpfs target compares the tools alone.
    const restoreBase = f["restore-dir"] ? await mkdtemp(join(resolve(f["restore-dir"] as string), "corso-bench-restore-")) : work;

    const pass = "bench-passphrase";
    const bun = process.execPath;
    // Each round gets fresh repositories (and kopia config/cache, restic cache) under its own directory.
    const makeTools = (dir: string): Tool[] => {
      const ourRepo = join(dir, "ours");
      const ours: Tool = {
        name: "ours",
        repo: ourRepo,
        env: { CORSO_PASSPHRASE: pass },
        init: () => [[bun, ENGINE, "init", "--repo", ourRepo]],
        snapshot: () => [bun, ENGINE, "snapshot", data, "--repo", ourRepo, "--compression", compression],
        restore: async (out) => [bun, ENGINE, "restore", "latest", out, "--repo", ourRepo],
      };
      const rRepo = join(dir, "restic");
      const restic: Tool = {
        name: "restic",
        repo: rRepo,
        env: { RESTIC_PASSWORD: pass, RESTIC_CACHE_DIR: join(dir, "restic-cache") },
        init: () => [["restic", "init", "-q", "--repo", rRepo]],
        snapshot: () => ["restic", "backup", "-q", "--repo", rRepo, data],
        restore: async (out) => ["restic", "restore", "-q", "latest", "--repo", rRepo, "--target", out],
      };
      const kRepo = join(dir, "kopia");
      const kCfg = ["--config-file", join(dir, "kopia-config", "repository.config")];
      const kEnv = { KOPIA_PASSWORD: pass, KOPIA_CHECK_FOR_UPDATES: "false", KOPIA_LOG_DIR: join(dir, "kopia-logs") };
      const kopia: Tool = {
        name: "kopia",
        repo: kRepo,
        env: kEnv,
        init: () => [
          [kopiaPath, ...kCfg, "repository", "create", "filesystem", "--path", kRepo, "--cache-directory", join(dir, "kopia-cache")],
          [kopiaPath, ...kCfg, "policy", "set", "--global", `--compression=${compression}`],
        ],
        snapshot: () => [kopiaPath, ...kCfg, "snapshot", "create", data, "--no-progress"],
        restore: async (out) => {
          const r = Bun.spawnSync([kopiaPath, ...kCfg, "snapshot", "list", data, "--json"], { env: { ...process.env, ...kEnv } });
          const list = JSON.parse(r.stdout.toString()) as { rootEntry: { obj: string } }[];
          return [kopiaPath, ...kCfg, "restore", list[list.length - 1].rootEntry.obj, out];
        },
      };
      return withKopia ? [ours, restic, kopia] : [ours, restic];
    };

    // Rounds rotate the order (whoever runs first after the data set was generated, or after
    // another tool's restore, meets a different machine), and the table shows each phase's median.
    const all = new Map<string, ToolResult[]>();
    for (let round = 0; round < rounds; round++) {
      const dir = join(work, `round-${round}`);
      const outBase = join(restoreBase, `round-${round}`);
      const tools = makeTools(dir);
      const order = tools.map((_, i) => tools[(i + round) % tools.length]);
      log(`round ${round + 1}/${rounds}: ${order.map((t) => t.name).join(", ")}`);
      for (const t of order) {
        const res = await runTool(t, data, gen.bytes, outBase, cache, log);
        all.set(t.name, [...(all.get(t.name) ?? []), res]);
        log(`  ${t.name}: ingest ${res.ingest.seconds.toFixed(2)} s, re-ingest ${res.reingest.seconds.toFixed(2)} s, restore ${res.restore.seconds.toFixed(2)} s`);
      }
      // removed only after every tool's restore of the round (see runTool)
      await rm(dir, { recursive: true, force: true });
      await rm(outBase, { recursive: true, force: true });
    }
    if (restoreBase !== work) await rm(restoreBase, { recursive: true, force: true });
    const results = new Map<string, ToolResult>();
    for (const [name, rs] of all) results.set(name, summarizeRounds(rs));

    const o = results.get("ours")!;
    const r = results.get("restic")!;
    const k = results.get("kopia");
    const cell = (x: Run) => `${(mbTotal / x.seconds).toFixed(1).padStart(7)} MB/s (${x.seconds.toFixed(1)} s, ${x.peakRssMb.toFixed(0)} MB RSS)`;
    const row = (name: string, pick: (t: ToolResult) => Run) =>
      `${name.padEnd(10)} ours ${cell(pick(o))}   restic ${cell(pick(r))}   ratio ${(pick(r).seconds / pick(o).seconds).toFixed(2)}` +
      (k ? `   kopia ${cell(pick(k))}   ratio ${(pick(k).seconds / pick(o).seconds).toFixed(2)}` : "");
    console.log(
      `data set: ${gen.files} files, ${mbTotal.toFixed(0)} MB; page cache: ${cache}; compression: ${compression}; medians of ${rounds} round(s); ` +
        `${Bun.spawnSync(["restic", "version"]).stdout.toString().trim()}${k ? "; kopia 0.15.0" : " (kopia not built: bun scripts/setup-tools.ts)"}`,
    );
    console.log(row("ingest", (t) => t.ingest));
    console.log(row("re-ingest", (t) => t.reingest));
    console.log(row("restore", (t) => t.restore));
    console.log(`repository size: ours ${o.repoMb.toFixed(0)} MB, restic ${r.repoMb.toFixed(0)} MB${k ? `, kopia ${k.repoMb.toFixed(0)} MB` : ""}`);
    const ratio = (a: Run, b: Run) => +(b.seconds / a.seconds).toFixed(3);
    const result: Record<string, number | string> = {
      ingest_ratio: ratio(o.ingest, r.ingest),
      reingest_ratio: ratio(o.reingest, r.reingest),
      restore_ratio: ratio(o.restore, r.restore),
      peak_rss_mb: +Math.max(o.ingest.peakRssMb, o.reingest.peakRssMb, o.restore.peakRssMb).toFixed(1),
      cache,
      rounds,
    };
    if (k) {
      result.kopia_ingest_ratio = ratio(o.ingest, k.ingest);
      result.kopia_reingest_ratio = ratio(o.reingest, k.reingest);
      result.kopia_restore_ratio = ratio(o.restore, k.restore);
    }
    console.log(JSON.stringify(result));
  } finally {
    if (!f.keep) await rm(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
