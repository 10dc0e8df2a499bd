/**
 * Shapes of the SpeakUp public API, as far as they are known.
 *
 * Only `id`, `createdAt`, `updatedAt`, `customId` and `summary` are public. The other detail fields below
 * are what the emulator serves and what the mapper looks for; every field is optional on the way in, the
 * whole object is kept as JSON, and unknown fields are never dropped.
 */

/** One entry of `GET /v1/public/issues`. */
export interface IssueSummary {
  id: number;
  createdAt?: string;
  updatedAt: string;
  customId?: string | null;
}

/** A custom field value inside a form. `type` is one of FIELD_TYPES, values as the API sends them. */
export interface IssueFieldValue {
  id: number | string;
  label?: string;
  type?: string;
  value: unknown;
}

export interface IssueForm {
  id: number | string;
  name?: string;
  fields: IssueFieldValue[];
}

/** `GET /v1/public/issues/{id}`: the "Detailed Issue Object". */
export interface IssueDetail {
  id: number;
  customId?: string | null;
  createdAt?: string;
  updatedAt: string;
  summary?: string | null;
  description?: string | null;
  status?: string | null;
  issueType?: string | null;
  channel?: string | null;
  domain?: { id: number; name: string } | null;
  assignee?: { id: number | string; name?: string; email?: string } | null;
  labels?: string[];
  receivedAt?: string | null;
  acknowledgedAt?: string | null;
  dueAt?: string | null;
  closedAt?: string | null;
  forms?: IssueForm[];
  [extra: string]: unknown;
}

/** Custom field types the emulator generates and the mapper recognises. */
export const FIELD_TYPES = ['text', 'number', 'date', 'select', 'multiselect', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
