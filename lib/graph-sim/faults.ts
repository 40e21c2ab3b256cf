// Fault injection. Rules fire with a seeded PRNG so a failing test replays the same faults.

import { UsageError } from "../errors.ts";
import { rng } from "./ids.ts";
import type { FaultConfig, FaultKind, FaultRule } from "./types.ts";

const KINDS: FaultKind[] = ["500", "502", "503", "504", "reset", "slowBody", "notFound", "malware", "expiredUrl", "corruptData", "garbageJson", "throttle"];

interface LiveRule extends FaultRule {
  re?: RegExp;
  fired: number;
}

export class Faults {
  private rules: LiveRule[] = [];
  private r = rng(1);
  readonly injected: Record<string, number> = {};

  set(cfg: FaultConfig): void {
    const rules: FaultRule[] = [...(cfg.rules ?? [])];
    for (const k of KINDS) {
      const rate = cfg[k];
      if (typeof rate === "number") rules.push({ kind: k, rate, path: cfg.path, method: cfg.method, max: cfg.max });
    }
    for (const r of rules) {
      if (!KINDS.includes(r.kind)) throw new UsageError(`unknown fault kind "${r.kind}" (expected one of ${KINDS.join(", ")})`);
      if (!(r.rate >= 0 && r.rate <= 1)) throw new UsageError(`fault rate for ${r.kind} must be between 0 and 1`);
    }
    this.rules = rules.map((r) => {
      let re: RegExp | undefined;
      try {
        re = r.path ? new RegExp(r.path, "i") : undefined;
      } catch {
        throw new UsageError(`fault path "${r.path}" is not a valid regular expression`);
      }
      return { ...r, re, fired: 0 };
    });
    this.r = rng(cfg.seed ?? 1);
  }

  /** The first rule of an applicable kind that matches and fires. */
  pick(method: string, path: string, applicable: (k: FaultKind) => boolean): LiveRule | undefined {
    for (const rule of this.rules) {
      if (!applicable(rule.kind)) continue;
      if (rule.max !== undefined && rule.fired >= rule.max) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.re && !rule.re.test(path)) continue;
      if (rule.rate <= 0 || this.r() >= rule.rate) continue;
      rule.fired++;
      this.injected[rule.kind] = (this.injected[rule.kind] ?? 0) + 1;
      return rule;
    }
    return undefined;
  }
}
