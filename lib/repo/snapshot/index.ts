// Snapshot layer (spec §10.2–§10.3, §12.3): manifests, directory objects, tree building,
// filesystem upload and restore.
export * from "./dir-entry.ts";
export * from "./directory.ts";
export * from "./manifest.ts";
export { SnapshotTreeBuilder, type TreeBuilderOptions, type FileMeta } from "./tree-builder.ts";
export { snapshotDirectory, readFileBlocks, type SnapshotDirectoryOptions, type SnapshotRepo } from "./upload-fs.ts";
export { restoreSnapshot, type RestoreOptions, type RestoreStats } from "./restore.ts";
