/**
 * The PostgreSQL detail writer with writes asked for before the previous ones are answered, as the sync's
 * write queue asks for them: batches on two connections at once, a batch holding an issue of a batch in
 * flight written after it (its history compares with what that batch stored), answers and detail paths
 * in call order, each batch with its own paths.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgDetailWriter } from '../../src/db/postgres/detail-writer.js';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { createPathCollector } from '../../src/sync/detail-paths.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import type { FetchedDetail } from '../../src/sync/ports.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T10:00:00.000Z';

function fetched(id: number, status: string, at: string, extra: Record<string, unknown> = {}): FetchedDetail {
  const detail = {
    id,
    customId: `SUP-${id}`,
    createdAt: T0,
    updatedAt: at,
    summary: `Issue ${id} ${status}`,
    description: 'words '.repeat(50),
    status,
    assignee: { id: 5, name: 'Ann' },
    forms: [{ id: 1, name: 'Intake', fields: [{ id: 11, label: 'Where', type: 'text', value: `place ${status}` }] }],
    ...extra,
  };
  return { id, raw: JSON.stringify(detail), path: `/v1/issues/${id}`, syncedAt: at };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('PostgreSQL detail writer, several writes at once', () => {
  let s: TestSchema;
  let mirror: PgMirror;
  beforeEach(async () => {
    s = testSchema('lanes');
    mirror = await openPgMirror({ connectionString: s.url, schema: s.schema });
  });
  afterEach(async () => {
    await mirror.close();
    await s.drop();
  });

  const toRecord = (d: FetchedDetail, see?: (parsed: unknown) => void) => {
    const parsed = JSON.parse(d.raw) as Record<string, unknown>;
    see?.(parsed);
    return toIssueRecord(parsed, d.syncedAt, d.id, d.raw);
  };

  it('writes a batch holding issues of the batch in flight after it: one first sighting, then the change', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const writer = createPgDetailWriter(mirror, toRecord, undefined, 2);
    const ids = range(1, 200);
    // Idle connections for both lanes, so that a second batch let through would start at once.
    await Promise.all(range(0, 3).map(() => mirror.pool.query('SELECT 1')));
    // Asked for together: the second holds every issue of the first, one version later, in the other
    // order (two transactions inserting the same new ids in opposite orders would wait on each other).
    const [first, second] = await Promise.all([
      writer.write(
        ids.map((id) => fetched(id, 'NEW', T0)),
        runId,
      ),
      writer.write(
        [...ids].reverse().map((id) => fetched(id, 'CLOSED', T1)),
        runId,
      ),
    ]);
    expect([first, second]).toEqual([
      { stored: 200, failures: [] },
      { stored: 200, failures: [] },
    ]);
    // Each batch in one transaction: none was written again record by record.
    const tx = await s.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${s.schema}".issues`);
    expect(tx.rows[0]).toEqual({ n: 1 });
    const { rows } = await s.query<{ issue_id: number; old_value: string | null; new_value: string }>(
      `SELECT issue_id, old_value, new_value FROM "${s.schema}".issue_changes WHERE field = 'status' ORDER BY issue_id, id`,
    );
    const expected = ids.flatMap((id) => [
      { issue_id: id, old_value: null, new_value: 'NEW' },
      { issue_id: id, old_value: 'NEW', new_value: 'CLOSED' },
    ]);
    expect(rows).toEqual(expected);
    const issues = await s.query<{ n: number; closed: number; first: string }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'CLOSED')::int AS closed, min(first_seen_at) AS first
       FROM "${s.schema}".issues`,
    );
    expect(issues.rows[0]).toEqual({ n: 200, closed: 200, first: T0 });
  });

  it('answers in call order, each write with the paths of its own details, all batches stored', async () => {
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: T0 });
    const writer = createPgDetailWriter(mirror, toRecord, createPathCollector(), 2);
    const order: number[] = [];
    const writes = range(0, 6).map((k) =>
      writer
        .write(
          range(1 + k * 40, 40).map((id) => fetched(id, 'NEW', T0, { [`only${k}`]: true })),
          runId,
        )
        .then((out) => {
          order.push(k);
          return out;
        }),
    );
    const outcomes = await Promise.all(writes);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    outcomes.forEach((out, k) => {
      const own = (out.paths?.paths ?? []).map(([p]) => p).filter((p) => p.startsWith('only'));
      expect([out.stored, out.paths?.details, own]).toEqual([40, 40, [`only${k}`]]);
    });
    const { rows } = await s.query<{ n: number; fts: number; sightings: number }>(
      `SELECT (SELECT count(*) FROM "${s.schema}".issues)::int AS n, (SELECT count(*) FROM "${s.schema}".issues_fts)::int AS fts,
         (SELECT count(*) FROM "${s.schema}".issue_sightings)::int AS sightings`,
    );
    expect(rows[0]).toEqual({ n: 240, fts: 240, sightings: 240 });
  });
});
