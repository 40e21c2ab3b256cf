// Shared helpers for the Graph client's integration tests against the simulator.
import { startSimulator } from "../../lib/graph-sim/index.ts";
import { createGraphClient, type GraphClient, type GraphClientOptions } from "../../lib/m365/graph/index.ts";

export type Sim = Awaited<ReturnType<typeof startSimulator>>;
export { startSimulator };

export function clientFor(sim: Sim, extra: Partial<GraphClientOptions> = {}): GraphClient {
  return createGraphClient({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    graphUrl: sim.graphBase,
    loginUrl: sim.loginBase,
    // Tests should not sit in multi-second backoffs.
    retry: { baseDelayMs: 20, maxDelayMs: 200, ...extra.retry },
    ...extra,
  });
}

/** Admin change through the simulator's tenant handle. */
export async function mutate(sim: Sim, op: Record<string, unknown>): Promise<{ id: string }> {
  const t = (sim as unknown as { tenant: Record<string, unknown> }).tenant;
  if (t && typeof t.mutate === "function") return await (t.mutate as (o: unknown) => Promise<{ id: string }> | { id: string })(op);
  const res = await fetch(`${sim.url}/_sim/mutate`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(op) });
  if (!res.ok) throw new Error(`mutate failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

export async function firstUser(g: GraphClient): Promise<string> {
  for await (const u of g.discovery.users()) return String(u.id);
  throw new Error("simulator has no users");
}

export async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const sha = (b: Uint8Array): string => new Bun.CryptoHasher("sha256").update(b).digest("hex");
