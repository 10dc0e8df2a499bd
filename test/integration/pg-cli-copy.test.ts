/**
 * `speakup-sync copy --to <postgres-url>` end to end: an SQLite mirror with history and deletions moves
 * into an empty PostgreSQL schema, verified per table; a sync on PostgreSQL then continues incrementally
 * (nothing refetched); a second copy into the now non-empty schema is refused on one line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, runCli } from '../helpers/cli.js';
import { pgCli, type PgCli } from '../helpers/postgres-cli.js';

let c: PgCli | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('speakup-sync copy', () => {
  it('copies an SQLite mirror with its history; the PostgreSQL mirror then syncs on incrementally', async () => {
    c = await pgCli({ issues: 30 });
    // The SQLite mirror: two runs, a status change and two deletions.
    expect((await runCli(['sync'], c.h.env, c.h.dir)).code).toBe(0);
    const ids = c.h.emu.data.ids();
    const changed = ids.find((id) => c!.h.emu.data.get(id)!.status !== 'ON_HOLD')!;
    c.h.emu.data.update(changed, { status: 'ON_HOLD' });
    const gone = ids.filter((id) => id !== changed).slice(0, 2);
    for (const id of gone) c.h.emu.data.remove(id);
    expect((await runCli(['sync'], c.h.env, c.h.dir)).code).toBe(0);

    // The password from PGPASSWORD, not the command line (which other users see in the process list).
    const bare = new URL(c.pg.url);
    bare.password = '';
    const copy = await runCli(
      ['copy', '--to', bare.toString(), '--schema', c.pg.schema],
      { ...c.h.env, PGPASSWORD: c.password },
      c.h.dir,
    );
    expect(copy.code).toBe(0);
    for (const table of [
      'sync_runs',
      'issues',
      'issue_sightings',
      'issue_field_values',
      'issue_changes',
      'issues_fts',
      'erase_log',
      'detail_paths',
      'settings',
    ]) {
      expect(copy.stdout).toMatch(new RegExp(`^${table} +\\d+ rows  sha256 [0-9a-f]{64}  verified$`, 'm'));
    }
    expect(lastLine(copy.stdout)).toContain(`into schema "${c.pg.schema}" of postgres://speakup_test@`);
    expect(copy.stdout + copy.stderr).not.toContain(c.password);

    const history = await c.rows<{ issue_id: number }>(
      `SELECT issue_id FROM $schema.issue_changes WHERE field = 'status' AND new_value = 'ON_HOLD' AND old_value IS NOT NULL`,
    );
    expect(history.map((h) => h.issue_id)).toEqual([changed]);
    const deleted = await c.rows<{ id: number }>(
      'SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL ORDER BY id',
    );
    expect(deleted.map((d) => d.id)).toEqual([...gone].sort((a, b) => a - b));

    const before = c.h.emu.counters.requests.detail;
    const sync = await runCli(['sync'], c.env, c.h.dir);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^sync succeeded \(run 3\): 28 listed, 0 fetched, 28 unchanged, 0 deleted, 0 failed/);
    expect(c.h.emu.counters.requests.detail).toBe(before);

    const again = await runCli(['copy', '--to', c.pg.url, '--schema', c.pg.schema], c.h.env, c.h.dir);
    expect(again.code).toBe(1);
    expect(
      again.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('speakup-sync:')),
    ).toHaveLength(1);
    expect(lastLine(again.stderr)).toContain(`PostgreSQL schema "${c.pg.schema}" already holds mirror data`);
    expect((await c.rows('SELECT id FROM $schema.sync_runs')).length).toBe(3);
  }, 120_000);

  it('refuses a target that is not a postgres URL, or a remote one without TLS, before reading anything', async () => {
    c = await pgCli({ issues: 1 });
    const notPg = await runCli(['copy', '--to', './other.db'], c.h.env, c.h.dir);
    expect(notPg.code).toBe(64);
    expect(lastLine(notPg.stderr)).toContain('--to: expected a postgres:// or postgresql:// URL');
    const plain = await runCli(['copy', '--to', 'postgres://u:Copy-secret9@db.example.com/x'], c.h.env, c.h.dir);
    expect(plain.code).toBe(78);
    expect(lastLine(plain.stderr)).toContain('--to: PostgreSQL host "db.example.com" is not this machine');
    expect(plain.stderr).not.toContain('Copy-secret9');
  }, 120_000);
});
