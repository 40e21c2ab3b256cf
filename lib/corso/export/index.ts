// Export converters: stored Graph JSON → standard files. Pure functions, one item at a time,
// so callers stream items from the repository and write each result straight out.
export { messageToEml, postToEml, type ConversationPostMeta } from "./eml.ts";
export { eventToIcs, eventToIcsLines, type IcsOptions } from "./ics.ts";
export { contactToVcf } from "./vcf.ts";
export { exportLayout, sanitizePathElement, type ExportCategory, type ExportItemRef } from "./layout.ts";
export { recurrenceToRrule } from "./rrule.ts";
export { WINDOWS_TO_IANA, resolveTimeZone, vtimezoneLines } from "./ics-timezones.ts";
export type { GraphAttachment, GraphContact, GraphEvent, GraphMessage } from "./types.ts";
