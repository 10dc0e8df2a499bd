import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssueStore, type IssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import { diffTracked, trackedValues } from '../../src/db/history.js';
import { toIssueRecord, type MappedIssue } from '../../src/sync/map-issue.js';

let dir: string;
let h: DatabaseHandle;
let store: IssueStore;

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T10:00:00.000Z';
const T2 = '2025-06-03T10:00:00.000Z';
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** A detail like the emulator's; `over` replaces top-level fields. */
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
    labels: ['a'],
    dueAt: T2,
    forms: [
      {
        id: 1,
        name: 'Intake',
        fields: [
          { id: 11, label: 'Where', type: 'text', value: `place ${id}` },
          { id: 12, label: 'Count', type: 'number', value: id },
        ],
      },
    ],
    ...over,
  };
}
const rec = (d: Record<string, unknown>, at = T0): MappedIssue => toIssueRecord(d, at);
const all = <T>(q: string, ...p: unknown[]): T[] => h.sqlite.prepare(q).all(...p) as T[];
const one = <T>(q: string, ...p: unknown[]): T => h.sqlite.prepare(q).get(...p) as T;
const newRun = (at = T0): number => store.startRun({ trigger: 'manual', full: false, startedAt: at });
const search = (q: string): number[] =>
  all<{ rowid: number }>('SELECT rowid FROM issues_fts WHERE issues_fts MATCH ? ORDER BY rowid', q).map((r) => r.rowid);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-db-store-'));
  h = openDatabase(join(dir, 'store.db'));
  store = createIssueStore(h);
});
afterEach(() => {
  expect(h.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(h.sqlite.pragma('foreign_key_check')).toEqual([]);
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('saveIssues', () => {
  it('inserts, then updates in place keeping first_seen_at and replacing field values', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(detail(1)), rec(detail(2))], r1);
    expect(one('SELECT first_seen_at, synced_at, summary FROM issues WHERE id = 1')).toEqual({
      first_seen_at: T0,
      synced_at: T0,
      summary: 'Issue 1',
    });
    expect(one('SELECT last_listed_run, last_seen_at FROM issue_sightings WHERE issue_id = 1')).toEqual({
      last_listed_run: r1,
      last_seen_at: T0,
    });

    const r2 = newRun(T1);
    const changed = detail(1, {
      updatedAt: T1,
      summary: 'Renamed',
      forms: [{ id: 1, fields: [{ id: 13, type: 'text', value: 'only one now' }] }],
    });
    store.saveIssues([rec(changed, T1)], r2);
    expect(one('SELECT first_seen_at, synced_at, updated_at, summary FROM issues WHERE id = 1')).toEqual({
      first_seen_at: T0,
      synced_at: T1,
      updated_at: T1,
      summary: 'Renamed',
    });
    expect(one('SELECT last_listed_run, last_seen_at FROM issue_sightings WHERE issue_id = 1')).toEqual({
      last_listed_run: r2,
      last_seen_at: T1,
    });
    expect(all('SELECT field_id, value_text FROM issue_field_values WHERE issue_id = 1')).toEqual([
      { field_id: '13', value_text: 'only one now' },
    ]);
    expect(all('SELECT field_id FROM issue_field_values WHERE issue_id = 2 ORDER BY position')).toEqual([
      { field_id: '11' },
      { field_id: '12' },
    ]);
    expect(store.countActive()).toBe(2);
  });

  it('stores a full detail exactly: typed columns, JSON, values by type, timestamps as ISO text', () => {
    const r = newRun();
    store.saveIssues([rec(fixture('detail-full')), rec(fixture('detail-unicode'))], r);
    const row = one<Record<string, unknown>>('SELECT *, typeof(created_at) AS t FROM issues WHERE id = 42');
    expect(row).toMatchObject({
      custom_id: 'SUP-2025-00042',
      status: 'IN_PROGRESS',
      domain_id: 3,
      assignee_id: '17',
      labels: '["urgent","legal"]',
      created_at: '2025-05-26T07:15:48.663Z',
      t: 'text',
    });
    expect(JSON.parse(row.data as string)).toEqual(fixture('detail-full'));
    expect(
      one(
        "SELECT value_number, typeof(value_number) AS t, value_text, value_json FROM issue_field_values WHERE issue_id = 42 AND field_id = '1006'",
      ),
    ).toEqual({ value_number: 0, t: 'real', value_text: 'false', value_json: 'false' });
    expect(
      one(
        "SELECT value_text, typeof(value_text) AS t FROM issue_field_values WHERE issue_id = 42 AND field_id = '1003'",
      ),
    ).toEqual({ value_text: '2025-05-20', t: 'text' });
    expect(one('SELECT summary, assignee_name FROM issues WHERE id = 13')).toEqual({
      summary: 'Belästigung im Büro – Müller 👀',
      assignee_name: 'Zoë Ångström',
    });
  });

  it('leaves the previous state intact when a batch fails part-way (one transaction)', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(detail(1)), rec(detail(2))], r1);
    const before = snapshot();
    const good = rec(detail(1, { updatedAt: T1, summary: 'changed', status: 'CLOSED' }), T1);
    const fresh = rec(detail(3), T1);
    const broken = rec(detail(2, { updatedAt: T1 }), T1);
    // Two field values at the same position violate the (issue_id, position) primary key.
    broken.fields = [...broken.fields, { ...(broken.fields[0] as MappedIssue['fields'][number]) }];
    expect(() => store.saveIssues([good, fresh, broken], newRun(T1))).toThrow(
      /UNIQUE constraint failed: issue_field_values/,
    );
    expect(snapshot()).toEqual(before);
  });

  it('refuses a partial date in a DATETIME column at the database level too', () => {
    const r = rec(detail(1));
    r.issue.receivedAt = '2024';
    expect(() => store.saveIssues([r], newRun())).toThrow(/CHECK constraint failed: issues_received_at_iso/);
    expect(store.countActive()).toBe(0);
  });

  it('names a missing value instead of storing a wrong row', () => {
    const r = rec(detail(1));
    delete (r.fields[0] as Partial<MappedIssue['fields'][number]>).valueJson;
    expect(() => store.saveIssues([r], newRun())).toThrow('No value for placeholder "valueJson" was provided');
    expect(store.countActive()).toBe(0);
  });

  it('handles the same id twice in one batch: the later version wins, field values not doubled', () => {
    store.saveIssues([rec(detail(1)), rec(detail(1, { updatedAt: T1, status: 'CLOSED' }), T1)], newRun());
    expect(one('SELECT status, updated_at FROM issues WHERE id = 1')).toEqual({ status: 'CLOSED', updated_at: T1 });
    expect(one('SELECT count(*) AS n FROM issue_field_values WHERE issue_id = 1')).toEqual({ n: 2 });
    expect(
      all("SELECT old_value, new_value FROM issue_changes WHERE issue_id = 1 AND field = 'status' ORDER BY id"),
    ).toEqual([
      { old_value: null, new_value: 'NEW' },
      { old_value: 'NEW', new_value: 'CLOSED' },
    ]);
  });

  it('stores an enormous detail intact', () => {
    const big = detail(1, { description: 'ä'.repeat(3_000_000) });
    store.saveIssues([rec(big)], newRun());
    const row = one<{ data: string; description: string }>('SELECT data, description FROM issues WHERE id = 1');
    expect(row.description.length).toBe(3_000_000);
    expect(JSON.parse(row.data)).toEqual(big);
  });
});

describe('issue_changes', () => {
  it('records first sight with old_value NULL, then only the tracked fields that change', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(detail(1))], r1);
    expect(all('SELECT field, old_value, new_value, run_id, observed_at FROM issue_changes ORDER BY id')).toEqual([
      { field: 'status', old_value: null, new_value: 'NEW', run_id: r1, observed_at: T0 },
      { field: 'assignee', old_value: null, new_value: '5', run_id: r1, observed_at: T0 },
      { field: 'domain', old_value: null, new_value: '1', run_id: r1, observed_at: T0 },
      { field: 'due_at', old_value: null, new_value: T2, run_id: r1, observed_at: T0 },
      { field: 'labels', old_value: null, new_value: '["a"]', run_id: r1, observed_at: T0 },
    ]);
    const r2 = newRun(T1);
    // Summary and field values change too, but they are not tracked.
    store.saveIssues(
      [rec(detail(1, { updatedAt: T1, summary: 'x', status: 'IN_PROGRESS', assignee: null, labels: ['a', 'b'] }), T1)],
      r2,
    );
    expect(
      all(
        'SELECT field, old_value, new_value, run_id, observed_at FROM issue_changes WHERE run_id = ? ORDER BY id',
        r2,
      ),
    ).toEqual([
      { field: 'status', old_value: 'NEW', new_value: 'IN_PROGRESS', run_id: r2, observed_at: T1 },
      { field: 'assignee', old_value: '5', new_value: null, run_id: r2, observed_at: T1 },
      { field: 'labels', old_value: '["a"]', new_value: '["a","b"]', run_id: r2, observed_at: T1 },
    ]);
    store.saveIssues(
      [rec(detail(1, { updatedAt: T2, summary: 'y', status: 'IN_PROGRESS', assignee: null, labels: ['a', 'b'] }), T2)],
      newRun(T2),
    );
    expect(one('SELECT count(*) AS n FROM issue_changes')).toEqual({ n: 8 });
  });

  it('writes the first-sight rows diffTracked() defines, for every mix of NULL and set fields, in a mixed batch', () => {
    const variants: Record<string, unknown>[] = [
      {},
      { status: null, assignee: null, domain: null, dueAt: null, labels: null },
      { assignee: { id: 'u-7' }, domain: { id: 42 }, labels: [] },
      { status: 'CLOSED', dueAt: null, domain: { name: 'no id' } },
      { assignee: { id: 3.5 }, labels: ['x', 7, 'y'] },
    ];
    const r0 = newRun(T0);
    store.saveIssues([rec(detail(100))], r0);
    const r1 = newRun(T1);
    // New issues, an existing one, and a new issue twice (its second version is a change, not a first sight).
    const batch = [
      ...variants.map((v, i) => rec(detail(i + 1, v), T1)),
      rec(detail(100, { updatedAt: T1, status: 'OPEN' }), T1),
      rec(detail(3, { ...variants[2], updatedAt: T2, status: 'REOPENED' }), T2),
    ];
    store.saveIssues(batch, r1);
    const expected = variants.flatMap((v, i) =>
      diffTracked(undefined, trackedValues(rec(detail(i + 1, v), T1).issue)).map((c) => ({
        issue_id: i + 1,
        field: c.field,
        old_value: null,
        new_value: c.newValue,
        observed_at: T1,
      })),
    );
    const rows = all<Record<string, unknown>>(
      'SELECT issue_id, field, old_value, new_value, observed_at FROM issue_changes WHERE run_id = ? AND old_value IS NULL AND issue_id <> 100 ORDER BY id',
      r1,
    );
    expect(rows).toEqual(expected);
    expect(
      all(
        'SELECT issue_id, field, old_value, new_value FROM issue_changes WHERE run_id = ? AND old_value IS NOT NULL ORDER BY id',
        r1,
      ),
    ).toEqual([
      { issue_id: 100, field: 'status', old_value: 'NEW', new_value: 'OPEN' },
      { issue_id: 3, field: 'status', old_value: 'NEW', new_value: 'REOPENED' },
    ]);
    // Every saved issue is sighted by the run that saved it, at its own synced_at.
    expect(all('SELECT issue_id, last_listed_run, last_seen_at FROM issue_sightings ORDER BY issue_id')).toEqual([
      ...variants.map((_, i) => ({ issue_id: i + 1, last_listed_run: r1, last_seen_at: i + 1 === 3 ? T2 : T1 })),
      { issue_id: 100, last_listed_run: r1, last_seen_at: T1 },
    ]);
  });

  it('writes first-sight rows in the order of the batch, each issue in tracked-field order', () => {
    const r = newRun(T1);
    store.saveIssues([rec(detail(3), T1), rec(detail(1), T1), rec(detail(2), T1)], r);
    const expected = [3, 1, 2].flatMap((id) =>
      diffTracked(undefined, trackedValues(rec(detail(id), T1).issue)).map((c) => ({ issue_id: id, field: c.field })),
    );
    expect(expected.length).toBeGreaterThan(3);
    expect(all('SELECT issue_id, field FROM issue_changes WHERE run_id = ? ORDER BY id', r)).toEqual(expected);
  });

  it('supports time in status with a window query', () => {
    store.saveIssues([rec(detail(1))], newRun(T0));
    store.saveIssues([rec(detail(1, { updatedAt: T1, status: 'CLOSED' }), T1)], newRun(T1));
    const rows = all(`SELECT new_value AS status, observed_at AS since,
        LEAD(observed_at) OVER (PARTITION BY issue_id ORDER BY id) AS until
      FROM issue_changes WHERE field = 'status' AND issue_id = 1 ORDER BY id`);
    expect(rows).toEqual([
      { status: 'NEW', since: T0, until: T1 },
      { status: 'CLOSED', since: T1, until: null },
    ]);
  });
});

describe('listing bookkeeping and soft delete', () => {
  it('getStates returns stored updated_at and deletion for known ids only, over 500-id chunks', () => {
    const ids = Array.from({ length: 1200 }, (_, i) => i + 1);
    store.saveIssues(
      ids.map((id) => rec(detail(id, { updatedAt: id % 2 ? T0 : T1 }))),
      newRun(),
    );
    const states = store.getStates([...ids, 5000]);
    expect(states.size).toBe(1200);
    expect(states.get(1)).toEqual({ updatedAt: T0, deleted: false });
    expect(states.get(1200)).toEqual({ updatedAt: T1, deleted: false });
    expect(states.has(5000)).toBe(false);
    expect(store.getStates([]).size).toBe(0);
  });

  it('soft-deletes issues a complete listing no longer holds, and brings them back when listed again', () => {
    const r1 = newRun(T0);
    store.saveIssues(
      [1, 2, 3].map((id) => rec(detail(id))),
      r1,
    );
    const r2 = newRun(T1);
    store.markListed([1, 3, 99], r2, T1);
    expect(store.countMissing(r2)).toBe(1);
    expect(store.softDeleteMissing(r2, T1)).toBe(1);
    expect(one('SELECT deleted_at FROM issues WHERE id = 2')).toEqual({ deleted_at: T1 });
    expect(one('SELECT last_seen_at, last_listed_run FROM issue_sightings WHERE issue_id = 1')).toEqual({
      last_seen_at: T1,
      last_listed_run: r2,
    });
    expect(one('SELECT count(*) AS n FROM issues')).toEqual({ n: 3 });
    expect(store.getStates([2]).get(2)).toEqual({ updatedAt: T0, deleted: true });
    expect([store.countActive(), store.countDeleted()]).toEqual([2, 1]);
    expect(store.countMissing(r2)).toBe(0);

    const r3 = newRun(T2);
    store.markListed([1, 2, 3], r3, T2);
    expect(one('SELECT deleted_at FROM issues WHERE id = 2')).toEqual({ deleted_at: null });
    expect([store.countActive(), store.countDeleted(), store.countMissing(r3)]).toEqual([3, 0, 0]);
  });

  it('a saved issue counts as listed by that run, and saving clears deleted_at', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(detail(1)), rec(detail(2))], r1);
    store.softDeleteMissing(newRun(T1), T1);
    expect(store.countDeleted()).toBe(2);
    const r3 = newRun(T2);
    store.saveIssues([rec(detail(2, { updatedAt: T2 }), T2)], r3);
    expect(store.countMissing(r3)).toBe(0);
    expect(one('SELECT deleted_at FROM issues WHERE id = 2')).toEqual({ deleted_at: null });
  });

  it('a listing does not rewrite the issues table (only sightings)', () => {
    store.saveIssues([rec(detail(1)), rec(detail(2))], newRun(T0));
    const r2 = newRun(T1);
    const changes = h.sqlite.prepare('SELECT total_changes()').pluck();
    const n0 = changes.get() as number;
    store.markListed([1, 2], r2, T1);
    // Two sighting upserts; the undelete statement matches no row.
    expect((changes.get() as number) - n0).toBe(2);
  });
});

describe('full-text search', () => {
  it('finds words from summary, description and text field values, not from numbers', () => {
    store.saveIssues(
      [
        rec(detail(1, { summary: 'Invoice fraud', description: 'before the audit' })),
        rec(
          detail(2, {
            summary: 'Safety',
            forms: [
              {
                id: 1,
                fields: [
                  { id: 1, type: 'text', value: 'forklift accident' },
                  { id: 2, type: 'number', value: 4242 },
                ],
              },
            ],
          }),
        ),
      ],
      newRun(),
    );
    expect(search('fraud')).toEqual([1]);
    expect(search('audit')).toEqual([1]);
    expect(search('forklift')).toEqual([2]);
    expect(search('field_text:accident')).toEqual([2]);
    expect(search('4242')).toEqual([]);
    expect(one('SELECT count(*) AS n FROM issues_fts')).toEqual({ n: 2 });
  });

  it('follows updates: old words are gone, new ones found, one row per issue', () => {
    store.saveIssues([rec(detail(1, { summary: 'bribery suspicion' }))], newRun(T0));
    store.saveIssues([rec(detail(1, { updatedAt: T1, summary: 'harassment report' }), T1)], newRun(T1));
    expect(search('bribery')).toEqual([]);
    expect(search('harassment')).toEqual([1]);
    expect(one('SELECT count(*) AS n FROM issues_fts')).toEqual({ n: 1 });
  });

  it('matches without diacritics and supports snippet()', () => {
    store.saveIssues([rec(fixture('detail-unicode'))], newRun());
    expect(search('muller')).toEqual([13]);
    expect(search('francois')).toEqual([13]);
    const s = one<{ s: string }>(
      "SELECT snippet(issues_fts, 0, '[', ']', '…', 5) AS s FROM issues_fts WHERE issues_fts MATCH 'buro'",
    );
    expect(s.s).toContain('[Büro]');
  });
});

describe('views', () => {
  it('current_issues: not deleted, known fields flattened, declared types kept', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(fixture('detail-full')), rec(detail(2))], r1);
    const r2 = newRun(T1);
    store.markListed([42], r2, T1);
    expect(store.softDeleteMissing(r2, T1)).toBe(1);
    const rows = all<Record<string, unknown>>('SELECT * FROM current_issues');
    expect(rows.map((r) => r.id)).toEqual([42]);
    expect(rows[0]).toMatchObject({
      custom_id: 'SUP-2025-00042',
      status: 'IN_PROGRESS',
      domain_name: 'Finance',
      first_seen_at: T0,
      last_seen_at: T1,
    });
    const types = new Map(
      (h.sqlite.pragma('table_info(current_issues)') as { name: string; type: string }[]).map((c) => [c.name, c.type]),
    );
    expect(types.get('received_at')).toBe('DATETIME');
    expect(types.get('last_seen_at')).toBe('DATETIME');
    expect(types.get('domain_id')).toBe('INTEGER');
    expect([...types.keys()]).not.toContain('data');
  });

  it('issue_fields: field values with their issue columns', () => {
    store.saveIssues([rec(fixture('detail-full'))], newRun());
    const row = one<Record<string, unknown>>("SELECT * FROM issue_fields WHERE field_id = '1004'");
    expect(row).toEqual({
      issue_id: 42,
      custom_id: 'SUP-2025-00042',
      summary: 'Invoices changed before the audit',
      status: 'IN_PROGRESS',
      domain_id: 3,
      domain_name: 'Finance',
      position: 3,
      form_id: '101',
      form_name: 'Intake form',
      field_id: '1004',
      label: 'Category',
      type: 'select',
      value_text: 'Fraud',
      value_number: null,
      value_json: null,
    });
    expect(one('SELECT count(*) AS n FROM issue_fields')).toEqual({ n: 11 });
  });

  it('latest_runs: newest first with a duration', () => {
    const a = store.startRun({ trigger: 'scheduled', full: true, startedAt: T0 });
    store.finishRun(a, { status: 'succeeded', finishedAt: '2025-06-01T10:01:30.500Z', counts: { listed: 3 } });
    const b = newRun(T1);
    const rows = all<Record<string, unknown>>(
      'SELECT id, duration_seconds, status, "trigger", "full", listed FROM latest_runs',
    );
    expect(rows).toEqual([
      { id: b, duration_seconds: null, status: 'running', trigger: 'manual', full: 0, listed: 0 },
      { id: a, duration_seconds: 90.5, status: 'succeeded', trigger: 'scheduled', full: 1, listed: 3 },
    ]);
  });
});

/** Everything a failed batch must not have touched. */
function snapshot(): unknown {
  return {
    issues: all('SELECT * FROM issues ORDER BY id'),
    fields: all('SELECT * FROM issue_field_values ORDER BY issue_id, position'),
    changes: all('SELECT * FROM issue_changes ORDER BY id'),
    sightings: all('SELECT * FROM issue_sightings ORDER BY issue_id'),
    fts: all('SELECT rowid, * FROM issues_fts ORDER BY rowid'),
  };
}

describe('storedDetails', () => {
  it('with `before`, gives only the details stored before that time (what a drift baseline reads)', () => {
    const r1 = newRun(T0);
    store.saveIssues([rec(detail(1)), rec(detail(2))], r1);
    store.saveIssues([rec(detail(3), T2)], newRun(T2));
    expect(store.storedDetails(0, 10).map((d) => d.id)).toEqual([1, 2, 3]);
    expect(store.storedDetails(0, 10, T1).map((d) => [d.id, d.syncedAt])).toEqual([
      [1, T0],
      [2, T0],
    ]);
    expect(store.storedDetails(1, 10, T1).map((d) => d.id)).toEqual([2]);
    expect(store.storedDetails(0, 10, T0)).toEqual([]);
  });
});
