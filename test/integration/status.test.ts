/**
 * `speakup-sync status` and `speakup-sync snapshot` as operators run them: child processes of the real
 * bin with SPEAKUP_DB as the only setting (no API URL, no credentials), against a synced temp database.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultStaleAfterMs, parseDuration } from '../../src/config/duration.js';
import { formatDuration as formatAge } from '../../src/format.js';
import { loadDbConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { harness, type Harness } from '../helpers/harness.js';
import { lastLine, runCli } from '../helpers/cli.js';
import { currentVersionsStored, syncHeldMidRun } from '../helpers/mid-run.js';
import { mirrorProblems, recordVersions, type Versions } from '../helpers/reliability.js';

/** The parts of `status --json` these tests read. */
interface StatusJson {
  database: { path: string; sizeBytes: number };
  runs: { id: number; status: string; durationSeconds: number | null }[];
  running: unknown;
  lastSuccess: unknown;
  issues: { mirrored: number; deleted: number };
}

const HOUR = 3_600_000;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The database-only environment: nothing but SPEAKUP_DB (and extras). */
const dbEnv = (x: Harness, extra: Record<string, string> = {}) => ({ SPEAKUP_DB: x.dbPath, ...extra });
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The lease row as a reader sees it. */
function lockHolder(x: Harness): { pid: number; acquired_at: string } | undefined {
  const db = x.read();
  try {
    return db.prepare('SELECT pid, acquired_at FROM sync_lock').get() as
      { pid: number; acquired_at: string } | undefined;
  } finally {
    db.close();
  }
}

function ageRuns(path: string, ms: number): void {
  const db = new Database(path);
  const at = new Date(Date.now() - ms).toISOString();
  db.prepare('UPDATE sync_runs SET started_at = ?, finished_at = ?, heartbeat_at = ?').run(at, at, at);
  db.close();
}

describe('durations and the database-only config', () => {
  it('parses and formats durations', () => {
    expect(['90s', '15m', '1h30m', '2d', '500ms', '1.5h'].map(parseDuration)).toEqual([
      90_000, 900_000, 5_400_000, 172_800_000, 500, 5_400_000,
    ]);
    for (const bad of ['', '10', 'h', '1x', '0s', '-1h', '1h 2m']) expect(parseDuration(bad), bad).toBeUndefined();
    expect([12_000, 240_000, 3 * HOUR + 120_000, 52 * HOUR].map(formatAge)).toEqual([
      '12 s',
      '4 min',
      '3 h 2 min',
      '2 d 4 h',
    ]);
  });

  it('derives the default threshold from the schedule: twice the longest gap, at least 1 h', () => {
    expect(defaultStaleAfterMs('*/15 * * * *', 'UTC')).toBe(HOUR);
    expect(defaultStaleAfterMs('0 */2 * * *', 'UTC')).toBe(4 * HOUR);
    // Weekdays at 03:00: the weekend gap (3 days) counts, so Mondays do not alarm.
    expect(defaultStaleAfterMs('0 3 * * 1-5', 'UTC')).toBe(6 * 24 * HOUR);
  });

  it('needs only SPEAKUP_DB, and still reports every problem of what it reads', () => {
    const c = loadDbConfig({ SPEAKUP_DB: 'x.db' }, { dotenv: false, cwd: '/srv' });
    expect(c).toEqual({
      dbPath: '/srv/x.db',
      staleAfterMs: HOUR,
      partialAlertAfter: 3,
      logLevel: 'info',
      warnings: [],
    });
    expect(loadDbConfig({ SPEAKUP_STALE_AFTER: '45m' }, { dotenv: false, cwd: '/srv' }).staleAfterMs).toBe(2_700_000);
    try {
      loadDbConfig({ SPEAKUP_STALE_AFTER: 'soon', SPEAKUP_SCHEDULE: 'daily' }, { dotenv: false });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'SPEAKUP_STALE_AFTER: expected a duration such as 90m, 2h or 1d (got "soon")',
        'SPEAKUP_SCHEDULE: expected a cron expression such as "*/15 * * * *" (got "daily")',
      ]);
    }
  });
});

describe('speakup-sync status', () => {
  it('shows runs, counts, size and freshness without credentials, exits 0, and writes nothing', async () => {
    h = await harness({ issues: 40 });
    expect((await h.sync()).status).toBe('succeeded');
    h.emu.data.remove(h.emu.data.ids()[0]!);
    expect((await h.sync()).status).toBe('succeeded');
    const before = sha(h.dbPath);

    const r = await runCli(['status'], dbEnv(h), h.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^OK: last successful run ended \d+ s ago \(threshold 1 h\)$/);
    expect(r.stdout).toContain(`database      ${h.dbPath}\n`);
    expect(r.stdout).toMatch(/^size {10}\d+(\.\d)? (KB|MB)/m);
    expect(r.stdout).toContain('issues        39 mirrored, 1 deleted\n');
    expect(r.stdout).toContain('sync          idle\n');
    expect(r.stdout).toMatch(
      /^run +started +duration +status +trigger +listed +fetched +unchanged +deleted +failed +requests +429s +error$/m,
    );
    expect(r.stdout).toMatch(/^ +2 +\S+Z +[\d.]+ s +succeeded +manual +39 +0 +39 +1 +0 +\d+ +0$/m);
    expect(r.stdout).toMatch(/^ +1 +\S+Z +[\d.]+ s +succeeded +manual +40 +40 +0 +0 +0 +\d+ +0$/m);
    expect(sha(h.dbPath)).toBe(before);

    const j = await runCli(['status', '--json'], dbEnv(h), h.dir);
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout) as StatusJson;
    expect(report).toMatchObject({
      ok: true,
      staleAfterSeconds: 3600,
      running: null,
      issues: { mirrored: 39, deleted: 1 },
      lastSuccess: { runId: 2 },
    });
    expect(report.database).toMatchObject({ path: h.dbPath });
    expect(report.database.sizeBytes).toBe(statSync(h.dbPath).size);
    expect(report.runs.map((x) => [x.id, x.status])).toEqual([
      [2, 'succeeded'],
      [1, 'succeeded'],
    ]);
    expect(report.runs[0]).toMatchObject({ listed: 39, deleted: 1, failed: 0, throttled: 0 });
    expect(report.runs[0]!.durationSeconds).toBeGreaterThan(0);
  }, 60_000);

  it('exits 1 with a one-line reason when the last success is older than the threshold', async () => {
    h = await harness({ issues: 10 });
    expect((await h.sync()).status).toBe('succeeded');
    ageRuns(h.dbPath, 2 * HOUR);

    const r = await runCli(['status'], dbEnv(h), h.dir);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('STALE: last successful run ended 2 h ago, older than the 1 h threshold');
    expect(lastLine(r.stderr)).toBe(
      'speakup-sync: stale: last successful run ended 2 h ago, older than the 1 h threshold',
    );
    expect((await runCli(['status'], dbEnv(h, { SPEAKUP_STALE_AFTER: '3h' }), h.dir)).code).toBe(0);
    const j = await runCli(['status', '--json', '--max-age', '90m'], dbEnv(h), h.dir);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, staleAfterSeconds: 5400 });
  }, 60_000);

  it('exits 1 when no run ever succeeded, and when there is no database (creating none)', async () => {
    h = await harness({ issues: 5 });
    expect((await h.sync({}, { SPEAKUP_PASSWORD: 'wrong-Passw0rd!' })).status).toBe('failed');
    const r = await runCli(['status', '--json'], dbEnv(h), h.dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      reason: 'no successful run yet',
      lastSuccess: null,
      runs: [{ id: 1, status: 'failed' }],
    });

    const missing = join(h.dir, 'nope', 'none.db');
    const m = await runCli(['status'], { SPEAKUP_DB: missing }, h.dir);
    expect(m.code).toBe(1);
    expect(lastLine(m.stderr)).toBe(
      `speakup-sync: no database at "${missing}"; run speakup-sync sync first, or set SPEAKUP_DB`,
    );
    expect(existsSync(missing)).toBe(false);
    expect((await runCli(['status', '--max-age', 'soon'], dbEnv(h), h.dir)).code).toBe(64);
  }, 60_000);

  it('answers while a sync holds the lock part-way through its run, without touching the lock', async () => {
    h = await harness({ issues: 120 });
    expect((await h.sync()).status).toBe('succeeded');
    // The run stops after 30 of 120 details, committed, with the lock held and the run open.
    const mid = await syncHeldMidRun(h, 30);
    const held = lockHolder(h);
    expect(held?.pid).toBe(mid.pid);

    const [r, human] = await Promise.all([
      runCli(['status', '--json'], dbEnv(h), h.dir),
      runCli(['status'], dbEnv(h), h.dir),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as StatusJson;
    expect(report.running).toMatchObject({ runId: 2, pid: mid.pid });
    expect(report.runs[0]).toMatchObject({ id: 2, status: 'running', durationSeconds: null });
    expect(report.lastSuccess).toMatchObject({ runId: 1 });
    expect(report.issues).toEqual({ mirrored: 120, deleted: 0 });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(`^sync {10}running: run 2, pid ${mid.pid} on \\S+, since \\S+Z, last heartbeat \\d+ s ago$`, 'm'),
    );
    expect(human.stdout).toMatch(/^ +2 +\S+Z +- +running +manual /m);
    // Status took nothing: the same lease, and the sync still had nothing more to write.
    expect(lockHolder(h)).toEqual(held);
    expect(currentVersionsStored(h.dbPath, h.emu)).toBe(30);
    mid.hold.release();
    const done = await mid.result;
    expect(done.code, done.stderr).toBe(0);
    expect(currentVersionsStored(h.dbPath, h.emu)).toBe(120);
  }, 60_000);
});

describe('speakup-sync snapshot', () => {
  it('writes a consistent private copy in rollback-journal mode, and replaces an older snapshot', async () => {
    h = await harness({ issues: 60 });
    expect((await h.sync()).status).toBe('succeeded');
    const target = join(h.dir, 'export', 'speakup.db');
    const r = await runCli(['snapshot', target], dbEnv(h), h.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^snapshot written: ${target.replace(/[.]/g, '\\.')} \\(60 issues, [\\d.]+ (KB|MB)\\) in [\\d.]+ s\\n$`,
      ),
    );
    expect(statSync(target).mode & 0o777).toBe(0o600);

    h.emu.data.add(5);
    expect((await h.sync()).status).toBe('succeeded');
    expect((await runCli(['snapshot', target, '--quiet'], dbEnv(h), h.dir)).code).toBe(0);
    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT count(*) AS n FROM current_issues').get()).toEqual({ n: 65 });
    const inLive = h.read();
    const matches = "SELECT count(*) AS n FROM issues_fts WHERE issues_fts MATCH 'supplier'";
    const supplier = (inLive.prepare(matches).get() as { n: number }).n;
    inLive.close();
    // The generated corpus mentions suppliers: the copy's full-text index answers as the live one does.
    expect(supplier).toBeGreaterThan(0);
    expect(copy.prepare(matches).get()).toEqual({ n: supplier });
    copy.close();
    expect(existsSync(`${target}-wal`)).toBe(false);
  }, 60_000);

  it('is consistent while a sync is part-way through its run', async () => {
    h = await harness({ issues: 150 });
    expect((await h.sync()).status).toBe('succeeded');
    const old: Versions = new Map();
    recordVersions(h.emu, old);
    // 40 of the 150 changed details are committed, the other 110 wait at the emulator.
    const mid = await syncHeldMidRun(h, 40);
    const versions: Versions = new Map(old);
    recordVersions(h.emu, versions);
    const target = join(h.dir, 'during.db');
    const r = await runCli(['snapshot', target], dbEnv(h), h.dir);
    mid.hold.release();
    expect((await mid.result).code).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const copy = new Database(target, { readonly: true });
    try {
      // Taken mid-run: run 2 still running, exactly the 40 committed issues in their new version.
      expect(copy.prepare('SELECT id, status FROM sync_runs ORDER BY id DESC LIMIT 1').get()).toEqual({
        id: 2,
        status: 'running',
      });
      expect(currentVersionsStored(target, h.emu)).toBe(40);
      expect(copy.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 150 });
      // Every issue, old or new, with exactly its own field-value, FTS and sighting rows.
      expect(mirrorProblems(copy, versions)).toEqual([]);
    } finally {
      copy.close();
    }
  }, 60_000);

  it('refuses the live database and files that are not SQLite databases', async () => {
    h = await harness({ issues: 5 });
    expect((await h.sync()).status).toBe('succeeded');
    const live = await runCli(['snapshot', h.dbPath], dbEnv(h), h.dir);
    expect(live.code).toBe(1);
    expect(lastLine(live.stderr)).toBe(
      `speakup-sync: refusing to write a snapshot to "${h.dbPath}": it is the live database; give another path`,
    );
    const notes = join(h.dir, 'notes.txt');
    writeFileSync(notes, 'keep me\n');
    const other = await runCli(['snapshot', notes], dbEnv(h), h.dir);
    expect(other.code).toBe(1);
    expect(lastLine(other.stderr)).toContain('it exists and is not a SQLite database');
    expect(readFileSync(notes, 'utf8')).toBe('keep me\n');
    expect((await runCli(['snapshot'], dbEnv(h), h.dir)).code).toBe(64);
  }, 60_000);
});
