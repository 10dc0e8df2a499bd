/**
 * Hostile input: the API answers with broken or surprising data. Each case must give a clear per-item or
 * per-run error naming the issue and the problem, store what can be stored, and never lose (or wrongly
 * soft-delete) anything already in the mirror. A first clean sync fills the mirror; the bad case comes after.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { IssueDetail } from '../../src/api/types.js';
import { lastLine, runCli } from '../helpers/cli.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { mirrorProblems, recordVersions, type Versions } from '../helpers/reliability.js';

const clean = { missing: [], extra: [], different: [] };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A harness whose mirror already holds every issue. */
async function synced(issues = 60, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const x = await harness({ issues, seed: 61 }, { SPEAKUP_PAGE_SIZE: '20', ...extraEnv });
  h = x;
  expect((await x.sync()).status).toBe('succeeded');
  return x;
}

function query<T>(x: Harness, sql: string, ...params: unknown[]): T[] {
  const db = new Database(x.dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** id → data of every stored issue, and the deleted ones. */
function stored(x: Harness): { data: Map<number, string>; deleted: number[] } {
  const rows = query<{ id: number; data: string; deleted_at: string | null }>(
    x,
    'SELECT id, data, deleted_at FROM issues ORDER BY id',
  );
  return {
    data: new Map(rows.map((r) => [r.id, r.data])),
    deleted: rows.filter((r) => r.deleted_at !== null).map((r) => r.id),
  };
}

describe('bad detail bodies', () => {
  it('malformed JSON: that issue fails naming its id, its stored version is kept, the rest is stored', async () => {
    const x = await synced();
    const [a, b] = x.emu.data.ids();
    const before = stored(x).data.get(a!);
    x.emu.data.update(a!);
    x.emu.data.update(b!);
    x.emu.data.setDetailOverride(a!, '{"id": 1, "summary": "cut her');
    const r = await x.sync();
    expect(r.status).toBe('partial');
    expect(r.failures).toEqual([
      {
        issueId: a,
        code: 'BAD_RESPONSE',
        message: expect.stringMatching(
          new RegExp(`^\\[GET\\] "/v1/public/issues/${a}": the body is not valid JSON \\(\\d+ bytes\\)$`),
        ),
      },
    ]);
    expect(stored(x).data.get(a!)).toBe(before);
    expect(mirrorDiff(x)).toEqual({ ...clean, different: [a] });
    // Fixed upstream: the next run retries it.
    x.emu.data.clearDetailOverride(a!);
    expect((await x.sync()).status).toBe('succeeded');
    expect(mirrorDiff(x)).toEqual(clean);
  });

  it('a detail answering for another id: not stored under either id, the error names both', async () => {
    const x = await synced();
    const [a, b] = x.emu.data.ids();
    const before = stored(x).data;
    x.emu.data.update(a!);
    x.emu.data.setDetailOverride(a!, { ...x.emu.data.get(b!), summary: 'served under the wrong id' });
    const r = await x.sync();
    expect(r.status).toBe('partial');
    expect(r.failures).toEqual([
      { issueId: a, code: 'BAD_RESPONSE', message: expect.stringMatching(new RegExp(`^issue ${a}: .*\\bid ${b}\\b`)) },
    ]);
    const after = stored(x).data;
    expect(after.get(a!)).toBe(before.get(a!));
    expect(after.get(b!)).toBe(before.get(b!));
  });

  it('fields of unexpected types: stored with the raw JSON, NULL where a typed value is unusable', async () => {
    const x = await synced();
    const id = x.emu.data.ids()[3]!;
    const current = x.emu.data.get(id)!;
    const odd = {
      ...current,
      updatedAt: '2031-01-01T00:00:00.000Z',
      summary: 12345,
      description: { html: '<p>x</p>' },
      status: ['OPEN'],
      labels: 'urgent,hr',
      forms: { notAnArray: true },
      domain: 'HR',
      assignee: [7],
      receivedAt: 'yesterday',
      acknowledgedAt: 1717171717,
      dueAt: '2024-02-30T10:00:00Z',
      closedAt: '2024',
      customId: { x: 1 },
      createdAt: null,
    };
    x.emu.data.update(id, { updatedAt: odd.updatedAt });
    x.emu.data.setDetailOverride(id, odd);
    const r = await x.sync();
    expect(r.status, r.error).toBe('succeeded');
    const [row] = query<Record<string, unknown>>(x, 'SELECT * FROM issues WHERE id = ?', id);
    expect(row).toMatchObject({
      data: JSON.stringify(odd),
      summary: null,
      description: null,
      status: null,
      labels: null,
      domain_id: null,
      domain_name: null,
      assignee_id: null,
      received_at: null,
      acknowledged_at: null,
      due_at: null,
      closed_at: null,
      custom_id: null,
      created_at: null,
      updated_at: '2031-01-01T00:00:00.000Z',
      deleted_at: null,
    });
    expect(query(x, 'SELECT * FROM issue_field_values WHERE issue_id = ?', id)).toEqual([]);
    const versions: Versions = new Map();
    recordVersions(x.emu, versions);
    versions.get(id)!.add(JSON.stringify(odd));
    const db = new Database(x.dbPath, { readonly: true });
    expect(mirrorProblems(db, versions)).toEqual([]);
    db.close();
  });

  it('field values of unexpected types inside forms: every field row stored, values kept as JSON', async () => {
    const x = await synced();
    const id = x.emu.data.ids()[5]!;
    const forms = [
      {
        id: 'f1',
        name: 7,
        fields: [
          { id: 1, label: 'a number as text', type: 'number', value: '12.5' },
          { id: 2, label: 'an object', type: 'text', value: { nested: [1, 2] } },
          { id: 3, label: 'bad date', type: 'date', value: 'not a date' },
          { id: 4, type: 'boolean', value: 'yes' },
          'not a field',
          { id: 5, label: null, type: 42, value: null },
        ],
      },
      { fields: 'nope' },
    ];
    x.emu.data.update(id, { forms: forms as unknown as NonNullable<IssueDetail['forms']> });
    const r = await x.sync();
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(x)).toEqual(clean);
    const rows = query<Record<string, unknown>>(
      x,
      'SELECT position, form_name, field_id, label, type, value_text, value_number, value_json FROM issue_field_values WHERE issue_id = ? ORDER BY position',
      id,
    );
    expect(rows).toEqual([
      {
        position: 0,
        form_name: null,
        field_id: '1',
        label: 'a number as text',
        type: 'number',
        value_text: '12.5',
        value_number: 12.5,
        value_json: null,
      },
      {
        position: 1,
        form_name: null,
        field_id: '2',
        label: 'an object',
        type: 'text',
        value_text: null,
        value_number: null,
        value_json: '{"nested":[1,2]}',
      },
      {
        position: 2,
        form_name: null,
        field_id: '3',
        label: 'bad date',
        type: 'date',
        value_text: 'not a date',
        value_number: null,
        value_json: null,
      },
      {
        position: 3,
        form_name: null,
        field_id: '4',
        label: null,
        type: 'boolean',
        value_text: 'yes',
        value_number: null,
        value_json: null,
      },
      {
        position: 4,
        form_name: null,
        field_id: '5',
        label: null,
        type: null,
        value_text: null,
        value_number: null,
        value_json: null,
      },
    ]);
  });

  it('an unusable updatedAt in the detail: a per-item error naming the issue, the stored version kept', async () => {
    const x = await synced();
    const id = x.emu.data.ids()[7]!;
    const before = stored(x).data.get(id);
    x.emu.data.update(id);
    x.emu.data.setDetailOverride(id, { ...x.emu.data.get(id), updatedAt: 'last tuesday' });
    const r = await x.sync();
    expect(r.status).toBe('partial');
    expect(r.failures).toEqual([
      {
        issueId: id,
        code: 'BAD_RESPONSE',
        message: `issue ${id}: updatedAt must be a full ISO-8601 timestamp, got "last tuesday"`,
      },
    ]);
    expect(stored(x).data.get(id)).toBe(before);
  });

  it('an enormous detail (several MB of multi-byte text) is stored byte for byte', async () => {
    const x = await synced(20);
    const id = x.emu.data.ids()[2]!;
    // 4-byte emoji, 2- and 3-byte scripts: a chunk boundary inside a character must not corrupt it.
    const unit = 'Meldung über Betrug — تقرير 🕵️‍♀️ 内部告発 ';
    const description = unit.repeat(Math.ceil((6 * 1024 * 1024) / Buffer.byteLength(unit)));
    x.emu.data.update(id, { description });
    const r = await x.sync();
    expect(r.status, r.error).toBe('succeeded');
    const [row] = query<{ description: string; data: string }>(
      x,
      'SELECT description, data FROM issues WHERE id = ?',
      id,
    );
    expect(Buffer.byteLength(row!.description)).toBeGreaterThan(6 * 1024 * 1024);
    expect(Buffer.from(row!.description).equals(Buffer.from(description))).toBe(true);
    expect((JSON.parse(row!.data) as IssueDetail).description === description).toBe(true);
    expect(mirrorDiff(x)).toEqual(clean);
  });
});

describe('bad listings', () => {
  it('list items without an id or with a string id: per-item errors, no deletions this run, nothing lost', async () => {
    const x = await synced();
    const before = stored(x).data;
    const [a, b] = x.emu.data.ids();
    x.emu.data.setListOverride(({ items }) =>
      items.map((it) => (it.id === a ? { ...it, id: undefined } : it.id === b ? { ...it, id: String(b) } : it)),
    );
    x.emu.data.remove(x.emu.data.ids()[10]!);
    const r = await x.sync();
    expect(r.status).toBe('partial');
    expect(r.failures.map((f) => f.message)).toEqual([
      'list page 1, item 0: list item has no id',
      `list page 1, item 1: list item has an unusable id "${b}" (expected a positive integer)`,
    ]);
    // The listing is not trustworthy: nobody is marked deleted, not even the issue really removed.
    const after = stored(x);
    expect(after.deleted).toEqual([]);
    expect(after.data).toEqual(before);
  });

  it('duplicate ids across pages: each issue listed, fetched and stored once; the listing is not trusted for deletions', async () => {
    const x = await synced(0);
    x.emu.data.add(60);
    // As when issues arrive while a client pages by offset: page 2 on starts 3 items early.
    const list = x.emu.data.list();
    x.emu.data.setListOverride(({ page, pageSize }) => {
      const start = page === 1 ? 0 : (page - 1) * pageSize - 3;
      return list.slice(start, start + pageSize);
    });
    const r = await x.sync();
    // Overlapping pages mean the paging may also have skipped issues: nothing is deleted this run.
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(
      /the issue list repeated or overlapped its pages.*no issue is marked deleted this run; check SPEAKUP_PAGE_PARAM/,
    );
    expect(r.counts).toMatchObject({ listed: 60, fetched: 60, failed: 0, deleted: 0 });
    expect(Math.max(...x.emu.counters.detailById.values())).toBe(1);
    expect(mirrorDiff(x)).toEqual(clean);
  });

  it.each(['page', 'envelope'] as const)(
    'a page that shrinks between calls (%s paging): no live issue is marked deleted, the mirror stays complete',
    async (paging) => {
      const x = await synced(100);
      x.emu.knobs.paging = paging;
      x.emu.knobs.shrinkNextPages = 1;
      const r = await x.sync();
      expect(x.emu.counters.faults.shrink).toBe(1);
      expect(r.counts.deleted).toBe(0);
      expect(stored(x).deleted).toEqual([]);
      expect(mirrorDiff(x)).toEqual(clean);
      expect(r.status, r.error).toBe('succeeded');
    },
  );

  it('a page that stays short while later pages are full: a per-run error, no deletions this run', async () => {
    const x = await synced(100);
    x.emu.data.setListOverride(({ page, items }) => (page === 2 ? items.slice(0, 5) : items));
    x.emu.data.remove(x.emu.data.ids()[90]!);
    const r = await x.sync();
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(/list page 2 held 5 items where other pages held 20/);
    expect(stored(x).deleted).toEqual([]);
  });

  it('malformed JSON in a list page: the run fails with one clear line, nothing stored is lost or deleted', async () => {
    const x = await synced();
    const before = stored(x);
    x.emu.knobs.pMalformed = 1;
    const r = await x.sync();
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      /^\[GET\] "\/v1\/public\/issues\?page=1&pageSize=20": the body is not valid JSON \(\d+ bytes\)$/,
    );
    expect(stored(x)).toEqual(before);
  });

  it('an empty listing while the mirror holds issues: the guard refuses (exit 2) unless --allow-mass-delete', async () => {
    const x = await synced(30);
    // Really gone at the source (each detail answers 404), so the deletions are confirmed once allowed.
    for (const id of x.emu.data.ids()) x.emu.data.remove(id);
    const refused = await runCli(['sync'], x.env, x.dir);
    expect(refused.code).toBe(2);
    expect(lastLine(refused.stderr)).toBe(
      'refused to soft-delete 30 of 30 issues (more than 50%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete',
    );
    expect(refused.stdout).toMatch(/^sync partial \(run 2\): 0 listed, 0 fetched, 0 unchanged, 0 deleted, 0 failed/);
    expect(stored(x).deleted).toEqual([]);
    const [run] = query<{ status: string; error: string }>(x, 'SELECT status, error FROM sync_runs WHERE id = 2');
    expect(run).toEqual({ status: 'partial', error: expect.stringMatching(/^refused to soft-delete 30 of 30 issues/) });

    const allowed = await runCli(['sync', '--allow-mass-delete'], x.env, x.dir);
    expect(allowed.code).toBe(0);
    expect(stored(x).deleted).toHaveLength(30);
    // Soft, never hard: the rows and their data are all still there.
    expect(stored(x).data.size).toBe(30);
  });
});
