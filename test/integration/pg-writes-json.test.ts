/**
 * The PostgreSQL batch writer sends a batch's detail JSON as one text (JSON documents joined by control
 * characters JSON never holds unescaped): each issue must get its own document back, including one whose
 * strings hold that character escaped, quotes and backslashes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

const T0 = '2025-06-01T10:00:00.000Z';

describe('PostgreSQL batch writer, detail JSON', () => {
  let s: TestSchema;
  let mirror: PgMirror;
  beforeEach(async () => {
    s = testSchema('wjson');
    mirror = await openPgMirror({ connectionString: s.url, schema: s.schema });
  });
  afterEach(async () => {
    await mirror.close();
    await s.drop();
  });

  it('stores each issue with its own detail, whatever its strings hold', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const notes = [
      'plain',
      'control \u0001, \u001e and \u001f',
      'quote " backslash \\ brace } comma ,',
      '{"not":"json"}',
      '',
    ];
    const details = notes.map((note, i) => ({ id: i + 1, updatedAt: T0, status: 'NEW', note }));
    // As the API sends it: JSON text, here with the control characters escaped and some spacing.
    const records = details.map((d) => toIssueRecord(d, T0, d.id, JSON.stringify(d, null, 1)));
    await mirror.saveIssues(records, runId);
    const { rows } = await s.query<{ id: number; data: unknown }>(
      `SELECT id, data FROM "${s.schema}".issues ORDER BY id`,
    );
    expect(rows).toEqual(details.map((d) => ({ id: d.id, data: d })));
  });

  it('fails a batch holding a detail text that is not JSON and holds the separator, storing nothing', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const good = toIssueRecord({ id: 1, updatedAt: T0 }, T0, 1, '{"id":1}');
    const bad = toIssueRecord({ id: 2, updatedAt: T0 }, T0, 2, '{"id":2}');
    const err = await mirror
      .saveIssues([good, { ...bad, issue: { ...bad.issue, data: '2\u001e3' } }, good], runId)
      .catch((e: unknown) => e);
    expect(mirror.isRecordError(err)).toBe(true);
    const { rows } = await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s.schema}".issues`);
    expect(rows[0]).toEqual({ n: 0 });
  });
});
