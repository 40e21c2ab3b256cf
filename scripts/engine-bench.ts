// `bun scripts/engine.ts bench`: ingest / re-ingest / restore throughput and peak RSS of our
// engine vs restic on the same reproducible ~1 GB data set (seeded random binaries plus
// compressible mail-like text). Each side runs as a child process under /usr/bin/time -v so
// wall time includes startup and RSS is the child's own peak. The LAST stdout line is JSON:
// {"ingest_ratio","reingest_ratio","restore_ratio","peak_rss_mb"} (ratios = ours ÷ restic).
import { createCipheriv, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../lib/errors.ts";
import type { Flags } from "./engine.ts";

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

async function dirBytes(d: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(d, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

export async function runBench(f: Flags): Promise<void> {
  const sizeMb = Number((f["size-mb"] as string) ?? "1024");
  if (!(sizeMb > 0)) throw new UsageError("--size-mb must be positive");
  const compression = (f.compression as string) ?? "zstd-fastest";
  if (!existsSync("/usr/bin/time")) throw new UsageError("bench needs /usr/bin/time (apt-get install time)");
  if (Bun.spawnSync(["restic", "version"]).exitCode !== 0) throw new UsageError("restic not found: run scripts/install-restic.sh");

  const work = await mkdtemp(join(tmpdir(), "corso-bench-"));
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    const data = join(work, "data");
    log(`generating ${sizeMb} MB data set in ${data} ...`);
    const gen = await generate(data, sizeMb * 1e6);
    const mbTotal = gen.bytes / 1e6;
    log(`  ${gen.files} files, ${mbTotal.toFixed(0)} MB`);

    const pass = "bench-passphrase";
    const ourEnv = { CORSO_PASSPHRASE: pass };
    const ourRepo = join(work, "ours");
    const bun = process.execPath;
    await timed([bun, ENGINE, "init", "--repo", ourRepo], ourEnv);
    log("ours: snapshot ...");
    const o1 = await timed([bun, ENGINE, "snapshot", data, "--repo", ourRepo, "--compression", compression], ourEnv);
    log("ours: snapshot again (unchanged) ...");
    const o2 = await timed([bun, ENGINE, "snapshot", data, "--repo", ourRepo, "--compression", compression], ourEnv);
    // --restore-dir: where both tools restore (default: the work directory). On this VM's
    // journal-less ext4 every file creation scans inodes freed in the last ~5 minutes, so restores
    // there measure what ran before as much as the tools; a tmpfs target compares the tools alone.
    const restoreBase = f["restore-dir"] ? await mkdtemp(join(resolve(f["restore-dir"] as string), "corso-bench-restore-")) : work;
    log(`ours: restore (into ${restoreBase}) ...`);
    const oOut = join(restoreBase, "ours-restored");
    const o3 = await timed([bun, ENGINE, "restore", "latest", oOut, "--repo", ourRepo], ourEnv);
    const restoredBytes = await dirBytes(oOut);
    if (restoredBytes !== gen.bytes) throw new UsageError(`our restore produced ${restoredBytes} bytes, expected ${gen.bytes}`);
    const ourRepoMb = (await dirBytes(ourRepo)) / 1e6;
    // our restored tree is removed only after restic's restore: ext4 makes file creation slow
    // for a while after many deletions (it skips recently freed inodes), which would penalise
    // whichever restore ran next

    const rEnv = { RESTIC_PASSWORD: pass, RESTIC_CACHE_DIR: join(work, "restic-cache") };
    const rRepo = join(work, "restic");
    await timed(["restic", "init", "-q", "--repo", rRepo], rEnv);
    log("restic: backup ...");
    const r1 = await timed(["restic", "backup", "-q", "--repo", rRepo, data], rEnv);
    log("restic: backup again (unchanged) ...");
    const r2 = await timed(["restic", "backup", "-q", "--repo", rRepo, data], rEnv);
    log("restic: restore ...");
    const rOut = join(restoreBase, "restic-restored");
    const r3 = await timed(["restic", "restore", "-q", "latest", "--repo", rRepo, "--target", rOut], rEnv);
    const resticRepoMb = (await dirBytes(rRepo)) / 1e6;
    await rm(oOut, { recursive: true, force: true });
    if (restoreBase !== work) await rm(restoreBase, { recursive: true, force: true });

    const row = (name: string, o: Run, r: Run) =>
      `${name.padEnd(10)} ours ${(mbTotal / o.seconds).toFixed(1).padStart(7)} MB/s (${o.seconds.toFixed(1)} s, ${o.peakRssMb.toFixed(0)} MB RSS)` +
      `   restic ${(mbTotal / r.seconds).toFixed(1).padStart(7)} MB/s (${r.seconds.toFixed(1)} s, ${r.peakRssMb.toFixed(0)} MB RSS)` +
      `   ratio ${(r.seconds / o.seconds).toFixed(2)}`;
    console.log(`data set: ${gen.files} files, ${mbTotal.toFixed(0)} MB; our compression: ${compression}; restic ${Bun.spawnSync(["restic", "version"]).stdout.toString().trim()}`);
    console.log(row("ingest", o1, r1));
    console.log(row("re-ingest", o2, r2));
    console.log(row("restore", o3, r3));
    console.log(`repository size: ours ${ourRepoMb.toFixed(0)} MB, restic ${resticRepoMb.toFixed(0)} MB`);
    const result = {
      ingest_ratio: +(r1.seconds / o1.seconds).toFixed(3),
      reingest_ratio: +(r2.seconds / o2.seconds).toFixed(3),
      restore_ratio: +(r3.seconds / o3.seconds).toFixed(3),
      peak_rss_mb: +Math.max(o1.peakRssMb, o2.peakRssMb, o3.peakRssMb).toFixed(1),
    };
    console.log(JSON.stringify(result));
  } finally {
    if (!f.keep) await rm(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
