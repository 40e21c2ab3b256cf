// Manifest layer (spec §10.1).
export {
  ManifestManager,
  ManifestNotFoundError,
  RawJson,
  goMarshal,
  MANIFEST_CONTENT_PREFIX,
  TYPE_LABEL,
  type ManifestMetadata,
  type ManifestManagerOptions,
} from "./manifest-manager.ts";
export { encodeManifestContent, decodeManifestContent, encodeEntry, type ManifestEntry } from "./serialized.ts";
export {
  goString,
  formatRfc3339Nano,
  parseRfc3339Nano,
  dateToNs,
  nsToDate,
  nowNs,
  GO_ZERO_TIME_UNIX_NANO,
} from "./go-json.ts";
