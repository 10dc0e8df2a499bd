/**
 * `speakup-sync erase` through the real CLI against a mirror synced from the real emulator: the erased
 * text is gone from the bytes of the database file and its -wal (full-text index included), the issue
 * stays erased when it changes at the source, --undo brings its content back, an unknown id changes
 * nothing, and a held run lock makes it exit 75.
 */
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssueStore, sqlitePorts } from '../../src/db/issue-store.js';
import { openDatabase } from '../../src/db/open.js';
import { runCli } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';

/** Whether `text` occurs anywhere in the bytes of the database file or its -wal. */
function inFileBytes(dbPath: string, text: string): boolean {
  const needle = Buffer.from(text, 'utf8');
  return [dbPath, `${dbPath}-wal`].some((p) => existsSync(p) && readFileSync(p).includes(needle));
}

/** Gives issue `id` a unique lowercase marker (FTS5 stores terms lowercased) in its text and a field. */
function plantMarker(h: Harness, id: number, marker: string, keepUpdatedAt = false): void {
  const d = h.emu.data.get(id)!;
  const forms = (d.forms ?? []).map((f, i) =>
    i === 0
      ? { ...f, fields: [...f.fields, { id: 'm', label: 'Statement', type: 'text', value: `said ${marker}` }] }
      : f,
  );
  h.emu.data.update(id, {
    summary: `about ${marker}`,
    description: `the report of ${marker} in full`,
    forms:
      forms.length > 0
        ? forms
        : [{ id: 'f', name: 'Form', fields: [{ id: 'm', label: 'Statement', type: 'text', value: `said ${marker}` }] }],
    ...(keepUpdatedAt ? { updatedAt: d.updatedAt } : {}),
  });
}

function row(h: Harness, id: number) {
  const db = h.read();
  try {
    return {
      issue: db
        .prepare(
          'SELECT summary, description, data, custom_id, created_at, erased_at, purged_at FROM issues WHERE id = ?',
        )
        .get(id) as Record<string, string | null>,
      fields: db.prepare('SELECT count(*) FROM issue_field_values WHERE issue_id = ?').pluck().get(id) as number,
      fts: db.prepare('SELECT count(*) FROM issues_fts WHERE rowid = ?').pluck().get(id) as number,
      changes: db.prepare('SELECT count(*) FROM issue_changes WHERE issue_id = ?').pluck().get(id) as number,
    };
  } finally {
    db.close();
  }
}

describe('speakup-sync erase', () => {
  let h: Harness;
  let id: number;
  const marker = `zqxerase${Date.now().toString(36)}`;
  const later = `${marker}later`;

  beforeAll(async () => {
    h = await harness({ issues: 30, seed: 16 });
    id = h.emu.data.ids()[4]!;
    plantMarker(h, id, marker);
    expect((await h.sync()).status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => h?.close());

  it('erases the content from the file bytes, full-text index and -wal included, keeps dates and history, and audits', async () => {
    expect(inFileBytes(h.dbPath, marker)).toBe(true); // the scan finds what is there
    const before = row(h, id);
    const res = await runCli(['erase', '--issue', String(id)], h.env, h.dir);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^erased issue ${id} at \\S+Z: content removed`));
    expect(inFileBytes(h.dbPath, marker)).toBe(false);
    const after = row(h, id);
    expect(after.issue).toMatchObject({
      summary: null,
      description: null,
      data: '{}',
      custom_id: before.issue.custom_id,
      created_at: before.issue.created_at,
    });
    expect(after.issue.erased_at).not.toBeNull();
    expect(after.issue.purged_at).toBe(after.issue.erased_at);
    expect([after.fields, after.fts]).toEqual([0, 0]);
    expect(after.changes).toBe(before.changes);
    const db = h.read();
    const audit = db.prepare('SELECT action, issue_ids, os_user, host FROM erase_log').all();
    db.close();
    expect(audit).toEqual([
      { action: 'erase', issue_ids: JSON.stringify([id]), os_user: expect.any(String), host: expect.any(String) },
    ]);
  });

  it('snapshot names the last erase, so older snapshots can be replaced', async () => {
    const db = h.read();
    const last = db.prepare("SELECT max(at) FROM erase_log WHERE action = 'erase'").pluck().get() as string;
    db.close();
    const res = await runCli(['snapshot', `${h.dir}/copy.db`], h.env, h.dir);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `last erase: ${last}; this snapshot contains it, snapshots written before it still hold the erased content`,
    );
    expect(inFileBytes(`${h.dir}/copy.db`, marker)).toBe(false);
  });

  it('keeps an erased issue erased when it changes at the source, until --undo', async () => {
    plantMarker(h, id, later);
    h.emu.data.update(id, { status: 'closed' });
    expect((await h.sync({ full: true })).status).toBe('succeeded');
    const kept = row(h, id);
    expect(kept.issue).toMatchObject({ summary: null, description: null, data: '{}' });
    expect([kept.fields, kept.fts]).toEqual([0, 0]);
    expect(inFileBytes(h.dbPath, later)).toBe(false);
    const db = h.read();
    expect(
      db
        .prepare("SELECT new_value FROM issue_changes WHERE issue_id = ? AND field = 'status' ORDER BY id DESC")
        .pluck()
        .get(id),
    ).toBe('closed');
    db.close();

    const undo = await runCli(['erase', '--undo', '--issue', String(id)], h.env, h.dir);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain(`erase undone for issue ${id}`);
    expect((await h.sync()).status).toBe('succeeded'); // not --full: the purged copy reads as never fetched
    const back = row(h, id);
    expect(back.issue.description).toBe(`the report of ${later} in full`);
    expect(back.issue.erased_at).toBeNull();
    expect(back.fts).toBe(1);
  }, 60_000);

  it('refuses an unknown id with one line and exit 1, changing nothing', async () => {
    const read = () => {
      const db = h.read();
      try {
        return db
          .prepare('SELECT id, data, erased_at FROM issues ORDER BY id')
          .all()
          .concat(db.prepare('SELECT * FROM erase_log').all());
      } finally {
        db.close();
      }
    };
    const before = read();
    const res = await runCli(['erase', '--issue', String(h.emu.data.ids()[0]!), '--issue', '999999999'], h.env, h.dir);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^speakup-sync: no issue 999999999 in the mirror; nothing was erased/);
    expect(read()).toEqual(before);
  });

  it('exits 75 while a run holds the lock, and 64 without --issue', async () => {
    const handle = openDatabase(h.dbPath);
    const { lock } = sqlitePorts(createIssueStore(handle));
    const got = await lock.tryAcquire();
    try {
      expect(got.ok).toBe(true);
      const res = await runCli(['erase', '--issue', String(id)], h.env, h.dir);
      expect(res.code).toBe(75);
      expect(res.stderr).toMatch(/another sync is running/);
    } finally {
      if (got.ok) await got.lease.release();
      handle.close();
    }
    expect((await runCli(['erase'], h.env, h.dir)).code).toBe(64);
    const db = new Database(h.dbPath, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM erase_log WHERE action = 'erase'").pluck().get()).toBe(1);
    db.close();
  });
});
