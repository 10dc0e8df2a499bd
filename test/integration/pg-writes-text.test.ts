/**
 * The PostgreSQL batch writer sends each column of a batch as one text, its values joined by a control
 * character (joined-text.ts): values holding that character, or equal to the null mark, must come back as
 * they were sent, as must one empty value alone; a batch whose texts hold every usable character fails as
 * one record's error, so that only the issue holding them fails. New and stored issues take different statements: a stored issue without a full-text
 * row gets one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgDetailWriter } from '../../src/db/postgres/detail-writer.js';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T10:00:00.000Z';

function record(id: number, summary: string | null, note: string, at = T0) {
  const detail = {
    id,
    updatedAt: at,
    status: 'NEW',
    summary,
    description: `about ${note}`,
    forms: [{ id: 1, name: 'Intake', fields: [{ id: 11, label: 'Note', type: 'text', value: note }] }],
  };
  return toIssueRecord(detail, at, id, JSON.stringify(detail));
}

describe('PostgreSQL batch writer, columns as joined text', () => {
  let s: TestSchema;
  let mirror: PgMirror;
  beforeEach(async () => {
    s = testSchema('wtext');
    mirror = await openPgMirror({ connectionString: s.url, schema: s.schema });
  });
  afterEach(async () => {
    await mirror.close();
    await s.drop();
  });

  const stored = async () =>
    (
      await s.query<{ id: number; summary: string | null; value_text: string | null; fts: string | null }>(
        `SELECT i.id, i.summary, f.value_text, t.description AS fts FROM "${s.schema}".issues i
         JOIN "${s.schema}".issue_field_values f ON f.issue_id = i.id
         LEFT JOIN "${s.schema}".issues_fts t ON t.issue_id = i.id ORDER BY i.id`,
      )
    ).rows;

  it('stores values holding the separator or equal to the null mark as they are, and NULL as NULL', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const notes = ['a\u001eb', '\u001f', '\u001e', 'x\u001f\u001ey', 'plain'];
    const summaries = ['s\u001e1', '\u001f', null, '', 'plain'];
    await mirror.saveIssues(
      notes.map((note, i) => record(i + 1, summaries[i]!, note)),
      runId,
    );
    expect(await stored()).toEqual(
      notes.map((note, i) => ({ id: i + 1, summary: summaries[i], value_text: note, fts: `about ${note}` })),
    );
  });

  it('stores one issue whose text is empty as empty, not NULL', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    await mirror.saveIssues([record(1, '', '')], runId);
    expect(await stored()).toEqual([{ id: 1, summary: '', value_text: '', fts: 'about ' }]);
  });

  it('refuses, as one record error, a batch whose texts hold every control character it could split at', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const every = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
    const err = await mirror.saveIssues([record(1, 'fine', 'ok'), record(2, every, 'ok')], runId).catch((e) => e);
    expect(mirror.isRecordError(err)).toBe(true);
    expect(await stored()).toEqual([]);
    // The detail writer then stores the batch's issues one by one: only that issue fails.
    const writer = createPgDetailWriter(mirror, (d) => record(d.id, d.id === 2 ? every : 'fine', 'ok'));
    const detail = (id: number) => ({ id, raw: '{}', path: `/v1/issues/${id}`, syncedAt: T0 });
    const out = await writer.write([detail(1), detail(2)], runId);
    expect(out.stored).toBe(1);
    expect(out.failures.map((f) => [f.issueId, f.code, f.message.includes('control character')])).toEqual([
      [2, 'DB_ERROR', true],
    ]);
    expect((await stored()).map((r) => r.id)).toEqual([1]);
  });

  it('gives a stored issue without a full-text row one when it is written again', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    await mirror.saveIssues([record(1, 'one', 'first'), record(2, 'two', 'first')], runId);
    await s.query(`DELETE FROM "${s.schema}".issues_fts WHERE issue_id = 1`);
    await mirror.saveIssues(
      [record(1, 'one', 'second', T1), record(2, 'two', 'second', T1), record(3, 'three', 'new', T1)],
      runId,
    );
    expect((await stored()).map((r) => r.fts)).toEqual(['about second', 'about second', 'about new']);
  });
});
