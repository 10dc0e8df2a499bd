/**
 * The PostgreSQL store against the SQLite one: the same runs (listings, batches with new, changed and
 * duplicate issues, deletions and returns) through the core's ports on both, then every table compared
 * row by row. Plus what only PostgreSQL does: full-text search on the tsvector, record errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssueStore, sqlitePorts } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import { createPgDetailWriter } from '../../src/db/postgres/detail-writer.js';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { toIssueRecord, type MappedIssue } from '../../src/sync/map-issue.js';
import type { SyncStore } from '../../src/sync/ports.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T10:00:00.000Z';
const T2 = '2025-06-03T10:00:00.000Z';

function detail(id: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    customId: `SUP-${id}`,
    createdAt: T0,
    updatedAt: T0,
    summary: `Issue ${id}`,
    description: 'plain words',
    status: 'NEW',
    domain: { id: 1, name: 'Finance' },
    assignee: { id: 5, name: 'Ann' },
    labels: ['a', 'b'],
    dueAt: T2,
    forms: [
      {
        id: 1,
        name: 'Intake',
        fields: [
          { id: 11, label: 'Where', type: 'text', value: `place ${id}` },
          { id: 12, label: 'Count', type: 'number', value: id },
          { id: 13, label: 'Tags', type: 'multiselect', value: ['x', 'y'] },
        ],
      },
    ],
    ...over,
  };
}
const rec = (d: Record<string, unknown>, at: string): MappedIssue => toIssueRecord(d, at);

/** One mirror as the scenario drives it, whatever the database. */
interface Side {
  store: SyncStore;
  save(records: MappedIssue[], runId: number): Promise<void>;
}

/** Listings, saves and deletions over three runs; returns what the ports answered, to compare too. */
async function scenario(side: Side): Promise<unknown[]> {
  const answers: unknown[] = [];
  // Map order is not part of the port's contract.
  const sorted = (m: ReadonlyMap<number, string | null>) => [...m].sort((a, b) => a[0] - b[0]);
  const run = async (at: string, body: (runId: number) => Promise<void>): Promise<void> => {
    answers.push(await side.store.interruptStaleRuns(at));
    const runId = await side.store.startRun({ trigger: 'manual', full: true, startedAt: at });
    await body(runId);
    await side.store.finishRun(runId, {
      status: 'succeeded',
      finishedAt: at,
      counts: { listed: 3, fetched: 2 },
      error: null,
    });
  };
  await run(T0, async (r) => {
    answers.push(sorted(await side.store.recordListing([1, 2, 3], r, T0)));
    await side.save([rec(detail(1), T0), rec(detail(2), T0), rec(detail(3, { labels: [], assignee: null }), T0)], r);
    await side.store.updateRunProgress(r, { listed: 3, requests: 4 }, T0);
  });
  await run(T1, async (r) => {
    answers.push(sorted(await side.store.recordListing([1, 2, 4], r, T1)));
    // Issue 1 changes twice in one batch; issue 4 is new and seen twice; issue 2 loses a field.
    await side.save(
      [
        rec(detail(1, { updatedAt: T1, status: 'OPEN' }), T1),
        rec(detail(4), T1),
        rec(detail(1, { updatedAt: T1, status: 'CLOSED', labels: ['b'], dueAt: null }), T1),
        rec(detail(4, { status: 'OPEN' }), T1),
        rec(detail(2, { updatedAt: T1, forms: [] }), T1),
      ],
      r,
    );
    answers.push(await side.store.deletionCandidates(r), await side.store.softDeleteMissing(r, T1));
  });
  await run(T2, async (r) => {
    answers.push(sorted(await side.store.recordListing([1, 2, 3, 4], r, T2)));
    answers.push(await side.store.deletionCandidates(r), await side.store.softDeleteMissing(r, T2));
  });
  // A run left running by a process that died.
  await side.store.startRun({ trigger: 'scheduled', full: false, startedAt: T2 });
  answers.push(await side.store.interruptStaleRuns(T2));
  return answers;
}

const TABLES: Record<string, string> = {
  issues: 'id',
  issue_sightings: 'issue_id',
  issue_field_values: 'issue_id, position',
  // Per issue in the order observed; how a batch interleaves different issues' rows is the writer's business.
  issue_changes: 'issue_id, id',
  sync_runs: 'id',
  latest_runs: 'id',
  current_issues: 'id',
  issue_fields: 'issue_id, position',
};
const JSON_COLUMNS = new Set(['data', 'labels', 'value_json']);

/** Change ids (see above) and run errors (each store words its own) are left out of the comparison. */
function withoutVolatile(table: string, row: Record<string, unknown>): Record<string, unknown> {
  const { id, error: _error, ...rest } = row;
  if (table === 'issue_changes') return rest;
  return table.endsWith('runs') ? { id, ...rest } : row;
}

/** SQLite's spelling of a value made comparable with PostgreSQL's (JSON parsed, 0/1 as boolean). */
function fromSqlite(table: string, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = JSON_COLUMNS.has(k) && typeof v === 'string' ? JSON.parse(v) : k === 'full' ? v === 1 : v;
  }
  return withoutVolatile(table, out);
}

describe('the PostgreSQL store', () => {
  let dir: string;
  let h: DatabaseHandle;
  let s: TestSchema;
  let mirror: PgMirror;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'speakup-pg-store-'));
    h = openDatabase(join(dir, 'mirror.db'));
    s = testSchema('store');
    mirror = await openPgMirror({
      connectionString: s.url,
      schema: s.schema,
      identity: { pid: 4242, host: 'test-host' },
    });
  });
  afterEach(async () => {
    await mirror.close();
    h.close();
    rmSync(dir, { recursive: true, force: true });
    await s.drop();
  });

  it('writes what the SQLite store writes for the same runs, table by table', async () => {
    const sqliteStore = createIssueStore(h, { pid: 4242, host: 'test-host' });
    const sqliteSide: Side = {
      store: sqlitePorts(sqliteStore).store,
      save: async (r, id) => sqliteStore.saveIssues(r, id),
    };
    const pgSide: Side = { store: mirror.store, save: (r, id) => mirror.saveIssues(r, id) };
    expect(await scenario(pgSide)).toEqual(await scenario(sqliteSide));
    for (const [table, order] of Object.entries(TABLES)) {
      const lite = (
        h.sqlite.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all() as Record<string, unknown>[]
      ).map((r) => fromSqlite(table, r));
      const { rows } = await mirror.pool.query(`SELECT * FROM "${s.schema}".${table} ORDER BY ${order}`);
      expect({ table, rows: rows.map((r) => withoutVolatile(table, r)) }).toEqual({ table, rows: lite });
      expect(rows.length).toBeGreaterThan(0);
    }
    const fts = await mirror.pool.query(
      `SELECT issue_id AS rowid, summary, description, field_text FROM "${s.schema}".issues_fts ORDER BY issue_id`,
    );
    expect(fts.rows).toEqual(
      h.sqlite.prepare('SELECT rowid, summary, description, field_text FROM issues_fts ORDER BY rowid').all(),
    );
  });

  it('rewrites only the rows of a stored issue that changed, and searches its new text', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    // xmin: the transaction that wrote a row's current version.
    const versions = async (): Promise<{ fields: string[]; fts: string }> => {
      const f = await mirror.pool.query<{ x: string }>(
        `SELECT xmin::text AS x FROM "${s.schema}".issue_field_values WHERE issue_id = 1 ORDER BY position`,
      );
      const t = await mirror.pool.query<{ x: string }>(
        `SELECT xmin::text AS x FROM "${s.schema}".issues_fts WHERE issue_id = 1`,
      );
      return { fields: f.rows.map((r) => r.x), fts: t.rows[0]!.x };
    };
    const search = async (word: string): Promise<number[]> =>
      (
        await mirror.pool.query<{ issue_id: number }>(
          `SELECT issue_id FROM "${s.schema}".issues_fts WHERE document @@ plainto_tsquery('simple', $1) ORDER BY issue_id`,
          [word],
        )
      ).rows.map((r) => r.issue_id);
    await mirror.saveIssues([rec(detail(1, { summary: 'Canteen prices' }), T0)], runId);
    const first = await versions();
    // The first field's value and the summary change; the other two fields do not.
    const fields = (detail(1).forms as { fields: Record<string, unknown>[] }[])[0]!.fields;
    const forms = [{ id: 1, name: 'Intake', fields: [{ ...fields[0], value: 'elsewhere' }, fields[1], fields[2]] }];
    await mirror.saveIssues([rec(detail(1, { summary: 'Parking fines', updatedAt: T1, forms }), T1)], runId);
    const second = await versions();
    expect(second.fields[0]).not.toBe(first.fields[0]);
    expect(second.fields.slice(1)).toEqual(first.fields.slice(1));
    expect(second.fts).not.toBe(first.fts);
    expect(await search('parking')).toEqual([1]);
    expect(await search('canteen')).toEqual([]);
    expect(await search('elsewhere')).toEqual([1]);
    // Fetched again with nothing changed: neither its field rows nor its full-text row are rewritten.
    await mirror.saveIssues([rec(detail(1, { summary: 'Parking fines', updatedAt: T1, forms }), T2)], runId);
    expect(await versions()).toEqual(second);
  });

  it('finds issues by full text on the tsvector', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    await mirror.saveIssues(
      [
        rec(detail(1, { summary: 'Invoices changed before the audit' }), T0),
        rec(
          detail(2, {
            summary: 'Parking',
            forms: [{ id: 1, fields: [{ id: 1, type: 'text', value: 'audit trail missing' }] }],
          }),
          T0,
        ),
        rec(detail(3, { summary: 'Canteen' }), T0),
      ],
      runId,
    );
    const { rows } = await mirror.pool.query<{ issue_id: number }>(
      `SELECT issue_id FROM "${s.schema}".issues_fts WHERE document @@ plainto_tsquery('simple', $1)
        ORDER BY ts_rank(document, plainto_tsquery('simple', $1)) DESC, issue_id`,
      ['audit'],
    );
    expect(rows.map((r) => r.issue_id)).toEqual([1, 2]);
  });

  it('rolls a failing batch back whole and calls a value PostgreSQL cannot take a record error', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    const bad = rec(detail(2, { summary: 'nul \u0000 byte' }), T0);
    const err = await mirror.saveIssues([rec(detail(1), T0), bad], runId).catch((e: unknown) => e);
    expect(mirror.isRecordError(err)).toBe(true);
    const { rows } = await mirror.pool.query(`SELECT count(*)::int AS n FROM "${s.schema}".issues`);
    expect(rows[0]).toEqual({ n: 0 });
    expect(mirror.isRecordError(new Error('connection terminated'))).toBe(false);
  });

  it('writes the good details of a batch with one bad record, and reports that one alone', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    const writer = createPgDetailWriter(mirror, (d) => toIssueRecord(JSON.parse(d.raw), d.syncedAt, d.id, d.raw));
    const fetched = (d: Record<string, unknown>) => ({
      id: d.id as number,
      raw: JSON.stringify(d),
      path: `/v1/issues/${String(d.id)}`,
      syncedAt: T0,
    });
    const outcome = await writer.write(
      [
        fetched(detail(1)),
        fetched(detail(2, { summary: 'nul \u0000 byte' })),
        fetched(detail(3)),
        { id: 4, raw: '{oops', path: '/v1/issues/4', syncedAt: T0 },
      ],
      runId,
    );
    expect(outcome.stored).toBe(2);
    expect(outcome.fatal).toBeUndefined();
    expect(outcome.failures.map((f) => [f.issueId, f.code])).toEqual([
      [4, 'INTERNAL'],
      [2, 'DB_ERROR'],
    ]);
    expect(outcome.failures[1]!.message).toMatch(/^issue 2: could not be stored: /);
    const { rows } = await mirror.pool.query(`SELECT id FROM "${s.schema}".issues ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([1, 3]);
  });
});
