/**
 * What the README promises of the daemon, checked on the real CLI (child processes): the schedule in
 * SPEAKUP_TIMEZONE, a scheduled run skipped (and counted in /metrics) while a manual sync holds the
 * database, /healthz turning 503 once the last success grows older than SPEAKUP_STALE_AFTER while the
 * daemon runs, and a second signal exiting at once while the first is still finishing the write.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import { startCli, type CliResult } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';
import { HELD_ENV, syncHeldMidRun } from '../helpers/mid-run.js';
import { runRows, waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await h?.close();
  h = undefined;
});

interface Daemon {
  pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** JSON log lines so far. */
  logs(): Record<string, unknown>[];
  signal(sig: NodeJS.Signals): void;
  result: Promise<CliResult>;
}

function startDaemon(x: Harness, env: Record<string, string>): Daemon {
  const { child, result } = startCli(['daemon'], { ...x.env, ...env }, x.dir);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  stops.push(() => child.exitCode === null && child.kill('SIGKILL'));
  return {
    pid: child.pid!,
    stderr: () => err,
    logs: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    signal: (sig) => child.kill(sig),
    result,
  };
}

/** Waits for a log line with message `msg`; a generous deadline only catches hangs. */
async function logged(d: Daemon, msg: string): Promise<Record<string, unknown>> {
  await waitFor(() => d.logs().some((l) => l.msg === msg), `the daemon to log "${msg}"`, 40_000, 20);
  return d.logs().find((l) => l.msg === msg)!;
}

/** The next instant after `from` whose UTC time of day is hh:mm. */
function nextUtc(from: number, hh: number, mm: number): string {
  const d = new Date(from);
  d.setUTCHours(hh, mm, 0, 0);
  if (d.getTime() <= from) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

describe('the daemon schedule', () => {
  it('runs SPEAKUP_SCHEDULE in SPEAKUP_TIMEZONE', async () => {
    h = await harness({ issues: 3 });
    // 03:30 in Tokyo (UTC+9, no daylight saving) is 18:30 UTC; in UTC it is 03:30 UTC.
    for (const [timezone, hh] of [
      ['Asia/Tokyo', 18],
      ['UTC', 3],
    ] as const) {
      const before = Date.now();
      const d = startDaemon(h, {
        SPEAKUP_SCHEDULE: '30 3 * * *',
        SPEAKUP_TIMEZONE: timezone,
        SPEAKUP_RUN_AT_START: '0',
      });
      const waiting = await logged(d, 'waiting for the first scheduled run');
      expect(await logged(d, 'daemon started')).toMatchObject({ schedule: '30 3 * * *', timezone });
      d.signal('SIGTERM');
      expect((await d.result).code).toBe(0);
      const after = Date.now();
      // Either side of the start, in case the process started across the minute the schedule names.
      expect([nextUtc(before, hh, 30), nextUtc(after, hh, 30)], timezone).toContain(waiting.next);
    }
  }, 60_000);

  it('skips a scheduled run while a manual sync holds the database, and counts it in /metrics', async () => {
    h = await harness({ issues: 60 });
    expect((await h.sync()).status).toBe('succeeded');
    const manual = await syncHeldMidRun(h, 10);
    const d = startDaemon(h, { SPEAKUP_SCHEDULE: '* * * * * *', SPEAKUP_RUN_AT_START: '0', SPEAKUP_METRICS_PORT: '0' });
    try {
      const skip = `another sync is running on this database (pid ${manual.pid}`;
      await waitFor(() => d.stderr().includes(skip), 'a scheduled run to find the database held', 40_000, 20);
      const url = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(d.stderr())![1]!;
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const skipped = Number(/^speakup_sync_runs_skipped_total (\d+)$/m.exec(metrics)?.[1]);
      expect(skipped).toBeGreaterThanOrEqual(1);
      expect(skipped).toBe(
        d.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('another sync is running')).length,
      );
      expect(metrics).toContain('speakup_sync_runs_total{status="succeeded"} 0\n');
      expect(
        d.logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('another sync is running'))?.level,
      ).toBe(40);
    } finally {
      d.signal('SIGTERM');
      manual.hold.release();
    }
    expect((await d.result).code).toBe(0);
    expect((await manual.result).code).toBe(0);
    // The daemon started no run of its own: only the first sync and the manual one are recorded.
    const db = h.read();
    try {
      expect(runRows(db).map((r) => [r.pid, r.status])).toEqual([
        [process.pid, 'succeeded'],
        [manual.pid, 'succeeded'],
      ]);
    } finally {
      db.close();
    }
  }, 90_000);
});

describe('the daemon /healthz', () => {
  it('turns 503 while the daemon runs, once the last success is older than SPEAKUP_STALE_AFTER', async () => {
    h = await harness({ issues: 10 });
    const d = startDaemon(h, {
      SPEAKUP_SCHEDULE: '0 0 1 1 *',
      SPEAKUP_RUN_AT_START: '1',
      SPEAKUP_METRICS_PORT: '0',
      SPEAKUP_STALE_AFTER: '6s',
    });
    try {
      await logged(d, 'next run scheduled');
      const url = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(d.stderr())![1]!;
      const health = async () => {
        const res = await fetch(`${url}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const seen: number[] = [];
      // Fresh after the start-up run; then, with no run due, stale: polled until it turns, without a sleep bound.
      let last = await health();
      seen.push(last.status);
      const deadline = Date.now() + 40_000;
      while (last.status === 200) {
        if (Date.now() > deadline) throw new Error('/healthz never turned 503');
        await new Promise((r) => setTimeout(r, 100));
        last = await health();
        seen.push(last.status);
      }
      expect(seen[0]).toBe(200);
      expect(last.status).toBe(503);
      expect(last.body).toMatchObject({
        status: 'stale',
        staleAfterSeconds: 6,
        running: false,
        lastRun: { runId: 1, status: 'succeeded' },
      });
      expect(String(last.body.reason)).toMatch(/^last successful run ended \d+ s ago, older than the 6 s threshold$/);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('speakup_sync_healthy 0\n');
    } finally {
      d.signal('SIGTERM');
    }
    expect((await d.result).code).toBe(0);
  }, 60_000);
});

describe('a second signal', () => {
  it('exits at once while the first is still waiting for the write in flight', async () => {
    h = await harness({ issues: 200, seed: 5 }, { SPEAKUP_CONCURRENCY: '4' });
    const hold = createHold(['detail'], { after: 20 });
    h.emu.knobs.hold = hold;
    const d = startDaemon(h, { ...HELD_ENV, SPEAKUP_SCHEDULE: '0 0 1 1 *', SPEAKUP_RUN_AT_START: '1' });
    await waitFor(() => hold.waiting > 0, 'the first run to fetch 20 details and wait for more', 40_000, 20);
    // A reader-writer of our own holds the write lock: the daemon's next write has to wait for it.
    const blocker = new Database(h.dbPath);
    blocker.pragma('busy_timeout = 30000');
    blocker.exec('BEGIN IMMEDIATE');
    let result: CliResult;
    try {
      hold.release();
      await waitFor(() => h!.emu.counters.requests.detail >= 60, '60 detail requests', 40_000, 20);
      d.signal('SIGTERM');
      await logged(d, 'stopping: finishing the write in flight');
      d.signal('SIGTERM');
      result = await d.result;
      // It exited while the write it would have waited for was still impossible.
      expect(blocker.inTransaction).toBe(true);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    // An exit that tears down a writer thread blocked inside SQLite must not abort the process.
    expect(result.stderr, 'the process aborted instead of exiting').not.toContain('FATAL ERROR');
    // Ended by the signal's default action (a shell reports 128 + its number: 143 here, 130 for Ctrl-C).
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: null, signal: 'SIGTERM' });
    expect(result.stderr).toContain('speakup-sync: second SIGTERM, exiting now\n');
    expect(result.stderr).not.toContain('daemon stopped');
  }, 60_000);
});
