/**
 * Concurrent runs on one database, as real CLI processes: a second sync (or a manual sync next to the
 * daemon) refuses with exit 75 naming the holder (pid, host, since when) or, with --wait, waits and
 * then succeeds; a lock left by a SIGKILLed process is taken over; BI readers (a read-only
 * better-sqlite3 connection with no busy timeout, and the sqlite3 shell, which must be installed) are
 * never blocked by a sync writing in batches.
 *
 * The first sync is held in place by the emulator's gate, which the test opens once the others have seen
 * it: the order of events is driven by what the processes report, not by sleeps.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, runCli, startCli } from '../helpers/cli.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { createHold } from '../../src/emulator/api/hold.js';
import { detailSteps, HELD_ENV, SYNCED_BY_LAST_RUN_SQL } from '../helpers/mid-run.js';
import { requireTool } from '../helpers/tools.js';
import {
  lockRow,
  mirrorProblems,
  openAfterCrash,
  openIfExists,
  recordVersions,
  runRows,
  waitFor,
  type Versions,
} from '../helpers/reliability.js';

const clean = { missing: [], extra: [], different: [] };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The lease row as a reader sees it, or undefined (also while the file or table does not exist yet). */
function holder(x: Harness): { pid: number; host: string; acquired_at: string } | undefined {
  try {
    const db = openIfExists(x.dbPath);
    try {
      return db ? lockRow(db) : undefined;
    } finally {
      db?.close();
    }
  } catch {
    return undefined;
  }
}

function consistent(x: Harness): void {
  const versions: Versions = new Map();
  recordVersions(x.emu, versions);
  const db = new Database(x.dbPath, { readonly: true });
  try {
    expect(mirrorProblems(db, versions)).toEqual([]);
    expect(runRows(db).filter((r) => r.status === 'running')).toEqual([]);
    expect(lockRow(db)).toBeUndefined();
  } finally {
    db.close();
  }
}

describe('two syncs on one database', () => {
  it(
    'the second exits 75 naming the holder; a third with --wait waits, then succeeds',
    { timeout: 60_000 },
    async () => {
      // Detail requests wait at the emulator: the first sync holds the lock until the test lets it go.
      h = await harness({ issues: 120, seed: 71 }, { SPEAKUP_CONCURRENCY: '2', ...HELD_ENV });
      const hold = createHold(['detail']);
      h.emu.knobs.hold = hold;
      const first = startCli(['sync'], h.env, h.dir);
      await waitFor(() => holder(h!)?.pid === first.child.pid, 'the first sync to hold the lock');
      const held = holder(h)!;

      const waiting = startCli(['sync', '--wait'], h.env, h.dir);
      let waitingErr = '';
      waiting.child.stderr!.on('data', (d: Buffer) => (waitingErr += d.toString()));
      const second = await runCli(['sync'], h.env, h.dir);
      expect(second.code).toBe(75);
      expect(lastLine(second.stderr)).toBe(
        `speakup-sync: another sync is running on this database (pid ${first.child.pid} on ${hostname()}, since ${held.acquired_at}); wait for it to finish, or run with --wait`,
      );
      await waitFor(() => waitingErr.includes('waiting for the sync held by'), 'the --wait sync to wait');

      // Let the first one finish; the waiting one then takes its turn.
      hold.release();
      const [a, c] = await Promise.all([first.result, waiting.result]);
      expect(a.code, a.stderr).toBe(0);
      expect(c.code, c.stderr).toBe(0);
      expect(waitingErr).toContain(
        `waiting for the sync held by pid ${first.child.pid} on ${hostname()}, since ${held.acquired_at}`,
      );
      const db = new Database(h.dbPath, { readonly: true });
      const runs = db.prepare('SELECT pid, status, started_at, finished_at FROM sync_runs ORDER BY id').all() as {
        pid: number;
        status: string;
        started_at: string;
        finished_at: string;
      }[];
      db.close();
      // The refused sync never started a run; the waiting one started after the first had finished.
      expect(runs.map((r) => [r.pid, r.status])).toEqual([
        [first.child.pid, 'succeeded'],
        [waiting.child.pid, 'succeeded'],
      ]);
      expect(runs[1]!.started_at >= runs[0]!.finished_at).toBe(true);
      expect(mirrorDiff(h)).toEqual(clean);
      consistent(h);
    },
  );

  it(
    'a lock left by a SIGKILLed sync is taken over by the next run, whose dead run is marked interrupted',
    { timeout: 60_000 },
    async () => {
      h = await harness({ issues: 80, seed: 72, knobs: { latencyMs: 200 } }, { SPEAKUP_CONCURRENCY: '2' });
      const dead = startCli(['sync'], h.env, h.dir);
      await waitFor(
        () => holder(h!)?.pid === dead.child.pid && h!.emu.counters.requests.detail > 4,
        'the first sync to hold the lock and fetch',
        45_000,
      );
      dead.child.kill('SIGKILL');
      expect((await dead.result).signal).toBe('SIGKILL');
      const left = openAfterCrash(h.dbPath)!;
      expect(lockRow(left.db)?.pid).toBe(dead.child.pid);
      left.db.close();

      h.emu.knobs.latencyMs = 0;
      const next = await runCli(['sync'], h.env, h.dir);
      expect(next.code, next.stderr).toBe(0);
      const logs = next.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string; holder?: { pid: number } });
      expect(logs.find((l) => l.msg === 'took over the sync lock of a process that is gone')?.holder?.pid).toBe(
        dead.child.pid,
      );
      expect(logs.some((l) => l.msg === 'marked runs left "running" by a dead process as interrupted')).toBe(true);
      const db = new Database(h.dbPath, { readonly: true });
      const runs = runRows(db);
      db.close();
      expect(runs).toEqual([
        {
          id: 1,
          status: 'interrupted',
          pid: dead.child.pid,
          error: expect.stringMatching(new RegExp(`^interrupted: process ${dead.child.pid} on .+ is gone`)),
        },
        { id: 2, status: 'succeeded', pid: expect.any(Number), error: null },
      ]);
      expect(mirrorDiff(h)).toEqual(clean);
      consistent(h);
    },
  );
});

describe('the daemon plus a manual sync', () => {
  it(
    'the manual sync exits 75 naming the daemon; the daemon then stops cleanly and the next run succeeds',
    { timeout: 60_000 },
    async () => {
      h = await harness({ issues: 60, seed: 74 }, { SPEAKUP_CONCURRENCY: '2', ...HELD_ENV });
      const hold = createHold(['detail']);
      h.emu.knobs.hold = hold;
      const daemon = startCli(
        ['daemon'],
        { ...h.env, SPEAKUP_SCHEDULE: '0 0 1 1 *', SPEAKUP_RUN_AT_START: '1' },
        h.dir,
      );
      await waitFor(() => holder(h!)?.pid === daemon.child.pid, 'the daemon to hold the lock');
      const held = holder(h)!;
      const manual = await runCli(['sync'], h.env, h.dir);
      expect(manual.code).toBe(75);
      expect(lastLine(manual.stderr)).toContain(
        `another sync is running on this database (pid ${daemon.child.pid} on ${hostname()}, since ${held.acquired_at})`,
      );
      daemon.child.kill('SIGTERM');
      expect((await daemon.result).code).toBe(0);
      hold.release();
      const next = await h.sync();
      expect(next.status, next.error).toBe('succeeded');
      expect(mirrorDiff(h)).toEqual(clean);
      consistent(h);
      const db = new Database(h.dbPath, { readonly: true });
      expect(runRows(db).map((r) => r.status)).toEqual(['interrupted', 'succeeded']);
      db.close();
    },
  );
});

describe('BI readers during a sync', () => {
  it('are never blocked: every query answers at once, never SQLITE_BUSY', { timeout: 120_000 }, async () => {
    h = await harness({ issues: 400, seed: 73 });
    // A first sync creates the schema, as it would exist when a BI tool connects.
    expect((await h.sync()).status).toBe('succeeded');
    // Large details make every write batch a long transaction: the worst case for a reader.
    for (const id of h.emu.data.ids()) h.emu.data.update(id, { description: 'y'.repeat(30_000) });
    const reader = new Database(h.dbPath, { readonly: true });
    // No busy timeout: a reader that had to wait for the writer would fail at once with SQLITE_BUSY.
    reader.pragma('busy_timeout = 0');
    const queries = [
      reader.prepare('SELECT count(*) AS n FROM current_issues'),
      reader.prepare('SELECT status, count(*) AS n FROM current_issues GROUP BY status'),
      reader.prepare('SELECT count(*) AS n FROM issue_fields'),
      reader.prepare('SELECT * FROM latest_runs LIMIT 3'),
      reader.prepare('SELECT sum(length(data)) AS bytes FROM issues'),
    ];
    requireTool('sqlite3');
    const storedByRun = reader.prepare(SYNCED_BY_LAST_RUN_SQL).pluck();
    // The details pass a hundred at a time: the readers are sure to meet the run at several stages.
    const steps = detailSteps(h.emu, 100);
    const sync = startCli(['sync', '--full'], { ...h.env, ...HELD_ENV }, h.dir);
    let finished = false;
    void sync.result.then(() => (finished = true));
    let reads = 0;
    let shellReads = 0;
    const seen = new Set<number>();
    let stage = 100;
    try {
      while (!finished) {
        for (const q of queries) {
          q.all();
          reads++;
        }
        const running =
          (reader.prepare("SELECT count(*) AS n FROM sync_runs WHERE status = 'running'").get() as { n: number }).n > 0;
        const stored = storedByRun.get() as number;
        if (running) seen.add(stored);
        if (reads % 10 === 0) {
          // The sqlite3 shell, read-only, also with no busy timeout (its default).
          const r = spawnSync('sqlite3', ['-readonly', h.dbPath, 'SELECT count(*) FROM current_issues;'], {
            encoding: 'utf8',
          });
          expect(r.stderr).toBe('');
          expect(r.status).toBe(0);
          shellReads++;
        }
        if (running && stored >= stage) {
          stage += 100;
          if (stage <= 300) steps.advance();
          else steps.done();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      steps.done();
      reader.close();
    }
    const r = await sync.result;
    expect(r.code, r.stderr).toBe(0);
    // The readers met the run at three stages at least, and the shell read along.
    expect([...seen].filter((n) => n >= 100).length).toBeGreaterThanOrEqual(3);
    expect(shellReads).toBeGreaterThan(0);
    expect(mirrorDiff(h)).toEqual(clean);
  });
});
