/**
 * The write path of the PostgreSQL mirror: one batch of mapped issues with their field values, full-text
 * rows, tracked-field changes and sightings, in one transaction of a fixed number of statements
 * (write-statements.ts) sent in two round trips (pipeline.ts): the read of the tracked fields with BEGIN,
 * then every write with COMMIT. New issues' rows are inserted; stored issues' rows are rewritten only
 * where something changed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { withoutContent } from '../../privacy/content.js';
import type { MappedIssue, MappedIssueRow } from '../../sync/ports.js';
import { diffTracked, type TrackedValues } from '../history.js';
import { inPipelinedTransaction } from './pipeline.js';
import { joinColumns, UnjoinableValuesError, type JoinColumn } from './joined-text.js';
import { FIELD_KEYS, ISSUE_COLUMNS, writeStatements } from './write-statements.js';

/** JSON text in one spelling (jsonb does not keep the original), so history compares values, not spacing. */
export function canonicalJson(text: string | null): string | null {
  return text === null ? null : JSON.stringify(JSON.parse(text));
}

/** The values whose changes the history records, as the writer and the remap compare them. */
export function tracked(issue: MappedIssueRow): TrackedValues {
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
  fields: number | null;
  fts: boolean;
}

/** Saves one batch of mapped issues in one transaction. */
export type PgSaveIssues = (records: readonly MappedIssue[], runId: number) => Promise<void>;

/** The batch writer of mirror `schema`. */
export function createPgIssueWriter(pool: pg.Pool, schema: string): PgSaveIssues {
  const st = named(writeStatements(schema));
  return async (records, runId) => {
    if (records.length === 0) return;
    // A duplicate id in one batch: its history sees every version, its rows keep the last one.
    const latest = new Map<number, MappedIssue>();
    for (const r of records) latest.set(r.issue.id, r);
    const ids = [...latest.keys()];
    await inPipelinedTransaction(pool, async (client) => {
      const { rows } = await client.query<TrackedRow>({ ...st.readTracked, values: [ids] });
      // Issues marked erased (`speakup-sync erase`) are stored without content, whatever the source sends.
      const erased = new Set(rows.filter((r) => r.erased).map((r) => Number(r.id)));
      if (erased.size > 0) {
        for (const [id, r] of latest) if (erased.has(id)) latest.set(id, withoutContent(r));
      }
      const before = new Map<number, TrackedValues>(rows.map((r) => [Number(r.id), storedTracked(r)]));
      const changes = changesOf(records, before);
      const finals = [...latest.values()];
      const stored = new Set(rows.map((r) => Number(r.id)));
      const withFts = new Set(rows.filter((r) => r.fts).map((r) => Number(r.id)));
      const old = finals.filter((r) => stored.has(r.issue.id));
      const fresh = finals.filter((r) => !stored.has(r.issue.id));
      const indexed = finals.filter((r) => !erased.has(r.issue.id));
      const ftsOld = indexed.filter((r) => withFts.has(r.issue.id));
      const ftsNew = indexed.filter((r) => !withFts.has(r.issue.id));
      const storedFields = new Map(rows.map((r) => [Number(r.id), r.fields ?? 0]));
      const shrunk = old.filter((r) => r.fields.length < storedFields.get(r.issue.id)!);
      // Each statement's failure is also seen by the caller's Promise.all; the catch keeps one that fails
      // while a later statement is still being built from turning into an unhandled rejection.
      const q = (statement: Named, values: unknown[]): Promise<unknown> => {
        const sent = client.query({ ...statement, values });
        sent.catch(() => undefined);
        return sent;
      };
      const when = (rowsOf: readonly unknown[], statement: Named, values: () => unknown[]): Promise<unknown>[] =>
        rowsOf.length > 0 ? [q(statement, values())] : [];
      return [
        ...when(fresh, st.insertIssues, () => joinColumns(issueColumns(fresh))),
        ...when(old, st.upsertIssues, () => joinColumns(issueColumns(old))),
        ...when(fresh, st.insertFields, () => joinColumns(fieldColumns(fresh))),
        ...when(old, st.upsertFields, () => joinColumns(fieldColumns(old))),
        ...when(ftsOld, st.updateFts, () => joinColumns(ftsColumns(ftsOld))),
        ...when(ftsNew, st.insertFts, () => joinColumns(ftsColumns(ftsNew))),
        ...when(shrunk, st.trimFields, () => [shrunk.map((r) => r.issue.id), shrunk.map((r) => r.fields.length)]),
        ...when(changes[0]!.values, st.insertChanges, () => [...joinColumns(changes), runId]),
        ...when(fresh, st.insertSightings, () => [...joinColumns(sightingColumns(fresh)), runId]),
        ...when(old, st.sight, () => [...joinColumns(sightingColumns(old)), runId]),
      ];
    });
  };
}

interface Named {
  name: string;
  text: string;
}

/**
 * The statements as named (prepared) ones: each connection parses and analyses a statement once, then
 * only binds and runs it. The name carries a hash of the text, so two mirror schemas never share one.
 */
function named<K extends string>(statements: Record<K, string>): Record<K, Named> {
  const out = {} as Record<K, Named>;
  for (const [key, text] of Object.entries(statements) as [K, string][]) {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    out[key] = { name: `speakup_${key}_${hash}`, text };
  }
  return out;
}

function storedTracked(r: TrackedRow): TrackedValues {
  return {
    status: r.status,
    assignee: r.assignee_id,
    domain: r.domain,
    due_at: r.due_at,
    labels: r.labels === null ? null : JSON.stringify(r.labels),
  };
}

/** The tracked-field changes of `records` in order, one column per column of issue_changes. */
function changesOf(records: readonly MappedIssue[], before: Map<number, TrackedValues>): JoinColumn[] {
  const changes: JoinColumn[] = [[], [], [], [], []].map((values) => ({ values }));
  for (const { issue } of records) {
    const now = tracked(issue);
    for (const c of diffTracked(before.get(issue.id), now)) {
      [issue.id, c.field, c.oldValue, c.newValue, issue.syncedAt].forEach((v, i) =>
        (changes[i]!.values as unknown[]).push(v),
      );
    }
    before.set(issue.id, now);
  }
  return changes;
}

/** The issue rows, one column per column of issues; JSON columns are not searched for the marks. */
function issueColumns(records: readonly MappedIssue[]): JoinColumn[] {
  return ISSUE_COLUMNS.map(([, key, , cast]) => ({
    values: records.map((r) => r.issue[key]),
    json: cast === 'jsonb',
  }));
}

function fieldColumns(records: readonly MappedIssue[]): JoinColumn[] {
  const fields = records.flatMap((r) => r.fields);
  return FIELD_KEYS.map((k) => ({ values: fields.map((f) => f[k]), json: k === 'valueJson' }));
}

function ftsColumns(records: readonly MappedIssue[]): JoinColumn[] {
  return [
    { values: records.map((r) => r.issue.id) },
    { values: records.map((r) => r.fts.summary) },
    { values: records.map((r) => r.fts.description) },
    { values: records.map((r) => r.fts.fieldText) },
  ];
}

function sightingColumns(records: readonly MappedIssue[]): JoinColumn[] {
  return [{ values: records.map((r) => r.issue.id) }, { values: records.map((r) => r.issue.syncedAt) }];
}

/**
 * Errors one record can cause (a value PostgreSQL cannot take, a constraint), as opposed to a broken
 * connection or a full disk: SQLSTATE classes 22 (data exception) and 23 (integrity constraint), and
 * texts that cannot be joined into one parameter (joined-text.ts).
 */
export function isPgRecordError(err: unknown): boolean {
  if (err instanceof UnjoinableValuesError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
