/**
 * Client-side flow control shared by every request of a run, so the sync rides just under the server's
 * rate limit whatever its shape (token bucket of any burst, fixed or sliding windows, a limit shared with
 * other clients or changed mid-run), learnt from the server's answers:
 * - at most `maxConcurrency` requests in flight, starts paced at `rate` on an absolute timeline by one
 *   pacer (pacer.ts: a late timer is caught up, idle time is not banked into a burst);
 * - before the first 429 nothing is paced (the server may have no limit), but the window of requests in
 *   flight opens by one per accepted answer, so a small burst allowance sees two refusals, not a volley;
 * - `limit` is the server's sustained rate as learnt; the pace is PACE_SHARE of it. The first 429 gives a
 *   first guess (accepted and in flight over at least a second; from a server that stores nothing, at
 *   least the rate the spacing of the opening's acceptances shows: opening.ts), probed upwards fast
 *   until a 429 says where the limit is: near where the probe got (it overshoots by a round trip's growth), unless a
 *   store the server showed at the opening (a window's quota, a burst) carried it further, then the
 *   accepted rate over the last second of activity (a fall of the limit, below, ends that probe too);
 * - only a 429 to a request started after the last change counts (older ones answer the old pace). One
 *   above the pace means a probe went too far: the limit becomes the rate sent over the probe's last
 *   second (a bucket of one refuses below its limit), at most the pace of the refused start, never lower
 *   than the limit the probe started from (a late start refuses a request now and then at any pace).
 *   One at the pace is jitter when 429s are a small share of the last answers or fewer than
 *   DROP_MIN_REFUSALS (the opening's unpaced ones not counted from a server that stores nothing): the
 *   pace steps back a little; when they repeat, the limit gives a notch too. Else the limit fell: it
 *   follows the accepted rate since it was last learnt, the pace halves and recovers once requests
 *   pass again. Active time only is measured (nothing to send is not a lower limit), and
 *   when nothing passed since the last change the window is spent: every request waits for the
 *   Retry-After;
 * - after a plateau without a 429 the limit is probed upwards, slowly at first and faster the longer no
 *   429 comes: a raised limit is found within seconds; a probe that finds the limit where it was doubles
 *   the plateau (up to MAX_PLATEAU_MS), so a steady limit costs a 429 rarely;
 * - `RateLimit-Policy` (IETF draft, `q;w=`) gives the limit outright, as a ceiling never probed above;
 * - a long `Retry-After` pauses every request, not only the one that got it.
 * The figures named here live in throttle-tuning.ts. What the server says is bounded (bounds.ts): a wait
 * longer than `maxPauseMs`, an HTTP-date in the past or a policy under one request a minute is capped and
 * reported once through `warn`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { AcceptanceLog } from './acceptance-log.js';
import { ServerBounds } from './bounds.js';
import { Opening } from './opening.js';
import { Pacer, abortReason } from './pacer.js';
import * as tuning from './throttle-tuning.js';
import type { Start, ThrottleOptions, ThrottleStats } from './throttle-types.js';

export type { ThrottleOptions, ThrottleStats } from './throttle-types.js';

export class Throttle {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
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
    this.inFlight--;
    const start = this.starts.shift() ?? { at: now, caughtUp: false, pace: this.rate };
    if (headers) this.readPolicy(headers);
    if (status === 429) this.onRefused(now, start, this.bounds.retryAfter(headers, retryAfterMs, now));
    else if (status >= 200 && status < 300) {
      this.learnSpacing(now, start);
      this.accepted.add(now);
    }
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
    this.accepted.advance(now, this.inFlight > 0 && now > this.pacer.pausedUntil);
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

  private onRefused(now: number, start: Start, pauseMs: number | undefined): void {
    this.throttled++;
    this.accepted.refuse(now);
    this.opening.close(this.accepted.total);
    this.lastRefusalAt = now;
    if (pauseMs !== undefined && pauseMs >= tuning.GLOBAL_PAUSE_THRESHOLD_MS)
      this.pacer.pausedUntil = Math.max(this.pacer.pausedUntil, now + pauseMs);
    if (!Number.isFinite(start.pace)) this.opening.refused(now);
    // An answer to a request paced before the last change says nothing about the new pace.
    if (start.at < this.changedAt) return;
    if (start.caughtUp) this.pacer.caughtUpRefused();
    const elapsed = Math.max(tuning.FIRST_ESTIMATE_MIN_MS, now - (this.firstStartAt ?? now));
    if (!Number.isFinite(this.limit)) {
      // Answers still on their way may be acceptances: a first guess, probed upwards quickly.
      this.setLimit(((this.accepted.total + this.inFlight + 1) * 1000) / elapsed);
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
    // No sign that the limit fell below the pace (a window refuses them once its quota is spent: they count).
    refused.count -= this.opening.refusalsToDiscount(refused.since);
    if (refused.count < tuning.DROP_MIN_REFUSALS || refused.share < tuning.DROP_MIN_SHARE) {
      if (refused.count >= tuning.REPEATED_REFUSALS) this.setLimit(this.limit * tuning.JITTER_LIMIT_SHARE);
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
    if (measured === undefined) this.setLimit(this.limit * tuning.FALL_STEP);
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
