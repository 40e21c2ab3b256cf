// Regenerates tests/repo/compression/fixtures/ from kopia v0.15's own compressors (run by hand:
// `bun tests/repo/compression/make-fixtures.ts`). The committed fixtures let the decoders be
// tested without Go; compression.test.ts additionally re-checks against live kopia.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HEADER_IDS } from "../../../lib/repo/compression/headers.ts";
import { kopia } from "../../crypto/kopia-helper.ts";
import { FIXTURE_PLAN, INPUTS } from "./inputs.ts";

const dir = join(import.meta.dir, "fixtures");
mkdirSync(dir, { recursive: true });
const manifest: Record<string, { sha256: string; length: number; fixtures: string[] }> = {};
for (const [input, plan] of Object.entries(FIXTURE_PLAN)) {
  const data = INPUTS[input]();
  const names = (plan as unknown) === "ALL" ? Object.keys(HEADER_IDS) : plan;
  const res = await kopia(names.map((algo) => ({ op: "compress" as const, algo, data })));
  const files: string[] = [];
  names.forEach((name, i) => {
    if (res[i].err) throw new Error(`${name}: ${res[i].err}`);
    const file = `${input}.${name}.bin`;
    writeFileSync(join(dir, file), res[i].out);
    files.push(file);
  });
  manifest[input] = { sha256: createHash("sha256").update(data).digest("hex"), length: data.length, fixtures: files };
}
writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`wrote ${Object.values(manifest).reduce((n, m) => n + m.fixtures.length, 0)} fixtures to ${dir}`);
