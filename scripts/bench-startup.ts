// Start-up time of the compiled binary: `corso --help` and `corso repo connect filesystem`
// (a real connect to a fresh local repository) against `bun -e 0` (an empty script; `bun -e ''`
// prints bun's help instead), measured in the same run.
// Prints medians and, as the last line, a JSON object with the ratios.
//   bun run bench:startup [--iterations N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary } from "../tests/helpers/binary.ts";

const iterIdx = process.argv.indexOf("--iterations");
const N = iterIdx > 0 ? Number(process.argv[iterIdx + 1]) : 40;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeRun(cmd: string[], env: Record<string, string>): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { env, stdout: "ignore", stderr: "ignore" });
  const dt = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
  return dt;
}

const bin = await ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "corso-bench-startup-"));
try {
  const env = { PATH: process.env.PATH ?? "", HOME: dir, XDG_CACHE_HOME: join(dir, "cache"), CORSO_PASSPHRASE: "bench" };
  const repo = join(dir, "repo");
  timeRun([bin, "repo", "init", "filesystem", "--path", repo], env);
  const cases: Record<string, string[]> = {
    bunEmpty: [process.execPath, "-e", "0"], // (`bun -e ''` prints bun's help: use a no-op script)
    help: [bin, "--help"],
    connect: [bin, "repo", "connect", "filesystem", "--path", repo],
  };
  const samples: Record<string, number[]> = { bunEmpty: [], help: [], connect: [] };
  for (const k of Object.keys(cases)) timeRun(cases[k], env); // warm caches
  // Interleave so that machine noise hits every case alike.
  for (let i = 0; i < N; i++) for (const k of Object.keys(cases)) samples[k].push(timeRun(cases[k], env));
  const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(`iterations: ${N}`);
  console.log(`bun -e 0                         median ${med.bunEmpty.toFixed(1)} ms`);
  console.log(`corso --help                     median ${med.help.toFixed(1)} ms`);
  console.log(`corso repo connect filesystem    median ${med.connect.toFixed(1)} ms`);
  console.log(
    JSON.stringify({
      iterations: N,
      bunEmptyMs: +med.bunEmpty.toFixed(1),
      helpMs: +med.help.toFixed(1),
      connectMs: +med.connect.toFixed(1),
      helpRatio: +(med.help / med.bunEmpty).toFixed(2),
      connectRatio: +(med.connect / med.bunEmpty).toFixed(2),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
