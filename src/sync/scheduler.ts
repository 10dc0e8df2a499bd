/**
 * The daemon's clock: node-cron fires on the schedule, but overlap is ours to prevent. noOverlap only
 * guards scheduled fires, not the start-up run, so one in-process flag covers both and a
 * tick that finds a run still going is skipped, not queued. stop() stops scheduling, aborts the run in
 * flight (which finishes its current write and records itself as interrupted) and waits for it.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { RunTrigger } from './types.js';

export interface SchedulerOptions {
  cron: string;
  timezone: string;
  runAtStart: boolean;
  log: Logger;
  /** One run; must settle soon after `signal` aborts. Errors are logged, never fatal to the daemon. */
  run: (trigger: RunTrigger, signal: AbortSignal) => Promise<void>;
}

export interface Scheduler {
  /** Next scheduled fire, if any. */
  nextRun(): Date | null;
  /** Stop scheduling, abort the current run, wait for it. */
  stop(): Promise<void>;
}

export function startScheduler(opts: SchedulerOptions): Scheduler {
  const abort = new AbortController();
  let current: Promise<void> | undefined;
  const fire = (trigger: RunTrigger) => {
    if (abort.signal.aborted) return;
    if (current) {
      opts.log.warn({ trigger }, 'previous run still going: this tick is skipped');
      return;
    }
    current = opts
      .run(trigger, abort.signal)
      .catch((err: unknown) => opts.log.error({ err: (err as Error).message }, 'run failed'))
      .finally(() => {
        current = undefined;
        const next = task.getNextRun();
        if (!abort.signal.aborted && next) opts.log.info({ next: next.toISOString() }, 'next run scheduled');
      });
  };
  const task: ScheduledTask = cron.schedule(opts.cron, () => fire('scheduled'), {
    timezone: opts.timezone,
    name: 'speakup-sync',
    noOverlap: true,
  });
  if (opts.runAtStart) fire('startup');
  else opts.log.info({ next: task.getNextRun()?.toISOString() }, 'waiting for the first scheduled run');

  return {
    nextRun: () => task.getNextRun(),
    async stop() {
      await task.stop();
      await task.destroy();
      abort.abort(new Error('daemon stopping'));
      await current;
    },
  };
}
