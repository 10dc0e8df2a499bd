/**
 * Pure mapping of an API issue detail to database rows. Strict about what identifies an issue (id,
 * updatedAt), tolerant about the rest: a missing or wrongly typed optional field becomes NULL, never a
 * crash, and the whole object is always kept in `data`, so nothing the API sends is lost.
 */
import { BadResponseError } from '../errors.js';
import type { FieldValueRecord as FieldValueRow, MappedIssue, MappedIssueRow } from './records.js';
import { DEFAULT_FIELD_MAP, type FieldMap } from './field-map.js';
import { toIsoUtc, toPlainDate } from '../timestamps.js';

// The record types are the core's (records.ts); re-exported for the mapper's callers.
export type { FtsText, MappedIssue, MappedIssueRow } from './records.js';

type Json = Record<string, unknown>;

// Field types whose values are not prose: kept out of the full-text index.
const NOT_SEARCHABLE = new Set(['number', 'date', 'boolean']);
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Maps one `GET /v1/public/issues/{id}` body. Throws BadResponseError (one line, naming the id and the
 * problem) when the id is not a positive integer, differs from `expectedId`, or updatedAt is not a full
 * timestamp. `syncedAt` must be a full timestamp (it is normalised too). `rawJson`, the body the object was
 * parsed from, is stored as `data` when given (saves serialising it again on the per-issue path).
 * `map` says which path each typed column is read from (field-map.ts); the default is the built-in one.
 */
export function toIssueRecord(
  detail: unknown,
  syncedAt: string,
  expectedId?: number,
  rawJson?: string,
  map: FieldMap = DEFAULT_FIELD_MAP,
): MappedIssue {
  const { id, updatedAt, detail: d } = identify(detail, expectedId);
  const synced = toIsoUtc(syncedAt);
  if (synced === null) throw new TypeError(`toIssueRecord: syncedAt is not a full timestamp: ${syncedAt}`);

  const r = map.read;
  const issue: MappedIssueRow = {
    id,
    customId: idText(r.custom_id(d)),
    createdAt: map.date.created_at(d),
    updatedAt,
    summary: str(r.summary(d)),
    description: str(r.description(d)),
    status: str(r.status(d)),
    issueType: str(r.issue_type(d)),
    channel: str(r.channel(d)),
    domainId: int(r.domain_id(d)),
    domainName: str(r.domain_name(d)),
    assigneeId: idText(r.assignee_id(d)),
    assigneeName: str(r.assignee_name(d)),
    assigneeEmail: str(r.assignee_email(d)),
    labels: labelsJson(r.labels(d)),
    receivedAt: map.date.received_at(d),
    acknowledgedAt: map.date.acknowledged_at(d),
    dueAt: map.date.due_at(d),
    closedAt: map.date.closed_at(d),
    data: rawJson ?? JSON.stringify(d),
    syncedAt: synced,
  };
  const { rows, text } = mapForms(id, r.forms(d), map);
  return {
    issue,
    fields: rows,
    fts: {
      summary: issue.summary,
      description: issue.description,
      fieldText: text.length > 0 ? text.join('\n') : null,
    },
  };
}

/** What identifies an issue, checked strictly: the detail must be an object with a positive integer id (the
 * one asked for, when known) and a full updatedAt timestamp. Anything else is the server's fault. */
function identify(detail: unknown, expectedId: number | undefined): { id: number; updatedAt: string; detail: Json } {
  if (!isRecord(detail)) {
    throw new BadResponseError(`issue detail${about(expectedId)}: expected a JSON object, got ${kindOf(detail)}`);
  }
  const id = detail.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new BadResponseError(
      `issue detail${about(expectedId)}: id must be a positive integer, got ${show(id)} (${kindOf(id)})`,
    );
  }
  if (expectedId !== undefined && id !== expectedId) {
    throw new BadResponseError(`issue ${expectedId}: the detail returned has id ${id}`);
  }
  const updatedAt = toIsoUtc(detail.updatedAt);
  if (updatedAt === null) {
    throw new BadResponseError(
      `issue ${id}: updatedAt must be a full ISO-8601 timestamp, got ${show(detail.updatedAt)}`,
    );
  }
  return { id, updatedAt, detail };
}

/** Flattens forms[].fields[] into rows (position = order over all forms) and collects searchable text. */
function mapForms(issueId: number, forms: unknown, map: FieldMap): { rows: FieldValueRow[]; text: string[] } {
  const rows: FieldValueRow[] = [];
  const text: string[] = [];
  if (!Array.isArray(forms)) return { rows, text };
  const r = map.read;
  for (const form of forms) {
    if (!isRecord(form)) continue;
    const fields = r.form_fields(form);
    if (!Array.isArray(fields)) continue;
    const formId = idText(r.form_id(form));
    const formName = str(r.form_name(form));
    for (const field of fields) {
      if (!isRecord(field)) continue;
      const type = str(r.field_type(field));
      const value = r.field_value(field);
      const v = mapValue(type, value);
      rows.push({
        issueId,
        position: rows.length,
        formId,
        formName,
        fieldId: idText(r.field_id(field)),
        label: str(r.field_label(field)),
        type,
        valueText: v.text,
        valueNumber: v.number,
        valueJson: v.json,
      });
      if (!NOT_SEARCHABLE.has(type ?? '')) text.push(...searchable(value));
    }
  }
  return { rows, text };
}

interface Value {
  text: string | null;
  number: number | null;
  json: string | null;
}

/** One field value as text / number / JSON. Booleans fill all three so every BI tool can read them. */
function mapValue(type: string | null, value: unknown): Value {
  switch (typeof value) {
    case 'string': {
      if (type === 'date') return { text: toIsoUtc(value) ?? toPlainDate(value) ?? value, number: null, json: null };
      const n = type === 'number' && NUMERIC.test(value.trim()) ? Number(value) : null;
      return { text: value, number: n !== null && Number.isFinite(n) ? n : null, json: null };
    }
    case 'number':
      return { text: String(value), number: Number.isFinite(value) ? value : null, json: null };
    case 'boolean':
      return { text: String(value), number: value ? 1 : 0, json: String(value) };
    case 'object': {
      if (value === null) return { text: null, number: null, json: null };
      const scalars = Array.isArray(value) && value.every((x) => typeof x === 'string' || typeof x === 'number');
      return { text: scalars ? value.join(', ') : null, number: null, json: JSON.stringify(value) };
    }
    default:
      return { text: null, number: null, json: null };
  }
}

function searchable(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
  return [];
}

function labelsJson(labels: unknown): string | null {
  if (!Array.isArray(labels)) return null;
  return JSON.stringify(labels.filter((l): l is string => typeof l === 'string'));
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}

/** Ids the API types as number | string, stored as text. */
function idText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isInteger(v)) return 'a fraction';
  return `a ${typeof v}`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  // JSON text of anything parsed from JSON; a function or symbol (never parsed) just names its type.
  const s = JSON.stringify(v) ?? typeof v;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function about(expectedId: number | undefined): string {
  return expectedId === undefined ? '' : ` for issue ${expectedId}`;
}
