/**
 * What the store writes for one issue detail, as the core defines it. Each database's schema declares
 * these columns; the SQLite store checks at compile time that its Drizzle schema and these shapes agree,
 * so a column added on one side and not the other fails the type check, not a run.
 */

/** The issue columns the mapper owns; the store adds first_seen_at, deleted_at and the sighting. */
export interface MappedIssueRow {
  id: number;
  customId: string | null;
  createdAt: string | null;
  updatedAt: string;
  summary: string | null;
  description: string | null;
  status: string | null;
  issueType: string | null;
  channel: string | null;
  domainId: number | null;
  domainName: string | null;
  /** Text: the API types assignee ids as number | string. */
  assigneeId: string | null;
  assigneeName: string | null;
  assigneeEmail: string | null;
  /** JSON array of label strings. */
  labels: string | null;
  receivedAt: string | null;
  acknowledgedAt: string | null;
  dueAt: string | null;
  closedAt: string | null;
  /** The whole detail object as JSON text, unknown fields included. */
  data: string;
  /** When this detail was fetched. */
  syncedAt: string;
}

/** One custom field value of an issue's forms (position = order over all forms and fields). */
export interface FieldValueRecord {
  issueId: number;
  position: number;
  formId: string | null;
  formName: string | null;
  fieldId: string | null;
  label: string | null;
  type: string | null;
  valueText: string | null;
  valueNumber: number | null;
  valueJson: string | null;
}

/** Text indexed for full-text search, one entry per issue. */
export interface FtsText {
  summary: string | null;
  description: string | null;
  /** Text-like field values (text, select, multiselect, untyped strings), one per line. */
  fieldText: string | null;
}

/** Everything the store writes for one issue detail. */
export interface MappedIssue {
  issue: MappedIssueRow;
  fields: FieldValueRecord[];
  fts: FtsText;
}
