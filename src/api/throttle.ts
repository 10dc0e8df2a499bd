/**
 * Client-side flow control shared by every request of a run, so the sync rides just under the server's
 * rate limit whatever its shape (token bucket of any burst, fixed or sliding windows, a limit shared with
 * other clients or changed mid-run), learnt from the server's answers. docs/performance.md ("How the
 * throttle finds the limit") walks through each rule; in short:
 * - at most `maxConcurrency` requests in flight, starts paced at `rate` (PACE_SHARE of the learnt `limit`)
 *   on an absolute timeline by one pacer (pacer.ts); before the first 429 nothing is paced, but the
 *   window of requests in flight opens by one per accepted answer (slow start);
 * - the first 429 gives a first guess (opening.ts), probed upwards fast until a 429 says where the limit
 *   is; later, after a plateau without a 429, slowly and faster the longer none comes. A probe grows only
 *   while starts wait for the pace: a pace nobody uses tells nothing of the limit;
 * - only a 429 to a request started after the last change counts. One above the pace ends a probe; one
 *   at the pace is jitter (a step back, and a notch of the limit when they repeat) unless refusals are a
 *   fair share of the last answers: then the limit fell, to the accepted rate, and the pace halves;
 * - rates are measured over active time: requests in flight, or waiting out the server's Retry-After
 *   (time the limit takes), not time with nothing to send;
 * - `RateLimit-Policy` (IETF draft, `q;w=`) gives the limit outright, as a ceiling never probed above; a
 *   long `Retry-After` pauses every request, not only the one that got it.
 * The figures named here live in throttle-tuning.ts. What the server says is bounded (bounds.ts): a wait
 * longer than `maxPauseMs`, an HTTP-date in the past or a policy under one request a minute is capped and
 * reported once through `warn`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { AcceptanceLog } from './acceptance-log.js';
import { ServerBounds } from './bounds.js';
import { Opening } from './opening.js';
import { Pacer } from './pacer.js';
import { Slots } from './slots.js';
import * as tuning from './throttle-tuning.js';
import type { Start, ThrottleOptions, ThrottleStats } from './throttle-types.js';

export type { ThrottleOptions, ThrottleStats } from './throttle-types.js';

export class Throttle {
  private readonly slots = new Slots(() => this.window());
  /**
   * Requests in flight, oldest first (an answer is matched to the oldest): when each started, and whether
   * it started closer than an interval after the one before, catching up a late timer.
   */
  private readonly starts: Start[] = [];
  private rate = Infinity;
  private limit = Infinity;
  /** The limit is a first guess, probed upwards without a plateau. */
  private startup = false;
  private readonly opening = new Opening();
  /** Factor above the learnt limit being probed (1 = not probing). */
  private probe = 1;
  private plateauMs = tuning.PLATEAU_MS;
  private firstStartAt: number | undefined;
  private policyLimit = Infinity;
  private changedAt = -Infinity;
  /** When the limit was last learnt (a guess, a probe's end, a fall): measurements start there. */
  private learntAt = -Infinity;
  private lastRefusalAt = -Infinity;
  private lastTickAt = 0;
  /** Starts were waiting for their turn at the last tick. */
  private pacedAtLastTick = false;
  /** Until when refused requests wait out the server's Retry-After before they come back. */
  private serverWaitUntil = -Infinity;

  private readonly accepted: AcceptanceLog;
  private readonly bounds: ServerBounds;
  private readonly pacer: Pacer;
  throttled = 0;

  constructor(
    private readonly maxConcurrency: number,
    private readonly now: () => number = Date.now,
    opts: ThrottleOptions = {},
  ) {
    const sleepMs = opts.sleep ?? ((ms: number) => sleep(ms));
    this.pacer = new Pacer(
      now,
      (ms) => sleepMs(ms),
      (t) => {
        this.tick(t);
        return this.rate;
      },
    );
    this.bounds = new ServerBounds(opts.maxPauseMs ?? 300_000, opts.warn);
    this.accepted = new AcceptanceLog();
  }

  /** Wait for a slot and for the pacing; call `release` exactly once afterwards. */
  async acquire(signal?: AbortSignal): Promise<void> {
    await this.slots.take(signal);
    let caughtUp: boolean;
    try {
      caughtUp = await this.pacer.turn(signal);
    } catch (err) {
      this.release();
      throw err;
    }
    const now = this.now();
    this.firstStartAt ??= now;
    this.starts.push({ at: now, caughtUp, pace: this.rate });
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

  /** Give the slot back and learn from the answer (status 0 = no answer). */
  release(status = 0, headers?: IncomingHttpHeaders, retryAfterMs?: number): void {
    const now = this.now();
    this.tick(now);
    this.slots.give();
    const start = this.starts.shift() ?? { at: now, caughtUp: false, pace: this.rate };
    if (headers) this.readPolicy(headers);
    if (status === 429) this.onRefused(now, start, this.bounds.retryAfter(headers, retryAfterMs, now));
    else if (status >= 200 && status < 300) {
      this.learnSpacing(now, start);
      this.accepted.add(now);
    }
    this.slots.wake();
  }

  get stats(): ThrottleStats {
    return { throttled: this.throttled, rate: this.rate, limit: this.limit };
  }

  /** Books active time and moves the pace: recovery after a cut, probing after a plateau. */
  private tick(now: number): void {
    const dt = now - this.lastTickAt;
    this.lastTickAt = now;
    // Only time in which starts waited for the pace tests it: a pace nobody uses (every request waiting
    // out a Retry-After, too few to send) tells nothing of the limit, and a probe grown through it
    // would meet the server far above the limit.
    const paced = this.pacer.queued > 0;
    const probeMs = paced && this.pacedAtLastTick ? dt : 0;
    this.pacedAtLastTick = paced;
    if (dt <= 0) return;
    // Time the server asked requests to wait (a Retry-After) is time its limit takes, not idle time.
    this.accepted.advance(now, this.slots.inFlight > 0 || now < this.serverWaitUntil);
    if (!Number.isFinite(this.limit)) return;
    const quietMs = now - Math.max(this.lastRefusalAt, this.changedAt);
    const target = tuning.PACE_SHARE * this.limit;
    if (this.rate < target) {
      // Recover once requests pass again (not merely on quiet: a spent window refuses every request).
      if (quietMs >= tuning.RECOVER_AFTER_MS && this.accepted.lastAcceptedAt > this.lastRefusalAt) {
        this.rate = Math.min(target, this.rate * 2 ** (dt / tuning.RECOVER_DOUBLING_MS));
      }
    } else if (
      probeMs > 0 &&
      this.limit * this.probe < this.policyLimit &&
      (this.startup ? quietMs >= tuning.RECOVER_AFTER_MS : quietMs >= this.plateauMs)
    ) {
      // Probing accelerates the longer it finds no limit: slow near the learnt limit, fast far above it.
      const probingS = (quietMs - this.plateauMs) / 1000;
      this.probe *= this.startup
        ? 2 ** (probeMs / tuning.STARTUP_DOUBLING_MS)
        : 1 + (tuning.PROBE_GROWTH * (1 + probingS / tuning.PROBE_ACCEL_S) * probeMs) / 1000;
      this.rate = tuning.PACE_SHARE * Math.min(this.policyLimit, this.limit * this.probe);
    }
  }

  private onRefused(now: number, start: Start, pauseMs: number | undefined): void {
    this.throttled++;
    this.accepted.refuse(now);
    this.opening.close(this.accepted.total);
    this.lastRefusalAt = now;
    if (pauseMs !== undefined) this.serverWaitUntil = Math.max(this.serverWaitUntil, now + pauseMs);
    if (pauseMs !== undefined && pauseMs >= tuning.GLOBAL_PAUSE_THRESHOLD_MS)
      this.pacer.pausedUntil = Math.max(this.pacer.pausedUntil, now + pauseMs);
    if (!Number.isFinite(start.pace)) this.opening.refused(now);
    // An answer to a request paced before the last change says nothing about the new pace.
    if (start.at < this.changedAt) return;
    if (start.caughtUp) this.pacer.caughtUpRefused();
    const elapsed = Math.max(tuning.FIRST_ESTIMATE_MIN_MS, now - (this.firstStartAt ?? now));
    if (!Number.isFinite(this.limit)) {
      // Answers still on their way may be acceptances: a first guess, probed upwards quickly.
      this.setLimit(((this.accepted.total + this.slots.inFlight + 1) * 1000) / elapsed);
      this.learntAt = now;
      this.startup = true;
      this.rate = tuning.PACE_SHARE * this.limit;
    } else if (this.probe > 1) this.probeRefused(now, elapsed, start.pace);
    else if (!this.paceRefused(now, pauseMs)) return;
    this.changedAt = now;
    this.pacer.restart(now, this.rate);
  }

  /** The probe went past the limit: the limit is what was accepted, at most where the probe got to. */
  private probeRefused(now: number, elapsed: number, startPace: number): void {
    // Where the probe was when the refused request started: it has grown since, by a round trip's worth.
    const reached = Math.min(this.limit * this.probe, startPace / tuning.PACE_SHARE);
    const measured = this.startup
      ? Math.max(
          this.accepted.rate(tuning.MEASURE_MS, tuning.STARTUP_MEASURE_MIN_MS) ?? 0,
          (this.accepted.total * 1000) / elapsed,
          // Past a store spent, what was accepted is the limit; else the overshoot was a round trip's.
          this.opening.carriedPastLimit(this.accepted.refused(tuning.MEASURE_MS)) ? 0 : reached * tuning.STARTUP_FLOOR,
        )
      : this.accepted.rate(tuning.PROBE_MEASURE_MS, tuning.STARTUP_MEASURE_MIN_MS, true);
    // A 429 past a limit that held is no proof of a lower one (a late start may have bunched two): a
    // lower limit is the business of refusals at the pace.
    const found = Math.min(measured ?? this.limit, reached);
    // A limit found by the fast first probe is a rough one: probe it again soon. One that a probe finds
    // again is probed less and less often (each probe costs a couple of refusals).
    const same = !this.startup && found <= this.limit * tuning.SAME_LIMIT;
    this.plateauMs = this.startup
      ? tuning.FIRST_PLATEAU_MS
      : same
        ? Math.min(tuning.MAX_PLATEAU_MS, this.plateauMs * 2)
        : tuning.PLATEAU_MS;
    this.setLimit(this.startup ? found : Math.max(this.limit, found));
    this.learntAt = now;
    this.probe = 1;
    this.startup = false;
    this.rate = tuning.PACE_SHARE * this.limit;
  }

  /**
   * Refused at or below the pace: the limit fell, or the server's window is spent (nothing accepted). A
   * refusal now and then is jitter against a small burst allowance (or noise: a late start, a server that
   * stalled and took two requests at once): the pace steps back a little and recovers. Refusals that
   * repeat, if too few to be a fall, mean a limit learnt a shade high (a burst counted in): it gives a
   * notch. False when the timeline goes on as it was.
   */
  private paceRefused(now: number, pauseMs: number | undefined): boolean {
    const refused = this.accepted.refused(tuning.MEASURE_MS);
    refused.count = this.opening.atPace(refused);
    if (refused.count < tuning.DROP_MIN_REFUSALS || refused.share < tuning.DROP_MIN_SHARE) {
      if (this.opening.atPace(this.accepted.refused(this.opening.repeatedMs)) >= tuning.REPEATED_REFUSALS)
        this.setLimit(this.limit * tuning.JITTER_LIMIT_SHARE);
      this.rate = Math.max(tuning.MIN_RATE, this.rate * tuning.JITTER_STEP_BACK);
      this.changedAt = now;
      return false;
    }
    // The accepted rate since the limit was learnt: before, it is another pace's (the start-up's ramp).
    const sinceMs = now - this.learntAt;
    const measured =
      sinceMs >= tuning.MEASURE_MIN_MS
        ? Math.max(
            this.accepted.rate(Math.min(tuning.MEASURE_MS, sinceMs), tuning.MEASURE_MIN_MS) ?? 0,
            this.accepted.rate(tuning.MEASURE_MS, tuning.MEASURE_MIN_MS) ?? 0,
          )
        : undefined;
    if (measured === undefined) this.setLimit(Math.min(this.limit * tuning.FALL_STEP, this.lastSecondRate()));
    else if (measured > 0 && measured < this.limit) this.setLimit(measured);
    this.learntAt = now;
    // A fall during the fast first probe ends it: probing on would overshoot again. The limit is rough,
    // as is one stepped down without a measurement: probed again soon.
    this.plateauMs = this.startup || measured === undefined ? tuning.FIRST_PLATEAU_MS : tuning.PLATEAU_MS;
    this.startup = false;
    this.probe = 1;
    this.rate = Math.max(tuning.MIN_RATE, Math.min(tuning.PACE_SHARE * this.limit, this.rate / 2));
    // Nothing accepted since the last change: a spent window, which the server says when it reopens.
    if (pauseMs !== undefined && this.accepted.lastAcceptedAt < this.changedAt)
      this.pacer.pausedUntil = Math.max(this.pacer.pausedUntil, now + pauseMs);
    return true;
  }

  /**
   * A cap for a fall too soon after the limit was learnt to measure it: what the last second accepted,
   * when that is a small share of the limit and the server showed a store. A limit learnt far too high
   * (an opening that met two of a window's quotas) spends each window's quota early and is refused for
   * the rest of it; stepping down a fifth per window would take seconds. Nearer the limit, or from a
   * server that stores nothing (it refuses now and then at any pace), the last second says nothing more.
   */
  private lastSecondRate(): number {
    if (this.opening.storesNothing) return Infinity;
    const accepted = this.accepted.rate(tuning.MEASURE_MS, tuning.MEASURE_MIN_MS) ?? Infinity;
    return accepted < tuning.GROSS_FALL_SHARE * this.limit ? accepted : Infinity;
  }

  /** The first guess rises to the rate the spacing of the opening's acceptances shows, if higher. */
  private learnSpacing(now: number, start: Start): void {
    if (!this.startup || Number.isFinite(start.pace)) return;
    const spaced = this.opening.spacedRate(now, this.accepted.lastAcceptedAt, this.lastRefusalAt) ?? 0;
    if (spaced <= this.limit * this.probe) return;
    this.setLimit(spaced);
    this.probe = 1;
    this.rate = tuning.PACE_SHARE * this.limit;
    this.pacer.hasten(now, this.rate);
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
    this.learntAt = this.now();
    this.probe = 1;
    this.rate = Math.min(this.rate, tuning.PACE_SHARE * perSecond);
    this.changedAt = this.now();
  }
}
