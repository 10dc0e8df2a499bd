/**
 * A run paused past the lock's stale limit (SIGSTOP: `docker pause`, a suspended VM) loses its lease to
 * the next run. Real CLI processes on one SQLite file against the emulator: the first is stopped
 * mid-run, a second takes the lock over and completes, then the first resumes. It must find out at its
 * next heartbeat, fetch nothing more, delete nothing and end `interrupted`, leaving the newer run's
 * sightings as they are. And a heartbeat that fails for real (another connection rewrote or deleted the
 * lock row) stops the run the same way, before the deletions it had due.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, startCli } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';
import { HELD_ENV, syncHeldMidRun } from '../helpers/mid-run.js';

let h: Harness | undefined;
const stopped: number[] = [];
afterEach(async () => {
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await h?.close();
  h = undefined;
});

/** A short stale limit, so the test waits seconds, not minutes (heartbeats come every sixth of it). */
const STALE_ENV = { SPEAKUP_LOCK_STALE_AFTER: '2s' };

function query<T>(dbPath: string, sql: string): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('a sync paused past the lock stale limit', () => {
  it('is taken over; resumed, it stops at its next heartbeat, deletes nothing and ends interrupted', async () => {
    h = await harness({ issues: 12 });
    expect((await h.sync()).status).toBe('succeeded');
    const first = await syncHeldMidRun(h, 3, ['sync'], STALE_ENV);
    const held = h.emu.knobs.hold!;
    process.kill(first.pid, 'SIGSTOP');
    stopped.push(first.pid);
    // The first run's remaining detail requests stay at the old gate; the second run's pass.
    h.emu.knobs.hold = null;

    const second = await startCli(['sync', '--wait'], { ...h.env, ...HELD_ENV, ...STALE_ENV }, h.dir).result;
    expect(second.code, second.stderr).toBe(0);
    const takeover = second.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; holder?: { pid: number } })
      .find((l) => l.msg === 'took over the sync lock of a process that is gone');
    expect(takeover?.holder?.pid).toBe(first.pid);
    const detailsBefore = h.emu.counters.requests.detail;

    process.kill(first.pid, 'SIGCONT');
    const a = await first.result;
    stopped.splice(0);
    held.release();
    // Exit 75, as for a lock held by another run, and the reason as the last line.
    expect(a.code, a.stderr).toBe(75);
    expect(a.stdout).toMatch(/^sync interrupted \(run \d+\): 12 listed, 3 fetched, 0 unchanged, 0 deleted/);
    expect(lastLine(a.stderr)).toMatch(/^the sync lock was taken over by another process.*deleted nothing$/);
    // Nothing fetched after it resumed (its held requests were cut short, none was sent again).
    expect(h.emu.counters.requests.detail).toBe(detailsBefore);

    const runs = query<{ id: number; status: string; error: string | null }>(
      h.dbPath,
      'SELECT id, status, error FROM sync_runs ORDER BY id',
    );
    const [, aRun, bRun] = runs;
    expect(runs).toHaveLength(3);
    expect(aRun).toMatchObject({ status: 'interrupted' });
    expect(aRun!.error).toMatch(/taken over by another process.*deleted nothing/);
    expect(bRun).toMatchObject({ status: 'succeeded' });
    expect(query(h.dbPath, 'SELECT id FROM issues WHERE deleted_at IS NOT NULL')).toEqual([]);
    // The newer run's sightings stand: the older run's late writes did not move them back.
    const sightings = query<{ run: number }>(h.dbPath, 'SELECT DISTINCT last_listed_run AS run FROM issue_sightings');
    expect(sightings).toEqual([{ run: bRun!.id }]);
    expect(query(h.dbPath, 'SELECT * FROM sync_lock')).toEqual([]);
  }, 90_000);
});

describe('a lock heartbeat that fails on the real file', () => {
  it.each([
    [
      'another process rewrites the lock row with its own token',
      "UPDATE sync_lock SET token = 'ffffffffffffffffffffffffffffffff'",
    ],
    ['the lock row is deleted', 'DELETE FROM sync_lock'],
  ])(
    '%s: the run stops as a lost lease, and the deletions it had due are not made',
    async (_what, sql) => {
      h = await harness({ issues: 10 });
      expect((await h.sync()).status).toBe('succeeded');
      // Two issues vanish at the source: a complete run would confirm and soft-delete them.
      const gone = h.emu.data.ids().slice(0, 2);
      for (const id of gone) h.emu.data.remove(id);
      const run = await syncHeldMidRun(h, 2, ['sync'], STALE_ENV);
      const db = new Database(h.dbPath);
      try {
        expect(db.prepare(sql).run().changes).toBe(1);
      } finally {
        db.close();
      }
      // The held requests are let go only once the run has given up: its next heartbeat finds the row not its own.
      const a = await run.result;
      run.hold.release();
      expect(a.code, a.stderr).toBe(75);
      expect(lastLine(a.stderr)).toMatch(/^the sync lock was taken over by another process/);
      const last = query<{ status: string; deleted: number }>(
        h.dbPath,
        'SELECT status, deleted FROM sync_runs ORDER BY id DESC LIMIT 1',
      );
      expect(last).toEqual([{ status: 'interrupted', deleted: 0 }]);
      expect(query(h.dbPath, 'SELECT id FROM issues WHERE deleted_at IS NOT NULL')).toEqual([]);
      // The next run completes the work, deletions included.
      expect((await h.sync()).counts.deleted).toBe(2);
    },
    60_000,
  );
});
