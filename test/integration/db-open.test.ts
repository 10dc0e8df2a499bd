import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, SyncError } from '../../src/errors.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';

let dir: string;
const open: DatabaseHandle[] = [];
const openDb = (path: string, log?: { warn(msg: string): void }): DatabaseHandle => {
  const h = openDatabase(path, log ? { log } : {});
  open.push(h);
  return h;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-db-open-'));
});
afterEach(() => {
  for (const h of open.splice(0)) h.close();
  rmSync(dir, { recursive: true, force: true });
});

const names = (h: DatabaseHandle, type: string): string[] =>
  (
    h.sqlite
      .prepare(`SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .all(type) as { name: string }[]
  ).map((r) => r.name);

describe('openDatabase', () => {
  it('creates the schema on a fresh file: tables, FTS, views, indexes', () => {
    const h = openDb(join(dir, 'a.db'));
    expect(names(h, 'table')).toEqual(
      expect.arrayContaining([
        '__drizzle_migrations',
        'issue_changes',
        'issue_field_values',
        'issue_sightings',
        'issues',
        'issues_fts',
        'sync_lock',
        'sync_runs',
      ]),
    );
    expect(names(h, 'view')).toEqual(['current_issues', 'issue_fields', 'latest_runs']);
    expect(names(h, 'index')).toEqual(
      expect.arrayContaining([
        'issues_updated_at_idx',
        'issues_status_idx',
        'issues_domain_id_idx',
        'issues_deleted_at_idx',
        'issues_received_at_idx',
        'issue_sightings_last_listed_run_idx',
        'issue_changes_issue_field_idx',
      ]),
    );
    const sql = (h.sqlite.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'issues_fts'`).get() as { sql: string })
      .sql;
    expect(sql).toMatch(/USING fts5/);
    expect(h.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(h.warnings).toEqual([]);
  });

  it('declares timestamp columns DATETIME, so BI tools see dates', () => {
    const h = openDb(join(dir, 'a.db'));
    const types = new Map(
      (h.sqlite.pragma('table_info(issues)') as { name: string; type: string }[]).map((c) => [c.name, c.type]),
    );
    for (const c of [
      'created_at',
      'updated_at',
      'received_at',
      'acknowledged_at',
      'due_at',
      'closed_at',
      'synced_at',
      'first_seen_at',
      'deleted_at',
    ]) {
      expect(types.get(c), c).toBe('DATETIME');
    }
    expect(types.get('id')).toBe('INTEGER');
  });

  it('applies migrations once: reopening keeps data and the journal table unchanged', () => {
    const path = join(dir, 'a.db');
    const first = openDb(path);
    first.sqlite
      .prepare(
        `INSERT INTO sync_runs (started_at, status, "trigger") VALUES ('2025-01-01T00:00:00.000Z', 'running', 'manual')`,
      )
      .run();
    const applied = first.sqlite.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all();
    first.close();
    const again = openDb(path);
    expect(again.sqlite.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all()).toEqual(
      applied,
    );
    expect(applied).toHaveLength(journalEntries().length);
    expect(again.sqlite.prepare('SELECT count(*) AS n FROM sync_runs').get()).toEqual({ n: 1 });
  });

  it('keeps migration journal times strictly increasing (the migrator skips older ones)', () => {
    const whens = journalEntries().map((e) => e.when);
    expect(whens.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < whens.length; i++) expect(whens[i]).toBeGreaterThan(whens[i - 1] as number);
  });

  it('sets WAL, busy timeout, foreign keys, synchronous=NORMAL and 16 KiB pages', () => {
    const path = join(dir, 'a.db');
    const h = openDb(path);
    expect(h.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(h.sqlite.pragma('busy_timeout', { simple: true })).toBe(10_000);
    expect(h.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(h.sqlite.pragma('synchronous', { simple: true })).toBe(1);
    expect(h.sqlite.pragma('page_size', { simple: true })).toBe(16_384);
    // WAL is a property of the file: a plain reader sees it too.
    const reader = new Database(path, { readonly: true });
    expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
  });

  it('creates a missing directory 0700 and the file 0600', () => {
    const path = join(dir, 'nested', 'deeper', 'mirror.db');
    openDb(path);
    expect(statSync(join(dir, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('makes an existing file readable by others private again, with its -wal and -shm, and says so', () => {
    const path = join(dir, 'a.db');
    openDb(path).sqlite.exec('CREATE TABLE keep_wal_open (x)'); // stays open: its -wal and -shm exist
    const files = [path, `${path}-wal`, `${path}-shm`];
    for (const p of files) chmodSync(p, 0o644);
    const logged: string[] = [];
    const h = openDb(path, { warn: (m) => logged.push(m) });
    expect(h.warnings).toEqual([
      `database file "${path}" was accessible by group/others (mode 0644); made it private (mode 0600)`,
    ]);
    expect(logged).toEqual(h.warnings);
    expect(files.map((p) => statSync(p).mode & 0o777)).toEqual([0o600, 0o600, 0o600]);
    expect(openDb(path).warnings).toEqual([]);
  });

  it('refuses, with exit code 78, an exposed file that belongs to another user, and leaves its mode alone', () => {
    // Root can give a file away; anyone else finds a root-owned, world-readable file in /etc.
    let path = '/etc/os-release';
    if (process.getuid?.() === 0) {
      path = join(dir, 'theirs.db');
      openDb(path).close();
      chmodSync(path, 0o644);
      chownSync(path, 65534, 65534);
    }
    const before = statSync(path).mode & 0o777;
    expect(before & 0o077).not.toBe(0);
    const err = (() => {
      try {
        openDb(path);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('opened a file owned by another user that others can read');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(78);
    expect(err.message).toContain(
      `database file "${path}" is accessible by group/others (mode 0${before.toString(8)}) and owned by another user; have its owner run: chmod 600 "${path}"`,
    );
    expect(statSync(path).mode & 0o777).toBe(before);
  });

  it('refuses a file that is not a database with one line naming the path and the fix', () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough '.repeat(20));
    const err = catchError(() => openDatabase(path));
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe('DB_ERROR');
    expect((err as SyncError).message).toBe(
      `cannot open database "${path}": file is not a database; it is not a SQLite database: move it away or set SPEAKUP_DB to another file`,
    );
  });

  it('refuses a directory given as the database path', () => {
    const err = catchError(() => openDatabase(dir));
    expect((err as SyncError).code).toBe('DB_ERROR');
    expect((err as SyncError).message).toMatch(new RegExp(`^cannot open database "${dir}": .*; `));
    expect((err as SyncError).message).not.toContain('\n');
  });

  it('finds its migrations whatever the working directory, and resolves a relative path', () => {
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const h = openDb('relative/x.db');
      expect(h.path).toBe(join(dir, 'relative', 'x.db'));
      expect(names(h, 'view')).toContain('current_issues');
    } finally {
      process.chdir(cwd);
    }
  });

  it('lets several processes open and migrate the same fresh file at once', async () => {
    const path = join(dir, 'race.db');
    const openUrl = new URL('../../src/db/open.ts', import.meta.url).href;
    const code = `import { openDatabase } from ${JSON.stringify(openUrl)}; openDatabase(${JSON.stringify(path)}).close();`;
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (c) => resolve({ code: c, stderr }));
        }),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => r.stderr)).toEqual(['', '', '', '']);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const h = openDb(path);
    expect(h.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({
      n: journalEntries().length,
    });
    expect(h.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 60_000);
});

function journalEntries(): { when: number; tag: string }[] {
  const journal = JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8')) as {
    entries: { when: number; tag: string }[];
  };
  return journal.entries;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
