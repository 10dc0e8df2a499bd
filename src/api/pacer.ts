/**
 * The timeline of request starts behind the throttle (throttle.ts): one loop grants queued starts in
 * order, one pace interval apart, on an absolute timeline, so a timer that fires late on a busy machine
 * costs no rate. That lateness is a debt the next starts repay by starting closer together, but never
 * closer than `gapShare` of an interval: half an interval at first, the learnt limit's own spacing once
 * starts that caught up have been refused, as they are by a server whose bucket holds (next to) no burst,
 * where catching up in one go would turn every late timer into a 429. The debt is bounded (CATCH_UP_MS),
 * and time with nothing to start is no debt: idle time is never banked into a burst.
 */
import * as tuning from './throttle-tuning.js';

/** Why a wait was abandoned: the signal's reason when it is an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

export class Pacer {
  /** Starts waiting for their turn, in order. */
  private readonly queue: Array<{ grant: (caughtUp: boolean) => void }> = [];
  private running = false;
  private nextStartAt = 0;
  private lastGrantAt = -Infinity;
  private gapShare = tuning.LOOSE_GAP_SHARE;
  private caughtUpRefusals = 0;
  /** The next start was brought forward (hasten) while the loop slept towards the old one. */
  private hastened = false;
  /** No start before this (a server's Retry-After that applies to every request). */
  pausedUntil = 0;

  /** `pace` books the time up to `now` and gives the pace then, in starts per second (Infinity = unpaced). */
  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly pace: (now: number) => number,
  ) {}

  /** Starts waiting for their turn now: the pace, not the demand, sets when requests start. */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves at this start's turn: true when it started closer than an interval after the one before. */
  turn(signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const entry = {
        grant: (caughtUp: boolean) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(caughtUp);
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      if (!this.running) void this.run();
    });
  }

  /** A start that caught up was refused; a few of them and catching up keeps to the limit's spacing. */
  caughtUpRefused(): void {
    if (++this.caughtUpRefusals >= tuning.TIGHTEN_AFTER_REFUSALS) this.gapShare = tuning.MIN_GAP_SHARE;
  }

  /** After a fall in pace: the next start is one new interval after now at the earliest, with no debt. */
  restart(now: number, rate: number): void {
    if (Number.isFinite(rate)) this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / rate);
  }

  /** After a rise in pace: the next start is one new interval after now at the latest. */
  hasten(now: number, rate: number): void {
    if (!Number.isFinite(rate) || now + 1000 / rate >= this.nextStartAt) return;
    this.nextStartAt = now + 1000 / rate;
    this.hastened = true;
  }

  /** Sleeps in short steps, so a new pace or pause applies at once. */
  private async run(): Promise<void> {
    this.running = true;
    this.nextStartAt = Math.max(this.nextStartAt, this.now());
    try {
      while (this.queue.length > 0) {
        const now = this.now();
        const rate = this.pace(now);
        const interval = Number.isFinite(rate) ? 1000 / rate : 0;
        const at = Math.max(this.pausedUntil, this.nextStartAt, this.lastGrantAt + this.gapShare * interval);
        if (at > now) {
          await this.sleep(Math.min(at - now, tuning.PACER_STEP_MS));
          continue;
        }
        // Unpaced starts leave no debt: a pace set later starts from the clock.
        // A start brought forward is late by the pacer's step, which is no debt to catch up.
        const from = this.hastened ? now : Math.max(this.nextStartAt, this.pausedUntil, now - tuning.CATCH_UP_MS);
        this.hastened = false;
        this.nextStartAt = interval === 0 ? now : from + interval;
        const caughtUp = now - this.lastGrantAt < interval * tuning.MIN_GAP_SHARE;
        this.lastGrantAt = now;
        this.queue.shift()?.grant(caughtUp);
      }
    } finally {
      this.running = false;
    }
  }
}
