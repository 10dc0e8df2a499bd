/**
 * Timing of repeated benchmark trials: wall time, the CPU time of the calling thread alone and the time that
 * thread spent runnable but waiting for a CPU (other load on a shared machine); medians over the trials.
 *
 * The calling thread's figures come from Linux's /proc/thread-self/schedstat (nanoseconds on a CPU,
 * nanoseconds waiting in the run queue). process.cpuUsage() counts every thread: a database's
 * checkpointer thread and V8's garbage-collector helpers, whose share of a trial depends on when they
 * happen to run, so it swings from trial to trial. Elsewhere the thread figures fall back to the process's.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const SCHEDSTAT = '/proc/thread-self/schedstat';
const hasSchedstat = ((): boolean => {
  try {
    readFileSync(SCHEDSTAT);
    return true;
  } catch {
    return false;
  }
})();

/** [nanoseconds on a CPU, nanoseconds waiting for one] of the calling thread so far. */
function threadTimes(): [number, number] {
  if (!hasSchedstat) {
    const c = process.cpuUsage();
    return [(c.user + c.system) * 1000, 0];
  }
  const [run, wait] = readFileSync(SCHEDSTAT, 'latin1').split(' ');
  return [Number(run), Number(wait)];
}

/** One trial's totals, in seconds. */
export interface Sample {
  wall: number;
  /** CPU time of the thread that ran the timed code. */
  cpu: number;
  /** Time that thread was ready to run but waited for a CPU. */
  waited: number;
}

/** Accumulates the timed spans of one trial. */
export class Meter {
  private wallNs = 0n;
  private cpuNs = 0;
  private waitNs = 0;
  time<T>(fn: () => T): T {
    const [run0, wait0] = threadTimes();
    const t0 = process.hrtime.bigint();
    try {
      return fn();
    } finally {
      this.wallNs += process.hrtime.bigint() - t0;
      const [run1, wait1] = threadTimes();
      this.cpuNs += run1 - run0;
      this.waitNs += wait1 - wait0;
    }
  }
  sample(): Sample {
    return {
      wall: Number(this.wallNs) / 1e9,
      cpu: this.cpuNs / 1e9,
      waited: this.waitNs / 1e9,
    };
  }
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Items per second of one figure of each sample. */
export const perSecond = (count: number, samples: readonly Sample[], k: keyof Sample): number[] =>
  samples.map((s) => count / s[k]);

/**
 * A full garbage collection between trials, so that no trial pays for the previous one's garbage. Uses V8's
 * own gc() (exposed here rather than by a command-line flag, which every caller would have to pass).
 */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
