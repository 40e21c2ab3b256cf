// The project's one test command (`npm test`): builds the real third-party programs the
// suite needs (cached), runs `bun test`, and ends with a plain "N passed, N failed" line
// that CI systems can read. Extra arguments are passed to `bun test`.
import { ensureKopia, ensureMinio, ensurePythonTools } from "./setup-tools.ts";

ensureKopia();
ensureMinio();
ensurePythonTools();

const proc = Bun.spawn([process.execPath, "test", "--timeout", "300000", ...process.argv.slice(2)], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, FORCE_COLOR: "0" },
});

let pass = -1;
let fail = -1;
async function pump(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream): Promise<void> {
  const dec = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    out.write(chunk);
    tail += dec.decode(chunk, { stream: true });
    const lines = tail.split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      const p = /^\s*(\d+) pass\s*$/.exec(line);
      if (p) pass = Number(p[1]);
      const f = /^\s*(\d+) fail\s*$/.exec(line);
      if (f) fail = Number(f[1]);
    }
  }
}
await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
const code = await proc.exited;
if (pass < 0) {
  console.log("tests: 0 passed, 1 failed (bun test printed no summary)");
  process.exit(code || 1);
}
console.log(`tests: ${pass} passed, ${Math.max(fail, 0)} failed`);
process.exit(code);
