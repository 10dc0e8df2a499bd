/**
 * The statements of the PostgreSQL batch writer (writes.ts), built once per mirror schema. Rows travel as
 * one text parameter per column, split by the server and expanded by `unnest` (joined-text.ts): a
 * multi-row statement whose text does not grow with the batch (and stays clear of the parameter limit).
 * Issues not yet stored are inserted by plain INSERTs; rows of issues already stored are updated only
 * where a value changed, and the full-text row is written by UPDATE or INSERT, never by
 * INSERT … ON CONFLICT DO UPDATE: PostgreSQL computes a generated column (the tsvector) for the proposed
 * row before it finds the conflict and again for the update, so an upsert pays for the text twice.
 */
import type { MappedIssueRow } from '../../sync/ports.js';
import { splitParam } from './joined-text.js';
import { quoteSchema } from './names.js';

type IssueKey = keyof MappedIssueRow;

/** Mapped issue columns: SQL name, row key, element type of the array parameter, cast after unnest. */
export const ISSUE_COLUMNS: [string, IssueKey, string, string?][] = [
  ['id', 'id', 'bigint'],
  ['custom_id', 'customId', 'text'],
  ['created_at', 'createdAt', 'timestamptz'],
  ['updated_at', 'updatedAt', 'timestamptz'],
  ['summary', 'summary', 'text'],
  ['description', 'description', 'text'],
  ['status', 'status', 'text'],
  ['issue_type', 'issueType', 'text'],
  ['channel', 'channel', 'text'],
  ['domain_id', 'domainId', 'bigint'],
  ['domain_name', 'domainName', 'text'],
  ['assignee_id', 'assigneeId', 'text'],
  ['assignee_name', 'assigneeName', 'text'],
  ['assignee_email', 'assigneeEmail', 'text'],
  ['labels', 'labels', 'text', 'jsonb'],
  ['received_at', 'receivedAt', 'timestamptz'],
  ['acknowledged_at', 'acknowledgedAt', 'timestamptz'],
  ['due_at', 'dueAt', 'timestamptz'],
  ['closed_at', 'closedAt', 'timestamptz'],
  ['data', 'data', 'text', 'jsonb'],
  ['synced_at', 'syncedAt', 'timestamptz'],
];

/** Field value columns (after issue_id and position), with their row keys. */
export const FIELD_KEYS = [
  'issueId',
  'position',
  'formId',
  'formName',
  'fieldId',
  'label',
  'type',
  'valueText',
  'valueNumber',
  'valueJson',
] as const;
const FIELD_COLUMNS: [string, string, string?][] = [
  ['issue_id', 'bigint'],
  ['position', 'integer'],
  ['form_id', 'text'],
  ['form_name', 'text'],
  ['field_id', 'text'],
  ['label', 'text'],
  ['type', 'text'],
  ['value_text', 'text'],
  ['value_number', 'float8'],
  ['value_json', 'text', 'jsonb'],
];

const FTS_COLUMNS: [string, string][] = [
  ['issue_id', 'bigint'],
  ['summary', 'text'],
  ['description', 'text'],
  ['field_text', 'text'],
];
const CHANGE_COLUMNS: [string, string][] = [
  ['issue_id', 'bigint'],
  ['field', 'text'],
  ['old_value', 'text'],
  ['new_value', 'text'],
  ['observed_at', 'timestamptz'],
];
const SIGHTING_COLUMNS: [string, string][] = [
  ['issue_id', 'bigint'],
  ['last_seen_at', 'timestamptz'],
];

/** `unnest(<$3 split>, <$4 split>, …) WITH ORDINALITY AS u(c1, c2, …, ord)` and the select list with casts. */
function unnest(columns: [string, string, string?][], firstParam = 3): { from: string; select: string } {
  const args = columns.map(([, type], i) => splitParam(firstParam + i, type)).join(', ');
  const names = columns.map(([name]) => name).join(', ');
  const select = columns.map(([name, , cast]) => (cast ? `u.${name}::${cast}` : `u.${name}`)).join(', ');
  return { from: `unnest(${args}) WITH ORDINALITY AS u(${names}, ord)`, select };
}

/** `(t.a, t.b) IS DISTINCT FROM (x.a, x.b)` over `names`. */
function changed(names: string[], t: string, x: string): string {
  return `(${names.map((n) => `${t}.${n}`).join(', ')}) IS DISTINCT FROM (${names.map((n) => `${x}.${n}`).join(', ')})`;
}

/** The statements of mirror `schema`. */
export function writeStatements(schema: string) {
  const q = quoteSchema(schema);
  const issues = unnest(ISSUE_COLUMNS.map(([name, , type, cast]) => [name, type, cast] as [string, string, string?]));
  const names = ISSUE_COLUMNS.map(([n]) => n);
  const fields = unnest(FIELD_COLUMNS);
  const fieldNames = FIELD_COLUMNS.map(([n]) => n);
  const fieldValues = fieldNames.filter((n) => n !== 'issue_id' && n !== 'position');
  const fts = unnest(FTS_COLUMNS);
  const ftsText = ['summary', 'description', 'field_text'];
  const changes = unnest(CHANGE_COLUMNS);
  const sightings = unnest(SIGHTING_COLUMNS);
  const runParam = (columns: unknown[]): string => `$${columns.length + 3}::bigint`;
  const sightingRows = `SELECT u.issue_id, ${runParam(SIGHTING_COLUMNS)}, u.last_seen_at FROM ${sightings.from}`;
  return {
    // fields: how many field rows the issue has (positions count from 0), so that only issues with fewer
    // fields than before have rows deleted; fts: whether it has a full-text row to update.
    readTracked: `SELECT id, status, assignee_id, domain_id::text AS domain, due_at, labels, erased_at IS NOT NULL AS erased,
      (SELECT max(position) + 1 FROM ${q}.issue_field_values f WHERE f.issue_id = i.id) AS fields,
      EXISTS (SELECT 1 FROM ${q}.issues_fts t WHERE t.issue_id = i.id) AS fts
      FROM ${q}.issues i WHERE id = ANY($1::bigint[]) FOR UPDATE OF i`,
    // Issues the batch's read did not find: no conflict to look for (a concurrent insert of one fails the
    // batch with a unique violation, and the writer stores its issues again one by one).
    // first_seen_at is set on insert only: it keeps the first sighting.
    insertIssues: `INSERT INTO ${q}.issues (${names.join(', ')}, first_seen_at, deleted_at)
      SELECT ${issues.select}, u.synced_at, NULL FROM ${issues.from}`,
    upsertIssues: `INSERT INTO ${q}.issues (${names.join(', ')}, first_seen_at, deleted_at)
      SELECT ${issues.select}, u.synced_at, NULL FROM ${issues.from}
      ON CONFLICT (id) DO UPDATE SET ${names
        .filter((n) => n !== 'id')
        .map((n) => `${n} = excluded.${n}`)
        .join(', ')}, deleted_at = NULL,
        purged_at = CASE WHEN issues.erased_at IS NULL THEN NULL ELSE issues.purged_at END`,
    /** New issues' field values. */
    insertFields: `INSERT INTO ${q}.issue_field_values (${fieldNames.join(', ')}) SELECT ${fields.select} FROM ${fields.from}`,
    /** Stored issues' field values: a row is rewritten only when one of its values changed. */
    upsertFields: `INSERT INTO ${q}.issue_field_values AS f (${fieldNames.join(', ')}) SELECT ${fields.select} FROM ${fields.from}
      ON CONFLICT (issue_id, position) DO UPDATE SET ${fieldValues.map((n) => `${n} = excluded.${n}`).join(', ')}
      WHERE ${changed(fieldValues, 'f', 'excluded')}`,
    /** Field rows past an issue's new number of fields (`= ANY` lets the planner use the key's index). */
    trimFields: `DELETE FROM ${q}.issue_field_values f USING unnest($1::bigint[], $2::integer[]) AS u(id, n)
      WHERE f.issue_id = ANY($1::bigint[]) AND f.issue_id = u.id AND f.position >= u.n`,
    updateFts: `UPDATE ${q}.issues_fts f SET summary = u.summary, description = u.description, field_text = u.field_text
      FROM ${fts.from} WHERE f.issue_id = u.issue_id AND ${changed(ftsText, 'f', 'u')}`,
    /** Full-text rows of issues that have none (the batch's read found none, under the issue's row lock). */
    insertFts: `INSERT INTO ${q}.issues_fts (issue_id, summary, description, field_text) SELECT ${fts.select} FROM ${fts.from}`,
    // Ordered by ordinality: change ids follow the order the changes were observed in.
    insertChanges: `INSERT INTO ${q}.issue_changes (issue_id, run_id, field, old_value, new_value, observed_at)
      SELECT u.issue_id, ${runParam(CHANGE_COLUMNS)}, u.field, u.old_value, u.new_value, u.observed_at
      FROM ${changes.from} ORDER BY u.ord`,
    /** New issues' sightings. */
    insertSightings: `INSERT INTO ${q}.issue_sightings (issue_id, last_listed_run, last_seen_at) ${sightingRows}`,
    sight: `INSERT INTO ${q}.issue_sightings (issue_id, last_listed_run, last_seen_at) ${sightingRows}
      ON CONFLICT (issue_id) DO UPDATE SET last_listed_run = GREATEST(issue_sightings.last_listed_run, excluded.last_listed_run), last_seen_at = excluded.last_seen_at`,
  };
}
