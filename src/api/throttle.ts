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
 * What the server says is bounded (bounds.ts): a wait longer than `maxPauseMs`, an HTTP-date in the past
 * or a policy under one request a minute is capped and reported once through `warn`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { AcceptanceLog } from './acceptance-log.js';
import { ServerBounds, type BoundsWarning } from './bounds.js';

/** Share of the learnt limit the pace keeps to: under it by a margin for timer and network jitter. */
const PACE_SHARE = 0.95;
/**
 * Refusals at the pace mean the limit fell only when they are a fair share of the last answers; fewer
 * are jitter against a small burst allowance, answered by a small step back.
 */
const DROP_MIN_SHARE = 0.1;
const DROP_MIN_REFUSALS = 3;
const JITTER_STEP_BACK = 0.9;
/** Quiet time before probing above the learnt limit, and the growth of the probe per second. */
const PLATEAU_MS = 3000;
const FIRST_PLATEAU_MS = 1000;
const PROBE_GROWTH = 0.04;
/** Seconds of probing after which the probe's growth has doubled. */
const PROBE_ACCEL_S = 2;
/** After a cut below the pace: quiet time before recovering, and how fast (doubling time). */
const RECOVER_AFTER_MS = 200;
const RECOVER_DOUBLING_MS = 100;
/** Growth of the first guess until the first 429 (doubling time). */
const STARTUP_DOUBLING_MS = 400;
const STARTUP_MEASURE_MIN_MS = 250;
/** The fast first probe overshoots by at most a round trip's growth: the limit is at least this share of where it got. */
const STARTUP_FLOOR = 0.75;
/** Requests in flight at the start, before any answer. */
const INITIAL_WINDOW = 2;
/** A burst allowance is taken to be at most this much of the limit's time. */
const FIRST_ESTIMATE_MIN_MS = 1000;
/** Measurement horizon of the limit (active time), and the least that makes a measurement. */
const MEASURE_MS = 1000;
const MEASURE_MIN_MS = 500;
const MIN_RATE = 0.5;
/** Longest sleep of the pacer between looks at the pace. */
const PACER_STEP_MS = 100;
/**
 * How far the paced timeline may lag behind the clock and still be caught up (a timer firing late, on a
 * busy machine), at most half an interval: two starts are never closer than that.
 */
const CATCH_UP_MS = 25;
/** A Retry-After at least this long pauses every request. */
const GLOBAL_PAUSE_THRESHOLD_MS = 2000;

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
  private plateauMs = PLATEAU_MS;
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

  constructor(private readonly maxConcurrency: number, private readonly now: () => number = Date.now, opts: ThrottleOptions = {}) {
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
    return Math.min(this.maxConcurrency, INITIAL_WINDOW + this.accepted.total);
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
          await this.sleep(Math.min(at - now, PACER_STEP_MS));
          continue;
        }
        const interval = Number.isFinite(this.rate) ? 1000 / this.rate : 0;
        this.nextStartAt = Math.max(at, now - Math.min(CATCH_UP_MS, interval / 2)) + interval;
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
    for (let room = this.window() - this.inFlight; room > 0 && this.waiters.length > 0; room--) this.waiters.shift()?.();
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
    const target = PACE_SHARE * this.limit;
    if (this.rate < target) {
      // Recover once requests pass again (not merely on quiet: a spent window refuses every request).
      if (quietMs >= RECOVER_AFTER_MS && this.accepted.lastAcceptedAt > this.lastRefusalAt) {
        this.rate = Math.min(target, this.rate * 2 ** (dt / RECOVER_DOUBLING_MS));
      }
    } else if (this.limit * this.probe < this.policyLimit && (this.startup ? quietMs >= RECOVER_AFTER_MS : quietMs >= this.plateauMs)) {
      // Probing accelerates the longer it finds no limit: slow near the learnt limit, fast far above it.
      const probingS = (quietMs - this.plateauMs) / 1000;
      this.probe *= this.startup ? 2 ** (dt / STARTUP_DOUBLING_MS) : 1 + (PROBE_GROWTH * (1 + probingS / PROBE_ACCEL_S) * dt) / 1000;
      this.rate = PACE_SHARE * Math.min(this.policyLimit, this.limit * this.probe);
    }
  }

  private onRefused(now: number, startedAt: number, pauseMs: number | undefined): void {
    this.throttled++;
    this.accepted.refuse(now);
    this.lastRefusalAt = now;
    if (pauseMs !== undefined && pauseMs >= GLOBAL_PAUSE_THRESHOLD_MS) this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    // An answer to a request paced before the last change says nothing about the new pace.
    if (startedAt < this.changedAt) return;
    const elapsed = Math.max(FIRST_ESTIMATE_MIN_MS, now - (this.firstStartAt ?? now));
    if (!Number.isFinite(this.limit)) {
      // Answers still on their way may be acceptances: a first guess, probed upwards quickly.
      this.setLimit(((this.accepted.total + this.inFlight + 1) * 1000) / elapsed);
      this.startup = true;
      this.rate = PACE_SHARE * this.limit;
    } else if (this.probe > 1) {
      // The probe went past the limit: the limit is what was accepted, at most where the probe got to.
      const reached = this.limit * this.probe;
      const measured = this.startup
        ? Math.max(this.accepted.rate(MEASURE_MS, STARTUP_MEASURE_MIN_MS) ?? 0, (this.accepted.total * 1000) / elapsed, reached * STARTUP_FLOOR)
        : this.accepted.rate(MEASURE_MS, MEASURE_MIN_MS);
      this.setLimit(Math.min(measured ?? this.limit, reached));
      // A limit found by the fast first probe is a rough one: probe it again soon.
      this.plateauMs = this.startup ? FIRST_PLATEAU_MS : PLATEAU_MS;
      this.probe = 1;
      this.startup = false;
      this.rate = PACE_SHARE * this.limit;
    } else {
      // Refused at or below the pace: the limit fell, or the server's window is spent (nothing accepted).
      // A refusal now and then at the pace is jitter against a small burst allowance, not a lower limit:
      // the pace steps back a little and recovers.
      const refused = this.accepted.refused(MEASURE_MS);
      if (refused.count < DROP_MIN_REFUSALS || refused.share < DROP_MIN_SHARE) {
        this.rate = Math.max(MIN_RATE, this.rate * JITTER_STEP_BACK);
        this.changedAt = now;
        return;
      }
      const measured = this.accepted.rate(MEASURE_MS, MEASURE_MIN_MS);
      if (measured !== undefined && measured > 0 && measured < this.limit) this.setLimit(measured);
      this.plateauMs = PLATEAU_MS;
      this.rate = Math.max(MIN_RATE, Math.min(PACE_SHARE * this.limit, this.rate / 2));
      // Nothing accepted since the last change: a spent window, which the server says when it reopens.
      if (pauseMs !== undefined && this.accepted.lastAcceptedAt < this.changedAt) this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    }
    this.changedAt = now;
    this.restartTimeline(now);
  }

  /** After a fall in pace: the next start is one new interval after now at the earliest. */
  private restartTimeline(now: number): void {
    if (Number.isFinite(this.rate)) this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / this.rate);
  }

  private setLimit(perSecond: number): void {
    this.limit = Math.max(MIN_RATE, Math.min(this.policyLimit, perSecond));
  }

  /** `RateLimit-Policy: 200;w=1` (or `"name";q=200;w=1`) → the limit is 200 requests per second. */
  private readPolicy(headers: IncomingHttpHeaders): void {
    const perSecond = this.bounds.policyRate(headers['ratelimit-policy']);
    if (perSecond === undefined || perSecond === this.policyLimit) return;
    this.policyLimit = perSecond;
    this.limit = perSecond;
    this.probe = 1;
    this.rate = Math.min(this.rate, PACE_SHARE * perSecond);
    this.changedAt = this.now();
  }
}
