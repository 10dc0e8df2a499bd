/** The detail-path collector of the write path and the pure drift comparison. */
import { describe, expect, it } from 'vitest';
import { createPathCollector } from '../../src/sync/detail-paths.js';
import { compareDrift, mappedPaths, MIN_DETAILS_FOR_LOSS } from '../../src/sync/drift.js';
import { createFieldMap, DEFAULT_FIELD_MAP } from '../../src/sync/field-map.js';
import { createSyncMetrics, evaluateHealth, renderPrometheus } from '../../src/sync/metrics.js';
import type { KnownPath } from '../../src/sync/ports.js';

const known = (path: string, seen: number, total: number, missingSinceRun: number | null = null): KnownPath => ({
  path,
  detailsSeen: seen,
  detailsTotal: total,
  missingSinceRun,
});

describe('createPathCollector', () => {
  it('names every path the way inspect does and counts each detail once per path', () => {
    const c = createPathCollector();
    c.add({
      id: 1,
      domain: { id: 2, name: 'x' },
      labels: ['a', 'b'],
      forms: [{ id: 1, fields: [{ value: 1 }, { value: 2 }] }],
    });
    c.add({ id: 2, domain: null, forms: [] });
    const { details, paths } = c.take();
    expect(details).toBe(2);
    expect(Object.fromEntries(paths)).toEqual({
      id: 2,
      domain: 2,
      'domain.id': 1,
      'domain.name': 1,
      labels: 1,
      'labels[]': 1,
      forms: 2,
      'forms[]': 1,
      'forms[].id': 1,
      'forms[].fields': 1,
      'forms[].fields[]': 1,
      'forms[].fields[].value': 1,
    });
  });

  it('writes keys that look like values (e-mails, ids) as *, so no value becomes a path', () => {
    const c = createPathCollector();
    c.add({ votes: { 'ann@example.com': 1, 'bob smith': 2, '12345': 3 } });
    const paths = c.take().paths.map(([p]) => p);
    expect(paths).toEqual(['votes', 'votes.*']);
    expect(paths.join(' ')).not.toMatch(/ann|bob|12345/);
  });

  it('starts over after take()', () => {
    const c = createPathCollector();
    c.add({ a: 1 });
    c.take();
    c.add({ b: 1 });
    expect(c.take()).toEqual({ details: 1, paths: [['b', 1]] });
  });
});

describe('mappedPaths', () => {
  it('lists the default paths, forms and fields in array notation', () => {
    const paths = mappedPaths(DEFAULT_FIELD_MAP);
    expect(paths).toContain('status');
    expect(paths).toContain('assignee.name');
    expect(paths).toContain('forms[].name');
    expect(paths).toContain('forms[].fields[].value');
  });

  it('follows a field map', () => {
    const paths = mappedPaths(
      createFieldMap({ status: 'state', forms: 'questionnaires', field_value: 'answer', labels: 'tags.0' }),
    );
    expect(paths).toContain('state');
    expect(paths).toContain('tags[]');
    expect(paths).toContain('questionnaires[].fields[].answer');
    expect(paths).not.toContain('status');
  });
});

describe('compareDrift', () => {
  const mapped = new Set(['status', 'closedAt']);

  it('records a baseline on the first run: nothing is new', () => {
    expect(compareDrift([], new Map([['status', 5]]), 5, mapped)).toEqual({ added: [], lost: [], back: [] });
  });

  it('reports a path never seen before as new', () => {
    const d = compareDrift(
      [known('status', 10, 10)],
      new Map([
        ['status', 3],
        ['extra', 1],
      ]),
      3,
      mapped,
    );
    expect(d.added).toEqual(['extra']);
  });

  it('reports a mapped path that was always present and is absent from enough details as lost', () => {
    const d = compareDrift([known('status', 50, 50), known('other', 50, 50)], new Map(), MIN_DETAILS_FOR_LOSS, mapped);
    expect(d.lost).toEqual(['status']);
  });

  it('does not call a path lost from too few details, or a rare path from a few more', () => {
    expect(compareDrift([known('status', 50, 50)], new Map(), MIN_DETAILS_FOR_LOSS - 1, mapped).lost).toEqual([]);
    // Present in a fifth of the details: missing from 20 of them is not unusual.
    expect(compareDrift([known('closedAt', 10, 50)], new Map(), 20, mapped).lost).toEqual([]);
    expect(compareDrift([known('closedAt', 10, 50)], new Map(), 40, mapped).lost).toEqual(['closedAt']);
  });

  it('reports a lost path once, and says when it is back', () => {
    expect(compareDrift([known('status', 50, 60, 3)], new Map(), 20, mapped).lost).toEqual([]);
    expect(compareDrift([known('status', 50, 60, 3)], new Map([['status', 1]]), 20, mapped).back).toEqual(['status']);
  });
});

describe('the drift counters in /metrics', () => {
  it('add up the new and lost paths of the runs the daemon finished', () => {
    const m = createSyncMetrics({ now: new Date('2025-06-01T00:00:00.000Z') });
    const counts = {
      listed: 1,
      fetched: 1,
      unchanged: 0,
      deleted: 0,
      failed: 0,
      requests: 2,
      retries: 0,
      throttled: 0,
    };
    const result = {
      runId: 1,
      status: 'succeeded' as const,
      counts,
      error: undefined,
      fatal: undefined,
      failures: [],
      durationMs: 5,
    };
    m.runFinished({ ...result, counts: { ...counts, newPaths: 2, lostPaths: 1 } }, new Date(), {
      mirrored: 1,
      deleted: 0,
    });
    m.runFinished({ ...result, runId: 2, counts: { ...counts, newPaths: 1 } }, new Date(), { mirrored: 1, deleted: 0 });
    const text = renderPrometheus(m.state(), evaluateHealth(undefined, 60_000, Date.now()));
    expect(text).toMatch(/^speakup_sync_detail_paths_new_total 3$/m);
    expect(text).toMatch(/^speakup_sync_detail_paths_lost_total 1$/m);
  });
});
