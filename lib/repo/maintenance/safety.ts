// Maintenance safety parameters (kopia repo/maintenance/maintenance_safety.go, spec §11.2).
// Durations are milliseconds. SafetyFull lets maintenance run beside other writers; SafetyNone
// is only safe when nothing else touches the repository and storage is strongly consistent.

export interface SafetyParameters {
  /** Blob GC: delete unreferenced blobs only above this age. */
  blobDeleteMinAgeMs: number;
  /** Extra margin before the safe drop time when dropping deleted contents from indexes. */
  dropContentFromIndexExtraMarginMs: number;
  /** Minimum time between the two snapshot-GC runs that make dropping deleted contents safe. */
  marginBetweenSnapshotGCMs: number;
  /** Snapshot GC: unreferenced contents younger than this are kept. */
  minContentAgeSubjectToGCMs: number;
  /** Contents younger than this are not rewritten. */
  rewriteMinAgeMs: number;
  /** Sessions whose marker checkpoint is younger than this protect their blobs. */
  sessionExpirationAgeMs: number;
  requireTwoGCCycles: boolean;
  /** Time that must pass after a content rewrite before orphaned blobs are deleted. */
  minRewriteToOrphanDeletionDelayMs: number;
  disableEventualConsistencySafety: boolean;
}

const HOUR = 3_600_000;

export const SAFETY_FULL: Readonly<SafetyParameters> = Object.freeze({
  blobDeleteMinAgeMs: 24 * HOUR,
  dropContentFromIndexExtraMarginMs: HOUR,
  marginBetweenSnapshotGCMs: 4 * HOUR,
  minContentAgeSubjectToGCMs: 24 * HOUR,
  rewriteMinAgeMs: 2 * HOUR,
  sessionExpirationAgeMs: 96 * HOUR,
  requireTwoGCCycles: true,
  minRewriteToOrphanDeletionDelayMs: HOUR,
  disableEventualConsistencySafety: false,
});

export const SAFETY_NONE: Readonly<SafetyParameters> = Object.freeze({
  blobDeleteMinAgeMs: 0,
  dropContentFromIndexExtraMarginMs: 0,
  marginBetweenSnapshotGCMs: 0,
  minContentAgeSubjectToGCMs: 0,
  rewriteMinAgeMs: 0,
  sessionExpirationAgeMs: 0,
  requireTwoGCCycles: false,
  minRewriteToOrphanDeletionDelayMs: 0,
  disableEventualConsistencySafety: true,
});

export type SafetyLevel = "full" | "none";

export function safetyFor(level: SafetyLevel): Readonly<SafetyParameters> {
  return level === "none" ? SAFETY_NONE : SAFETY_FULL;
}
