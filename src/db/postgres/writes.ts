/**
 * The write path of the PostgreSQL mirror: one batch of mapped issues with their field values, full-text
 * rows, tracked-field changes and sightings, in one transaction and a fixed number of statements per
 * batch. Rows travel as one array parameter per column, expanded by `unnest`: a multi-row
 * INSERT … ON CONFLICT whose text does not grow with the batch (and stays clear of the parameter limit).
 */
import type pg from 'pg';
import { withoutContent } from '../../privacy/content.js';
import type { MappedIssue, MappedIssueRow } from '../../sync/ports.js';
import { diffTracked, type TrackedValues } from '../history.js';
import { inTransaction } from './connect.js';
import { quoteSchema } from './names.js';

type IssueKey = keyof MappedIssueRow;

/** Mapped issue columns: SQL name, row key, element type of the array parameter, cast after unnest. */
const ISSUE_COLUMNS: [string, IssueKey, string, string?][] = [
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

/** `unnest($1::t1[], $2::t2[], …) AS u(c1, c2, …)` and the select list with casts. */
function unnest(columns: [string, string, string?][], firstParam = 1): { from: string; select: string } {
  const args = columns.map(([, type], i) => `$${firstParam + i}::${type}[]`).join(', ');
  const names = columns.map(([name]) => name).join(', ');
  const select = columns.map(([name, , cast]) => (cast ? `u.${name}::${cast}` : `u.${name}`)).join(', ');
  return { from: `unnest(${args}) AS u(${names})`, select };
}

/** The statements of one mirror schema, built once. */
function statements(schema: string) {
  const q = quoteSchema(schema);
  const issueCols = ISSUE_COLUMNS.map(([name, , type, cast]) => [name, type, cast] as [string, string, string?]);
  const issues = unnest(issueCols);
  const names = ISSUE_COLUMNS.map(([n]) => n);
  const fields = unnest([
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
  ]);
  const fts = unnest([
    ['issue_id', 'bigint'],
    ['summary', 'text'],
    ['description', 'text'],
    ['field_text', 'text'],
  ]);
  return {
    readTracked: `SELECT id, status, assignee_id, domain_id::text AS domain, due_at, labels, erased_at IS NOT NULL AS erased FROM ${q}.issues WHERE id = ANY($1::bigint[]) FOR UPDATE`,
    // first_seen_at is set on insert only: it keeps the first sighting.
    upsertIssues: `INSERT INTO ${q}.issues (${names.join(', ')}, first_seen_at, deleted_at)
      SELECT ${issues.select}, u.synced_at, NULL FROM ${issues.from}
      ON CONFLICT (id) DO UPDATE SET ${names
        .filter((n) => n !== 'id')
        .map((n) => `${n} = excluded.${n}`)
        .join(', ')}, deleted_at = NULL,
        purged_at = CASE WHEN issues.erased_at IS NULL THEN NULL ELSE issues.purged_at END`,
    deleteFields: `DELETE FROM ${q}.issue_field_values WHERE issue_id = ANY($1::bigint[])`,
    insertFields: `INSERT INTO ${q}.issue_field_values (issue_id, position, form_id, form_name, field_id, label, type, value_text, value_number, value_json)
      SELECT ${fields.select} FROM ${fields.from}`,
    upsertFts: `INSERT INTO ${q}.issues_fts (issue_id, summary, description, field_text) SELECT ${fts.select} FROM ${fts.from}
      ON CONFLICT (issue_id) DO UPDATE SET summary = excluded.summary, description = excluded.description, field_text = excluded.field_text`,
    // WITH ORDINALITY: change ids follow the order the changes were observed in.
    insertChanges: `INSERT INTO ${q}.issue_changes (issue_id, run_id, field, old_value, new_value, observed_at)
      SELECT u.issue_id, $1, u.field, u.old_value, u.new_value, u.observed_at
      FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS u(issue_id, field, old_value, new_value, observed_at, ord)
      ORDER BY u.ord`,
    sight: `INSERT INTO ${q}.issue_sightings (issue_id, last_listed_run, last_seen_at)
      SELECT u.id, $2, u.at FROM unnest($1::bigint[], $3::timestamptz[]) AS u(id, at)
      ON CONFLICT (issue_id) DO UPDATE SET last_listed_run = GREATEST(issue_sightings.last_listed_run, excluded.last_listed_run), last_seen_at = excluded.last_seen_at`,
  };
}

/** JSON text in one spelling (jsonb does not keep the original), so history compares values, not spacing. */
function canonicalJson(text: string | null): string | null {
  return text === null ? null : JSON.stringify(JSON.parse(text));
}

function tracked(issue: MappedIssueRow): TrackedValues {
  return {
    status: issue.status,
    assignee: issue.assigneeId,
    domain: issue.domainId === null ? null : String(issue.domainId),
    due_at: issue.dueAt,
    labels: canonicalJson(issue.labels),
  };
}

interface TrackedRow {
  id: number;
  status: string | null;
  assignee_id: string | null;
  domain: string | null;
  due_at: string | null;
  labels: unknown;
  erased: boolean;
}

/** Saves one batch of mapped issues in one transaction. */
export type PgSaveIssues = (records: readonly MappedIssue[], runId: number) => Promise<void>;

/** The batch writer of mirror `schema`. */
export function createPgIssueWriter(pool: pg.Pool, schema: string): PgSaveIssues {
  const st = statements(schema);
  return async (records, runId) => {
    if (records.length === 0) return;
    // A duplicate id in one batch: its history sees every version, its rows keep the last one.
    const latest = new Map<number, MappedIssue>();
    for (const r of records) latest.set(r.issue.id, r);
    const ids = [...latest.keys()];
    await inTransaction(pool, async (client) => {
      const { rows } = await client.query<TrackedRow>(st.readTracked, [ids]);
      // Issues marked erased (`speakup-sync erase`) are stored without content, whatever the source sends.
      const erased = new Set(rows.filter((r) => r.erased).map((r) => Number(r.id)));
      if (erased.size > 0) {
        for (const [id, r] of latest) if (erased.has(id)) latest.set(id, withoutContent(r));
      }
      const before = new Map<number, TrackedValues>(
        rows.map((r) => [
          r.id,
          {
            status: r.status,
            assignee: r.assignee_id,
            domain: r.domain,
            due_at: r.due_at,
            labels: r.labels === null ? null : JSON.stringify(r.labels),
          },
        ]),
      );
      const changes: unknown[][] = [[], [], [], [], []];
      for (const { issue } of records) {
        const now = tracked(issue);
        for (const c of diffTracked(before.get(issue.id), now)) {
          [issue.id, c.field, c.oldValue, c.newValue, issue.syncedAt].forEach((v, i) => changes[i]!.push(v));
        }
        before.set(issue.id, now);
      }
      const finals = [...latest.values()];
      await client.query(
        st.upsertIssues,
        ISSUE_COLUMNS.map(([, key]) => finals.map((r) => r.issue[key])),
      );
      if (rows.length > 0) await client.query(st.deleteFields, [rows.map((r) => r.id)]);
      const fields = finals.flatMap((r) => r.fields);
      if (fields.length > 0) {
        const keys = [
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
        await client.query(
          st.insertFields,
          keys.map((k) => fields.map((f) => f[k])),
        );
      }
      const indexed = finals.filter((r) => !erased.has(r.issue.id));
      await client.query(st.upsertFts, [
        indexed.map((r) => r.issue.id),
        indexed.map((r) => r.fts.summary),
        indexed.map((r) => r.fts.description),
        indexed.map((r) => r.fts.fieldText),
      ]);
      if (changes[0]!.length > 0) await client.query(st.insertChanges, [runId, ...changes]);
      await client.query(st.sight, [ids, runId, finals.map((r) => r.issue.syncedAt)]);
    });
  };
}

/**
 * Errors one record can cause (a value PostgreSQL cannot take, a constraint), as opposed to a broken
 * connection or a full disk: SQLSTATE classes 22 (data exception) and 23 (integrity constraint).
 */
export function isPgRecordError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
