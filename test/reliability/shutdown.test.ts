/**
 * The daemon on SIGTERM / SIGINT, in the middle of a run: it stops scheduling, lets the write in flight
 * finish (everything fetched before the signal is stored, the counts say so), records the run as
 * interrupted, exits 0 within a bounded time and leaves the database unlocked: no lease row, and a writer
 * gets BEGIN IMMEDIATE at once.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { HELD_ENV } from '../helpers/mid-run.js';
import { harness, type Harness } from '../helpers/harness.js';
import { createHold } from '../../src/emulator/api/hold.js';
import {
  killTrigger,
  mirrorProblems,
  openIfExists,
  recordVersions,
  waitFor,
  type Versions,
} from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface RunRow {
  id: number;
  trigger: string;
  status: string;
  fetched: number;
  error: string | null;
  started_at: string;
}

function runs(x: Harness): RunRow[] {
  const db = openIfExists(x.dbPath);
  if (!db) return [];
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sync_runs'").get()) return [];
    return db
      .prepare('SELECT id, trigger, status, fetched, error, started_at FROM sync_runs ORDER BY id')
      .all() as RunRow[];
  } finally {
    db.close();
  }
}

/** When the daemon logged that it is stopping (JSON log lines carry epoch-ms `time`). */
function stoppingAt(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('stopping: finishing the write in flight'))!;
  return new Date((JSON.parse(line) as { time: number }).time).toISOString();
}

describe('daemon shutdown', () => {
  it.each([
    // SIGTERM while details are being fetched.
    ['SIGTERM', 'fetching'],
    // SIGINT the moment a write batch is seen going to the WAL (large details: long transactions).
    ['SIGINT', 'write'],
  ] as const)(
    '%s during %s: the write finishes, the run is interrupted, exit 0, nothing left locked',
    { timeout: 60_000 },
    async (signal, phase) => {
      h = await harness(
        { issues: 200, seed: signal === 'SIGTERM' ? 81 : 82, knobs: { latencyMs: 5 } },
        { SPEAKUP_CONCURRENCY: '4' },
      );
      if (phase === 'write')
        for (const id of h.emu.data.ids()) h.emu.data.update(id, { description: `${'z'.repeat(40_000)} ${id}` });
      const versions: Versions = new Map();
      recordVersions(h.emu, versions);
      // The startup run fetches 40 details, then its other detail requests wait at the emulator.
      const hold = createHold(['detail'], { after: 40 });
      h.emu.knobs.hold = hold;
      // Every second: a tick arriving while the startup run is still going is skipped, never queued.
      const env = { ...h.env, ...HELD_ENV, SPEAKUP_SCHEDULE: '* * * * * *', SPEAKUP_RUN_AT_START: '1' };
      const daemon = startCli(['daemon'], env, h.dir);
      let stderr = '';
      daemon.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await waitFor(
          () => hold.waiting > 0 || daemon.child.exitCode !== null,
          'the startup run to fetch 40 details and wait for more',
          40_000,
        );
        expect(hold.waiting, stderr.slice(-2000)).toBeGreaterThan(0);
        await waitFor(
          () => stderr.includes('previous run still going: this tick is skipped'),
          'a tick skipped while the startup run goes on',
        );
        if (phase === 'write') {
          const trigger = killTrigger({ phase, after: 1, delayMs: 0 }, h.emu, h.dbPath);
          hold.release();
          await waitFor(trigger, 'a write batch going to the WAL');
        }
        // fetching: the signal arrives with detail requests held in flight.
        daemon.child.kill(signal);
      } finally {
        hold.release();
      }
      const r = await daemon.result;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('stopping: finishing the write in flight');
      expect(r.stderr).toContain('daemon stopped');
      const signalledAt = stoppingAt(r.stderr);

      // One run, the startup one, interrupted; no run started after the signal.
      const all = runs(h);
      expect(all.map((x) => [x.trigger, x.status])).toEqual([['startup', 'interrupted']]);
      expect(all[0]!.error).toBe('stopped by signal before the run finished');
      expect(all.every((x) => x.started_at < signalledAt)).toBe(true);
      expect(r.stderr.match(/this tick is skipped/g)!.length).toBeGreaterThanOrEqual(1);

      const db = new Database(h.dbPath);
      try {
        // Never left locked: a writer gets in at once, and the lease is gone.
        db.pragma('busy_timeout = 0');
        db.exec('BEGIN IMMEDIATE; ROLLBACK');
        expect(db.prepare('SELECT count(*) AS n FROM sync_lock').get()).toEqual({ n: 0 });
        // What was fetched was written, whole: the counts match the rows, every issue with its fields.
        const stored = (db.prepare('SELECT count(*) AS n FROM issues').get() as { n: number }).n;
        expect(stored).toBeGreaterThan(0);
        expect(all[0]!.fetched).toBe(stored);
        expect(mirrorProblems(db, versions)).toEqual([]);
      } finally {
        db.close();
      }
    },
  );
});
