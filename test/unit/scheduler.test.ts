/**
 * The daemon's clock (src/sync/scheduler.ts) with node-cron's real timer: a start-up run, a tick that
 * finds a run going skipped (not queued), failures logged and survived, stop() aborting the run in flight
 * and waiting for it, and the next fire computed in the configured time zone. Every wait is for an event
 * (a log line, a run starting), with a generous timeout that only catches hangs.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startScheduler, type Scheduler } from '../../src/sync/scheduler.js';
import { waitFor } from '../helpers/reliability.js';

type Trigger = Parameters<Parameters<typeof startScheduler>[0]['run']>[0];

function jsonLog(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    log: createLogger({ level: 'debug', pretty: false, destination: stream }),
    lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

describe('startScheduler', () => {
  it('runs at start, skips ticks while that run goes on, and stop() aborts it and waits for it', async () => {
    const { log, lines } = jsonLog();
    const runs: { trigger: Trigger; signal: AbortSignal }[] = [];
    let finished = 0;
    scheduler = startScheduler({
      cron: '* * * * * *',
      timezone: 'UTC',
      runAtStart: true,
      log,
      // Runs until aborted: the start-up run outlives every tick.
      run: (trigger, signal) => {
        runs.push({ trigger, signal });
        return new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(void finished++), { once: true }),
        );
      },
    });
    expect(runs.map((r) => r.trigger)).toEqual(['startup']);
    const skipped = () => lines().filter((l) => l.msg === 'previous run still going: this tick is skipped');
    await waitFor(() => skipped().length >= 2, 'two skipped ticks', 20_000, 10);
    // Skipped, never queued: still the one run.
    expect(runs).toHaveLength(1);
    expect(skipped()[0]).toMatchObject({ level: 40, trigger: 'scheduled' });
    expect(runs[0]!.signal.aborted).toBe(false);
    await scheduler.stop();
    scheduler = undefined;
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(finished).toBe(1);
    expect(runs).toHaveLength(1);
  });

  it('logs a failed run and runs again on the next tick', async () => {
    const { log, lines } = jsonLog();
    const triggers: Trigger[] = [];
    scheduler = startScheduler({
      cron: '* * * * * *',
      timezone: 'UTC',
      runAtStart: false,
      log,
      run: async (trigger) => {
        triggers.push(trigger);
        if (triggers.length === 1) throw new Error('listing failed: boom');
      },
    });
    expect(lines().find((l) => l.msg === 'waiting for the first scheduled run')).toMatchObject({
      next: scheduler.nextRun()!.toISOString(),
    });
    await waitFor(() => triggers.length >= 2, 'a second scheduled run after the failed one', 20_000, 10);
    expect(triggers.slice(0, 2)).toEqual(['scheduled', 'scheduled']);
    expect(lines().find((l) => l.msg === 'run failed')).toMatchObject({ level: 50, err: 'listing failed: boom' });
    expect(lines().some((l) => l.msg === 'next run scheduled')).toBe(true);
  });

  it('computes the next fire in the configured time zone', async () => {
    const { log } = jsonLog();
    const at = (timezone: string) => {
      const s = startScheduler({ cron: '30 3 * * *', timezone, runAtStart: false, log, run: async () => {} });
      const next = s.nextRun()!;
      void s.stop();
      return next;
    };
    // 03:30 in Tokyo (UTC+9 all year) is 18:30 UTC; in Kolkata (UTC+5:30) 22:00 UTC.
    expect(at('Asia/Tokyo').toISOString()).toMatch(/T18:30:00\.000Z$/);
    expect(at('Asia/Kolkata').toISOString()).toMatch(/T22:00:00\.000Z$/);
    expect(at('UTC').toISOString()).toMatch(/T03:30:00\.000Z$/);
  });
});
