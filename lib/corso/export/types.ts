// Shapes of the stored Graph JSON objects the export converters read (see corso-graph.md §5.3).
// Everything is optional: stored items come from many Graph versions and tenants, and the
// converters must degrade gracefully rather than reject an item for a missing field.

export interface GraphEmailAddress {
  name?: string | null;
  address?: string | null;
  /** Contacts only (beta backing-store field): "personal", "business", "other", "unknown". */
  type?: string | null;
}

export interface GraphRecipient {
  emailAddress?: GraphEmailAddress | null;
}

export interface GraphItemBody {
  contentType?: "text" | "html" | string | null;
  content?: string | null;
}

export interface GraphDateTimeTimeZone {
  dateTime?: string | null;
  timeZone?: string | null;
}

export interface GraphAttachment {
  "@odata.type"?: string;
  id?: string | null;
  name?: string | null;
  contentType?: string | null;
  size?: number | null;
  isInline?: boolean | null;
  lastModifiedDateTime?: string | null;
  /** fileAttachment: base64 content. */
  contentBytes?: string | null;
  contentId?: string | null;
  contentLocation?: string | null;
  /** itemAttachment: the expanded item (message, event, contact). */
  item?: (Record<string, unknown> & { "@odata.type"?: string }) | null;
  /** referenceAttachment (beta). */
  sourceUrl?: string | null;
}

export interface GraphPhysicalAddress {
  street?: string | null;
  city?: string | null;
  state?: string | null;
  countryOrRegion?: string | null;
  postalCode?: string | null;
}

export interface GraphLocation {
  displayName?: string | null;
  address?: GraphPhysicalAddress | null;
  locationType?: string | null;
}

export interface GraphRecurrencePattern {
  type?: string | null;
  interval?: number | null;
  month?: number | null;
  dayOfMonth?: number | null;
  daysOfWeek?: string[] | null;
  firstDayOfWeek?: string | null;
  index?: string | null;
}

export interface GraphRecurrenceRange {
  type?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  recurrenceTimeZone?: string | null;
  numberOfOccurrences?: number | null;
}

export interface GraphPatternedRecurrence {
  pattern?: GraphRecurrencePattern | null;
  range?: GraphRecurrenceRange | null;
}

export interface GraphAttendee {
  type?: "required" | "optional" | "resource" | string | null;
  status?: { response?: string | null; time?: string | null } | null;
  emailAddress?: GraphEmailAddress | null;
}

export interface GraphEvent {
  "@odata.type"?: string;
  id?: string | null;
  createdDateTime?: string | null;
  lastModifiedDateTime?: string | null;
  subject?: string | null;
  body?: GraphItemBody | null;
  start?: GraphDateTimeTimeZone | null;
  end?: GraphDateTimeTimeZone | null;
  originalStart?: string | null;
  originalStartTimeZone?: string | null;
  originalEndTimeZone?: string | null;
  isAllDay?: boolean | null;
  isCancelled?: boolean | null;
  showAs?: string | null;
  categories?: string[] | null;
  webLink?: string | null;
  organizer?: GraphRecipient | null;
  attendees?: GraphAttendee[] | null;
  location?: GraphLocation | null;
  sensitivity?: string | null;
  importance?: string | null;
  onlineMeeting?: { joinUrl?: string | null } | null;
  recurrence?: GraphPatternedRecurrence | null;
  attachments?: GraphAttachment[] | null;
  exceptionOccurrences?: GraphEvent[] | null;
  cancelledOccurrences?: string[] | null;
  [key: string]: unknown;
}

export interface GraphMessage {
  "@odata.type"?: string;
  id?: string | null;
  subject?: string | null;
  body?: GraphItemBody | null;
  bodyPreview?: string | null;
  from?: GraphRecipient | null;
  sender?: GraphRecipient | null;
  toRecipients?: GraphRecipient[] | null;
  ccRecipients?: GraphRecipient[] | null;
  bccRecipients?: GraphRecipient[] | null;
  replyTo?: GraphRecipient[] | null;
  sentDateTime?: string | null;
  receivedDateTime?: string | null;
  createdDateTime?: string | null;
  lastModifiedDateTime?: string | null;
  internetMessageId?: string | null;
  importance?: string | null;
  categories?: string[] | null;
  webLink?: string | null;
  attachments?: GraphAttachment[] | null;
  /** eventMessage fields. */
  meetingMessageType?: string | null;
  event?: GraphEvent | null;
  startDateTime?: GraphDateTimeTimeZone | null;
  endDateTime?: GraphDateTimeTimeZone | null;
  isAllDay?: boolean | null;
  location?: GraphLocation | null;
  recurrence?: GraphPatternedRecurrence | null;
  [key: string]: unknown;
}

export interface GraphContact {
  id?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  middleName?: string | null;
  title?: string | null;
  generation?: string | null;
  nickName?: string | null;
  birthday?: string | null;
  homeAddress?: GraphPhysicalAddress | null;
  businessAddress?: GraphPhysicalAddress | null;
  otherAddress?: GraphPhysicalAddress | null;
  mobilePhone?: string | null;
  businessPhones?: string[] | null;
  homePhones?: string[] | null;
  emailAddresses?: GraphEmailAddress[] | null;
  imAddresses?: string[] | null;
  companyName?: string | null;
  department?: string | null;
  profession?: string | null;
  jobTitle?: string | null;
  children?: string[] | null;
  spouseName?: string | null;
  manager?: string | null;
  assistantName?: string | null;
  personalNotes?: string | null;
  businessHomePage?: string | null;
  [key: string]: unknown;
}
