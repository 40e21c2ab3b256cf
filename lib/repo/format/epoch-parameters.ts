// Epoch manager parameters (spec §8, internal/epoch/epoch_manager.go Parameters). JSON keys are
// capitalised Go field names; durations are int64 nanoseconds.
import { UsageError } from "../../errors.ts";
import { HOUR_NS, MINUTE_NS } from "./go-json.ts";

export interface EpochParameters {
  Enabled: boolean;
  EpochRefreshFrequency: number; // ns
  FullCheckpointFrequency: number;
  CleanupSafetyMargin: number; // ns
  MinEpochDuration: number; // ns
  EpochAdvanceOnCountThreshold: number;
  EpochAdvanceOnTotalSizeBytesThreshold: number;
  DeleteParallelism: number;
}

export function defaultEpochParameters(): EpochParameters {
  return {
    Enabled: true,
    EpochRefreshFrequency: 20 * MINUTE_NS,
    FullCheckpointFrequency: 7,
    CleanupSafetyMargin: 4 * HOUR_NS,
    MinEpochDuration: 24 * HOUR_NS,
    EpochAdvanceOnCountThreshold: 20,
    EpochAdvanceOnTotalSizeBytesThreshold: 10 << 20,
    DeleteParallelism: 4,
  };
}

export function disabledEpochParameters(): EpochParameters {
  return {
    Enabled: false,
    EpochRefreshFrequency: 0,
    FullCheckpointFrequency: 0,
    CleanupSafetyMargin: 0,
    MinEpochDuration: 0,
    EpochAdvanceOnCountThreshold: 0,
    EpochAdvanceOnTotalSizeBytesThreshold: 0,
    DeleteParallelism: 0,
  };
}

/** Parses the JSON object, keeping Go field order and zero defaults for missing keys. */
export function parseEpochParameters(o: any): EpochParameters {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  o = o && typeof o === "object" ? o : {};
  return {
    Enabled: o.Enabled === true,
    EpochRefreshFrequency: num(o.EpochRefreshFrequency),
    FullCheckpointFrequency: num(o.FullCheckpointFrequency),
    CleanupSafetyMargin: num(o.CleanupSafetyMargin),
    MinEpochDuration: num(o.MinEpochDuration),
    EpochAdvanceOnCountThreshold: num(o.EpochAdvanceOnCountThreshold),
    EpochAdvanceOnTotalSizeBytesThreshold: num(o.EpochAdvanceOnTotalSizeBytesThreshold),
    DeleteParallelism: num(o.DeleteParallelism),
  };
}

/** Same rules as Parameters.Validate(); throws UsageError naming the bad parameter. */
export function validateEpochParameters(p: EpochParameters): void {
  if (!p.Enabled) return;
  if (p.MinEpochDuration < 10 * MINUTE_NS) {
    throw new UsageError(`invalid epoch parameters: minimum epoch duration too low (${fmtDur(p.MinEpochDuration)}, must be >= 10m)`);
  }
  if (p.EpochRefreshFrequency * 3 > p.MinEpochDuration) {
    throw new UsageError("invalid epoch parameters: epoch refresh period is too long, must be 1/3 of minimal epoch duration or shorter");
  }
  if (p.FullCheckpointFrequency <= 0) throw new UsageError("invalid epoch parameters: invalid epoch checkpoint frequency");
  if (p.CleanupSafetyMargin < p.EpochRefreshFrequency * 3) {
    throw new UsageError("invalid epoch parameters: cleanup safety margin must be at least 3x epoch refresh frequency");
  }
  if (p.EpochAdvanceOnCountThreshold < 10) throw new UsageError("invalid epoch parameters: epoch advance on count too low (min 10)");
  if (p.EpochAdvanceOnTotalSizeBytesThreshold < 1 << 20) {
    throw new UsageError("invalid epoch parameters: epoch advance on size too low (min 1 MiB)");
  }
}

export function fmtDur(ns: number): string {
  const s = ns / 1e9;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
