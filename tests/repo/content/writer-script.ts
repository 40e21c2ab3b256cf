// Child process for the concurrency and crash tests:
//   bun writer-script.ts <repoPath> <password> <seed> <count> <flushEvery> [epochs]
// Writes `count` deterministic contents (seed-based), flushing every `flushEvery`; with
// "epochs" it also advances epochs and compacts now and then. Prints "done" at the end.
import { openContentRepository } from "../../../lib/repo/content-repository.ts";
import { openFilesystemStorage } from "../../../lib/storage/filesystem.ts";

export function contentFor(seed: number, i: number): Uint8Array {
  // xorshift32 stream; every 7th content is shared between seeds (dedup across writers)
  let x = ((i % 7 === 0 ? 0xabcdef : seed * 1_000_003) + i * 7919) >>> 0 || 1;
  const len = 100 + ((i * 2654435761) >>> 0) % 40_000;
  const out = new Uint8Array(len);
  for (let k = 0; k < len; k++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[k] = x & 0xff;
  }
  return out;
}

if (import.meta.main) {
  const [repoPath, password, seedS, countS, flushS, mode] = process.argv.slice(2);
  const seed = Number(seedS);
  const st = await openFilesystemStorage({ path: repoPath });
  const repo = await openContentRepository(st, password, { hostname: `w${seed}`, username: "test" });
  repo.contents.config.maxPackSize = 64 * 1024; // many packs → many crash points
  for (let i = 0; i < Number(countS); i++) {
    await repo.contents.writeContent(contentFor(seed, i), { prefix: i % 5 === 0 ? "k" : "" });
    if ((i + 1) % Number(flushS) === 0) {
      await repo.contents.flush();
      if (mode === "epochs" && (i + 1) % (Number(flushS) * 3) === 0) {
        await repo.contents.epochManager!.forceAdvance();
        await repo.contents.epochManager!.compactSettledEpochs();
      }
    }
  }
  await repo.close();
  await st.close();
  console.log("done");
}
