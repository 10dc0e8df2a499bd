/**
 * Client-side flow control shared by every request of a run, so the sync rides just under the server's
 * rate limit whatever its shape (token bucket of any burst, fixed or sliding windows, a limit shared with
 * other clients or changed mid-run), learnt from the server's answers:
 * - at most `maxConcurrency` requests in flight, starts paced at `rate` by one pacer (no burst banked);
 * - before the first 429 nothing is paced (the server may have no limit), but the window of requests in
 *   flight opens by one per accepted answer, so a small burst allowance sees two refusals, not a volley;
 * - `limit` is the server's sustained rate as learnt; the pace is PACE_SHARE of it. The first 429 gives a
 *   first guess (accepted and in flight over at least a second), probed upwards fast until a 429 says
 *   where the limit is: the accepted rate over the last second of activity;
 * - only a 429 to a request started after the last change counts (older ones answer the old pace). One
 *   above the pace means a probe went too far: back to PACE_SHARE of the accepted rate. One at the pace
 *   is jitter when 429s are a small share of the last answers (step back a little), else the limit fell
 *   (it follows the accepted rate and the pace halves, recovering once requests pass again). Active time
 *   only is measured (nothing to send is not a lower limit), and when nothing passed since the last
 *   change the window is spent: every request waits for the Retry-After;
 * - after PLATEAU_MS without a 429 the limit is probed upwards, slowly at first and faster the longer no
 *   429 comes: a steady limit costs a 429 now and then, a raised one is found within seconds;
 * - `RateLimit-Policy` (IETF draft, `q;w=`) gives the limit outright, as a ceiling never probed above;
 * - a long `Retry-After` pauses every request, not only the one that got it.
 * The figures named here live in throttle-tuning.ts. What the server says is bounded (bounds.ts): a wait
 * longer than `maxPauseMs`, an HTTP-date in the past or a policy under one request a minute is capped and
 * reported once through `warn`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { AcceptanceLog } from './acceptance-log.js';
import { ServerBounds, type BoundsWarning } from './bounds.js';
import * as tuning from './throttle-tuning.js';

/** Why a wait was abandoned: the signal's reason when it is an Error. */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

export interface ThrottleOptions {
  /** Timer of the pacing (tests inject a simulated clock's). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Longest pause a server may impose at once (SPEAKUP_MAX_RETRY_TIME_MS). Default 300000. */
  maxPauseMs?: number;
  /** Told once per kind when the server asks for something out of bounds. */
  warn?: (w: BoundsWarning) => void;
}

export interface ThrottleStats {
  throttled: number;
  /** Current paced rate in requests/s (Infinity = not pacing). */
  rate: number;
  /** The learnt limit in requests/s (Infinity = none seen). */
  limit: number;
}

export class Throttle {
  private inFlight = 0;
  /** Requests waiting for their paced start, in order. */
  private readonly pacing: Array<{ grant: () => void }> = [];
  private pacerRunning = false;
  private readonly waiters: Array<() => void> = [];
  /** Start times of requests in flight, oldest first: an answer is matched to the oldest start. */
  private readonly starts: number[] = [];
  private rate = Infinity;
  private limit = Infinity;
  /** The limit is a first guess, probed upwards without a plateau. */
  private startup = false;
  /** Factor above the learnt limit being probed (1 = not probing). */
  private probe = 1;
  private plateauMs = tuning.PLATEAU_MS;
  private firstStartAt: number | undefined;
  private policyLimit = Infinity;
  private nextStartAt = 0;
  private pausedUntil = 0;
  private changedAt = -Infinity;
  private lastRefusalAt = -Infinity;
  private lastTickAt = 0;

  private readonly accepted: AcceptanceLog;
  private readonly bounds: ServerBounds;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  throttled = 0;

  constructor(
    private readonly maxConcurrency: number,
    private readonly now: () => number = Date.now,
    opts: ThrottleOptions = {},
  ) {
    this.sleep = opts.sleep ?? ((ms, signal) => sleep(ms, undefined, signal ? { signal } : {}));
    this.bounds = new ServerBounds(opts.maxPauseMs ?? 300_000, opts.warn);
    this.accepted = new AcceptanceLog();
  }

  /** Wait for a slot and for the pacing; call `release` exactly once afterwards. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= this.window()) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abortReason(signal));
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    this.inFlight++;
    try {
      await this.paced(signal);
    } catch (err) {
      this.release();
      throw err;
    }
    const now = this.now();
    this.firstStartAt ??= now;
    this.starts.push(now);
  }

  /**
   * Requests allowed in flight. Until the server first refuses one, the window opens by one per accepted
   * answer (doubling each round trip, as TCP's slow start), so a server with a small burst sees a couple
   * of refusals at the start rather than a whole volley.
   */
  private window(): number {
    if (Number.isFinite(this.limit)) return this.maxConcurrency;
    return Math.min(this.maxConcurrency, tuning.INITIAL_WINDOW + this.accepted.total);
  }

  /** Queues for the next start on the paced timeline, granted in order by one pacer loop. */
  private paced(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.pacing.indexOf(entry);
        if (i >= 0) this.pacing.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pacing.push(entry);
      if (!this.pacerRunning) void this.runPacer();
    });
  }

  /**
   * Grants starts one pace interval apart. It sleeps in short steps, so a new pace or pause applies at
   * once; a timer firing late is caught up a little, but idle time is never banked into a burst.
   */
  private async runPacer(): Promise<void> {
    this.pacerRunning = true;
    try {
      while (this.pacing.length > 0) {
        const now = this.now();
        this.tick(now);
        const at = Math.max(this.pausedUntil, this.nextStartAt);
        if (at > now) {
          await this.sleep(Math.min(at - now, tuning.PACER_STEP_MS));
          continue;
        }
        const interval = Number.isFinite(this.rate) ? 1000 / this.rate : 0;
        this.nextStartAt = Math.max(at, now - Math.min(tuning.CATCH_UP_MS, interval / 2)) + interval;
        this.pacing.shift()?.grant();
      }
    } finally {
      this.pacerRunning = false;
    }
  }

  /** Give the slot back and learn from the answer (status 0 = no answer). */
  release(status = 0, headers?: IncomingHttpHeaders, retryAfterMs?: number): void {
    const now = this.now();
    this.tick(now);
    this.inFlight--;
    const startedAt = this.starts.shift() ?? now;
    if (headers) this.readPolicy(headers);
    if (status === 429) this.onRefused(now, startedAt, this.bounds.retryAfter(headers, retryAfterMs, now));
    else if (status >= 200 && status < 300) this.accepted.add(now);
    for (let room = this.window() - this.inFlight; room > 0 && this.waiters.length > 0; room--)
      this.waiters.shift()?.();
  }

  get stats(): ThrottleStats {
    return { throttled: this.throttled, rate: this.rate, limit: this.limit };
  }

  /** Books active time and moves the pace: recovery after a cut, probing after a plateau. */
  private tick(now: number): void {
    const dt = now - this.lastTickAt;
    this.lastTickAt = now;
    if (dt <= 0) return;
    this.accepted.advance(now, this.inFlight > 0 && now > this.pausedUntil);
    if (!Number.isFinite(this.limit)) return;
    const quietMs = now - Math.max(this.lastRefusalAt, this.changedAt);
    const target = tuning.PACE_SHARE * this.limit;
    if (this.rate < target) {
      // Recover once requests pass again (not merely on quiet: a spent window refuses every request).
      if (quietMs >= tuning.RECOVER_AFTER_MS && this.accepted.lastAcceptedAt > this.lastRefusalAt) {
        this.rate = Math.min(target, this.rate * 2 ** (dt / tuning.RECOVER_DOUBLING_MS));
      }
    } else if (
      this.limit * this.probe < this.policyLimit &&
      (this.startup ? quietMs >= tuning.RECOVER_AFTER_MS : quietMs >= this.plateauMs)
    ) {
      // Probing accelerates the longer it finds no limit: slow near the learnt limit, fast far above it.
      const probingS = (quietMs - this.plateauMs) / 1000;
      this.probe *= this.startup
        ? 2 ** (dt / tuning.STARTUP_DOUBLING_MS)
        : 1 + (tuning.PROBE_GROWTH * (1 + probingS / tuning.PROBE_ACCEL_S) * dt) / 1000;
      this.rate = tuning.PACE_SHARE * Math.min(this.policyLimit, this.limit * this.probe);
    }
  }

  private onRefused(now: number, startedAt: number, pauseMs: number | undefined): void {
    this.throttled++;
    this.accepted.refuse(now);
    this.lastRefusalAt = now;
    if (pauseMs !== undefined && pauseMs >= tuning.GLOBAL_PAUSE_THRESHOLD_MS)
      this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    // An answer to a request paced before the last change says nothing about the new pace.
    if (startedAt < this.changedAt) return;
    const elapsed = Math.max(tuning.FIRST_ESTIMATE_MIN_MS, now - (this.firstStartAt ?? now));
    if (!Number.isFinite(this.limit)) {
      // Answers still on their way may be acceptances: a first guess, probed upwards quickly.
      this.setLimit(((this.accepted.total + this.inFlight + 1) * 1000) / elapsed);
      this.startup = true;
      this.rate = tuning.PACE_SHARE * this.limit;
    } else if (this.probe > 1) {
      // The probe went past the limit: the limit is what was accepted, at most where the probe got to.
      const reached = this.limit * this.probe;
      const measured = this.startup
        ? Math.max(
            this.accepted.rate(tuning.MEASURE_MS, tuning.STARTUP_MEASURE_MIN_MS) ?? 0,
            (this.accepted.total * 1000) / elapsed,
            reached * tuning.STARTUP_FLOOR,
          )
        : this.accepted.rate(tuning.MEASURE_MS, tuning.MEASURE_MIN_MS);
      this.setLimit(Math.min(measured ?? this.limit, reached));
      // A limit found by the fast first probe is a rough one: probe it again soon.
      this.plateauMs = this.startup ? tuning.FIRST_PLATEAU_MS : tuning.PLATEAU_MS;
      this.probe = 1;
      this.startup = false;
      this.rate = tuning.PACE_SHARE * this.limit;
    } else {
      // Refused at or below the pace: the limit fell, or the server's window is spent (nothing accepted).
      // A refusal now and then at the pace is jitter against a small burst allowance, not a lower limit:
      // the pace steps back a little and recovers.
      const refused = this.accepted.refused(tuning.MEASURE_MS);
      if (refused.count < tuning.DROP_MIN_REFUSALS || refused.share < tuning.DROP_MIN_SHARE) {
        this.rate = Math.max(tuning.MIN_RATE, this.rate * tuning.JITTER_STEP_BACK);
        this.changedAt = now;
        return;
      }
      const measured = this.accepted.rate(tuning.MEASURE_MS, tuning.MEASURE_MIN_MS);
      if (measured !== undefined && measured > 0 && measured < this.limit) this.setLimit(measured);
      this.plateauMs = tuning.PLATEAU_MS;
      this.rate = Math.max(tuning.MIN_RATE, Math.min(tuning.PACE_SHARE * this.limit, this.rate / 2));
      // Nothing accepted since the last change: a spent window, which the server says when it reopens.
      if (pauseMs !== undefined && this.accepted.lastAcceptedAt < this.changedAt)
        this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    }
    this.changedAt = now;
    this.restartTimeline(now);
  }

  /** After a fall in pace: the next start is one new interval after now at the earliest. */
  private restartTimeline(now: number): void {
    if (Number.isFinite(this.rate)) this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / this.rate);
  }

  private setLimit(perSecond: number): void {
    this.limit = Math.max(tuning.MIN_RATE, Math.min(this.policyLimit, perSecond));
  }

  /** `RateLimit-Policy: 200;w=1` (or `"name";q=200;w=1`) → the limit is 200 requests per second. */
  private readPolicy(headers: IncomingHttpHeaders): void {
    const perSecond = this.bounds.policyRate(headers['ratelimit-policy']);
    if (perSecond === undefined || perSecond === this.policyLimit) return;
    this.policyLimit = perSecond;
    this.limit = perSecond;
    this.probe = 1;
    this.rate = Math.min(this.rate, tuning.PACE_SHARE * perSecond);
    this.changedAt = this.now();
  }
}
