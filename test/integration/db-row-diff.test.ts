/**
 * saveIssues writes a changed issue's field values and full-text row as differences against what is
 * stored: rows that did not change are not written at all, and the result is the same as a fresh write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssueStore, type IssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import { toIssueRecord, type MappedIssue } from '../../src/sync/map-issue.js';

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T10:00:00.000Z';

type Field = { id: number; label: string; type: string; value: unknown };
const FIELDS: Field[] = [
  { id: 11, label: 'Where', type: 'text', value: 'warehouse north' },
  { id: 12, label: 'Count', type: 'number', value: 3 },
  { id: 13, label: 'Category', type: 'select', value: 'Fraud' },
  { id: 14, label: 'Involved', type: 'multiselect', value: ['Finance', 'HR'] },
  { id: 15, label: 'Anonymous', type: 'boolean', value: true },
];

function detail(id: number, over: Record<string, unknown> = {}, fields: Field[] = FIELDS): Record<string, unknown> {
  return {
    id,
    customId: `SUP-${id}`,
    createdAt: T0,
    updatedAt: T0,
    summary: `Issue ${id}`,
    description: 'invoices changed before the audit',
    status: 'NEW',
    assignee: { id: 5, name: 'Ann' },
    labels: ['a'],
    forms: [{ id: 1, name: 'Intake', fields }],
    ...over,
  };
}
const rec = (d: Record<string, unknown>, at = T0): MappedIssue => toIssueRecord(d, at);
const edited = (id: number, fields: Field[], over: Record<string, unknown> = {}): MappedIssue =>
  rec(detail(id, { updatedAt: T1, ...over }, fields), T1);
const withField = (i: number, change: Partial<Field>): Field[] =>
  FIELDS.map((f, k) => (k === i ? { ...f, ...change } : f));

/** One edit of each kind, by issue id (issue 10 is new in the second batch, issue 1 comes twice). */
const EDITS: MappedIssue[] = [
  edited(1, withField(1, { value: 99 })),
  edited(2, [...FIELDS, { id: 16, label: 'Notes', type: 'text', value: 'added later' }]),
  edited(3, FIELDS.slice(0, 3)),
  edited(4, withField(0, { value: 'warehouse south' })),
  edited(5, FIELDS, { summary: 'Renamed' }),
  edited(6, FIELDS),
  edited(7, [FIELDS[0]!, { id: 20, label: 'Inserted', type: 'text', value: 'in between' }, ...FIELDS.slice(1)]),
  edited(8, withField(1, { type: 'text', value: '3' })),
  edited(9, []),
  rec(detail(10), T1),
  edited(1, withField(1, { value: 100 }), { status: 'CLOSED' }),
];

let dir: string;
let handles: DatabaseHandle[];
const open = (name: string): { h: DatabaseHandle; store: IssueStore } => {
  const h = openDatabase(join(dir, name));
  handles.push(h);
  return { h, store: createIssueStore(h) };
};
const run = (store: IssueStore, at: string): number =>
  store.startRun({ trigger: 'manual', full: false, startedAt: at });
const rows = (h: DatabaseHandle, q: string): unknown[] => h.sqlite.prepare(q).all();
/** The full-text index's own storage: unchanged bytes mean nothing was re-tokenised or rewritten. */
const ftsStorage = (h: DatabaseHandle): unknown[] =>
  ['data', 'content', 'docsize'].map((t) => rows(h, `SELECT * FROM issues_fts_${t} ORDER BY 1`));

/** Logs every write to issue_field_values on this connection (temporary triggers, seen by nobody else). */
function logFieldWrites(h: DatabaseHandle): () => unknown[] {
  h.sqlite.exec('CREATE TEMP TABLE field_writes (op TEXT, issue_id INTEGER, position INTEGER)');
  for (const [op, row] of [
    ['INSERT', 'new'],
    ['UPDATE', 'new'],
    ['DELETE', 'old'],
  ] as const) {
    h.sqlite.exec(`CREATE TEMP TRIGGER field_${op} AFTER ${op} ON main.issue_field_values BEGIN
      INSERT INTO field_writes VALUES ('${op}', ${row}.issue_id, ${row}.position); END`);
  }
  return () => rows(h, 'SELECT op, issue_id, position FROM field_writes ORDER BY rowid');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-row-diff-'));
  handles = [];
});
afterEach(() => {
  for (const h of handles) {
    expect(h.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    h.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('saveIssues on changed issues', () => {
  it('writes only the field rows that differ and leaves the full-text index alone when its text is equal', () => {
    const { h, store } = open('diff.db');
    store.saveIssues([rec(detail(1)), rec(detail(2)), rec(detail(3))], run(store, T0));
    const rowids = rows(h, 'SELECT rowid, issue_id, position FROM issue_field_values ORDER BY rowid');
    const fts = ftsStorage(h);
    const writes = logFieldWrites(h);

    // Issue 1: one number changes (not indexed text); issue 2: only updatedAt; issue 3: the same again.
    store.saveIssues([edited(1, withField(1, { value: 42 })), edited(2, FIELDS), rec(detail(3))], run(store, T1));

    expect(writes()).toEqual([{ op: 'UPDATE', issue_id: 1, position: 1 }]);
    expect(rows(h, 'SELECT rowid, issue_id, position FROM issue_field_values ORDER BY rowid')).toEqual(rowids);
    expect(ftsStorage(h)).toEqual(fts);
    expect(rows(h, 'SELECT value_number FROM issue_field_values WHERE issue_id = 1 AND position = 1')).toEqual([
      { value_number: 42 },
    ]);
  });

  it('writes an added, a removed and a changed field as one insert, one delete and one update', () => {
    const { h, store } = open('diff.db');
    store.saveIssues([rec(detail(2)), rec(detail(3)), rec(detail(4))], run(store, T0));
    const writes = logFieldWrites(h);
    store.saveIssues([EDITS[1]!, EDITS[2]!, EDITS[3]!], run(store, T1));
    expect(writes()).toEqual([
      { op: 'INSERT', issue_id: 2, position: 5 },
      { op: 'DELETE', issue_id: 3, position: 3 },
      { op: 'DELETE', issue_id: 3, position: 4 },
      { op: 'UPDATE', issue_id: 4, position: 0 },
    ]);
    expect(rows(h, "SELECT rowid FROM issues_fts WHERE issues_fts MATCH 'south'")).toEqual([{ rowid: 4 }]);
    expect(rows(h, "SELECT rowid FROM issues_fts WHERE issues_fts MATCH 'north' ORDER BY rowid")).toEqual([
      { rowid: 2 },
      { rowid: 3 },
    ]);
  });

  it('stores exactly what a fresh write of the same details stores, for every kind of edit', () => {
    const diffed = open('diffed.db');
    diffed.store.saveIssues(
      Array.from({ length: 9 }, (_, i) => rec(detail(i + 1))),
      run(diffed.store, T0),
    );
    diffed.store.saveIssues(EDITS, run(diffed.store, T1));
    // The same final details, each written once into an empty database (the last version of issue 1).
    const fresh = open('fresh.db');
    fresh.store.saveIssues(
      EDITS.filter((r, i) => EDITS.findLastIndex((o) => o.issue.id === r.issue.id) === i),
      run(fresh.store, T1),
    );

    const tables = [
      'SELECT * FROM issue_field_values ORDER BY issue_id, position',
      'SELECT rowid, * FROM issues_fts ORDER BY rowid',
      'SELECT * FROM issues_fts_docsize ORDER BY id',
      // Everything but when each issue was first seen (the fresh database saw them all at T1).
      'SELECT * FROM issues ORDER BY id',
    ];
    for (const q of tables) {
      expect(rows(diffed.h, q).length, q).toBeGreaterThan(0);
      const strip = (rs: unknown[]): unknown[] =>
        rs.map((r) => ({ ...(r as Record<string, unknown>), first_seen_at: undefined }));
      expect(strip(rows(diffed.h, q)), q).toEqual(strip(rows(fresh.h, q)));
    }
    for (const word of ['south', 'north', 'added', 'between', 'Renamed', 'invoices', 'Fraud']) {
      const match = `SELECT rowid FROM issues_fts WHERE issues_fts MATCH '${word}' ORDER BY rowid`;
      expect(rows(diffed.h, match), word).toEqual(rows(fresh.h, match));
    }
    // The index's own consistency check (FTS5 'integrity-check' throws on a mismatch).
    expect(() =>
      diffed.h.sqlite.exec("INSERT INTO issues_fts (issues_fts, rank) VALUES ('integrity-check', 1)"),
    ).not.toThrow();
  });

  it("updates an issue's own row to what a fresh write stores, for each column an edit may leave alone or change", () => {
    const T2 = '2025-06-03T10:00:00.000Z';
    const dated = { receivedAt: T0, acknowledgedAt: T0, closedAt: T0, dueAt: T0, domain: { id: 1, name: 'D' } };
    const changes: Record<string, unknown>[] = [
      {},
      { createdAt: T2 },
      { receivedAt: T2 },
      { acknowledgedAt: T2 },
      { closedAt: null },
      { dueAt: T2 },
      { domain: { id: 2, name: 'D' } },
      { domain: null },
      // Issues 9 and 10 are soft-deleted and purged below: saving them must clear both marks.
      {},
      {},
    ];
    const diffed = open('diffed.db');
    diffed.store.saveIssues(
      changes.map((_, i) => rec(detail(i + 1, dated))),
      run(diffed.store, T0),
    );
    diffed.h.sqlite.exec(`UPDATE issues SET deleted_at = '${T0}' WHERE id = 9`);
    diffed.h.sqlite.exec(`UPDATE issues SET purged_at = '${T0}' WHERE id = 10`);
    const next = changes.map((c, i) => edited(i + 1, FIELDS, { ...dated, status: 'OPEN', ...c }));
    diffed.store.saveIssues(next, run(diffed.store, T1));
    const fresh = open('fresh.db');
    fresh.store.saveIssues(next, run(fresh.store, T1));
    const issues = (h: DatabaseHandle): unknown[] =>
      rows(h, 'SELECT * FROM issues ORDER BY id').map((r) => ({ ...(r as object), first_seen_at: undefined }));
    expect(issues(diffed.h)).toHaveLength(changes.length);
    expect(issues(diffed.h)).toEqual(issues(fresh.h));
    expect(rows(diffed.h, 'SELECT DISTINCT first_seen_at FROM issues')).toEqual([{ first_seen_at: T0 }]);
  });

  it('notices a change in any one column of a field row, even one no real edit changes alone', () => {
    const keys = ['formId', 'formName', 'fieldId', 'label', 'type', 'valueText', 'valueNumber', 'valueJson'] as const;
    const diffed = open('diffed.db');
    diffed.store.saveIssues(
      keys.map((_, i) => rec(detail(i + 1))),
      run(diffed.store, T0),
    );
    const next = keys.map((k, i) => {
      const r = edited(i + 1, FIELDS);
      const field = r.fields[1]!;
      r.fields[1] = { ...field, [k]: k === 'valueNumber' ? 4.5 : `${String(field[k])}!` };
      return r;
    });
    diffed.store.saveIssues(next, run(diffed.store, T1));
    const stored = rows(
      diffed.h,
      'SELECT form_id, form_name, field_id, label, type, value_text, value_number, value_json FROM issue_field_values WHERE position = 1 ORDER BY issue_id',
    );
    expect(stored).toEqual(
      next.map(({ fields: [, f] }) => ({
        form_id: f!.formId,
        form_name: f!.formName,
        field_id: f!.fieldId,
        label: f!.label,
        type: f!.type,
        value_text: f!.valueText,
        value_number: f!.valueNumber,
        value_json: f!.valueJson,
      })),
    );
  });
});
