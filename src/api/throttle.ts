/**
 * Client-side flow control shared by every request of a run, so the sync stays just under the server's
 * rate limit instead of hammering it and backing off:
 * - at most `maxConcurrency` requests in flight;
 * - request starts paced at a rate learned from 429s (AIMD, as TCP does): on a 429 the rate drops to 95%
 *   of the success rate measured since the previous drop, then grows again by 3% per second of success;
 * - a `RateLimit-Policy` header (IETF draft-ietf-httpapi-ratelimit-headers, `q;w=`) sets the rate at once;
 * - a long `Retry-After` (≥ 2 s: an overloaded or paused server) pauses every request, not only the one
 *   that got it. Short ones are waited by that request alone (api/retry.ts), while pacing slows the rest.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';

const DECREASE_FACTOR = 0.95;
const GROWTH_PER_SECOND = 0.03;
/** How far the paced timeline may lag behind the clock and still be caught up (timer lateness). */
const CATCH_UP_MS = 50;
const MIN_DECREASE_INTERVAL_MS = 200;
const GLOBAL_PAUSE_THRESHOLD_MS = 2000;

export interface ThrottleStats {
  throttled: number;
  /** Current paced rate in requests/s (Infinity = not pacing). */
  rate: number;
}

export class Throttle {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private rate = Infinity;
  private ceiling = Infinity;
  private nextStartAt = 0;
  private pausedUntil = 0;
  private lastDecreaseAt: number | undefined;
  private firstStartAt: number | undefined;
  private successesSinceDecrease = 0;
  private lastGrowthAt = 0;
  throttled = 0;

  constructor(private readonly maxConcurrency: number, private readonly now: () => number = Date.now) {}

  /** Wait for a slot and for the pacing; call `release` exactly once afterwards. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= this.maxConcurrency) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    this.inFlight++;
    try {
      for (;;) {
        const now = this.now();
        const startAt = Math.max(now, this.pausedUntil, this.nextStartAt);
        if (startAt <= now) break;
        await sleep(startAt - now, undefined, signal ? { signal } : {});
      }
      const now = this.now();
      this.firstStartAt ??= now;
      // Each start claims the next slot on the paced timeline. Timer lateness is caught up (up to
      // CATCH_UP_MS, within any server's burst), but idle time is not banked into a burst.
      this.nextStartAt = Math.max(now - CATCH_UP_MS, this.nextStartAt) + (Number.isFinite(this.rate) ? 1000 / this.rate : 0);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Give the slot back and learn from the answer (status 0 = no answer). */
  release(status = 0, headers?: IncomingHttpHeaders, retryAfterMs?: number): void {
    this.inFlight--;
    const now = this.now();
    if (headers) this.readPolicy(headers);
    if (status === 429) this.onThrottled(now, retryAfterMs);
    else if (status >= 200 && status < 300) this.onSuccess(now);
    this.waiters.shift()?.();
  }

  get stats(): ThrottleStats {
    return { throttled: this.throttled, rate: this.rate };
  }

  private onThrottled(now: number, retryAfterMs: number | undefined): void {
    this.throttled++;
    if (retryAfterMs !== undefined && retryAfterMs >= GLOBAL_PAUSE_THRESHOLD_MS) {
      this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    }
    const since = this.lastDecreaseAt ?? this.firstStartAt ?? now;
    if (this.lastDecreaseAt !== undefined && now - this.lastDecreaseAt < MIN_DECREASE_INTERVAL_MS) return;
    const elapsedS = Math.max(0.05, (now - since) / 1000);
    const measured = this.successesSinceDecrease / elapsedS;
    const base = Math.min(this.rate, measured > 0 ? measured : this.rate / 2);
    this.rate = Math.max(1, (Number.isFinite(base) ? base : 1) * DECREASE_FACTOR);
    this.lastDecreaseAt = now;
    this.lastGrowthAt = now;
    this.successesSinceDecrease = 0;
  }

  private onSuccess(now: number): void {
    this.successesSinceDecrease++;
    if (!Number.isFinite(this.rate)) return;
    const dt = (now - this.lastGrowthAt) / 1000;
    if (dt <= 0) return;
    this.rate = Math.min(this.ceiling, this.rate * (1 + GROWTH_PER_SECOND * dt));
    this.lastGrowthAt = now;
  }

  /** `RateLimit-Policy: 200;w=1` → pace at (just under) 200 requests per second. */
  private readPolicy(headers: IncomingHttpHeaders): void {
    const raw = headers['ratelimit-policy'];
    if (typeof raw !== 'string') return;
    const m = /^\s*(?:"[^"]*"\s*;\s*q=)?(\d+(?:\.\d+)?)\s*(?:;.*?\bw=(\d+(?:\.\d+)?))?/.exec(raw);
    if (!m) return;
    const perSecond = Number(m[1]) / Number(m[2] ?? 1);
    if (!(perSecond > 0) || perSecond === this.ceiling) return;
    this.ceiling = perSecond;
    this.rate = Math.min(this.rate, perSecond * 0.98);
    this.lastGrowthAt = this.now();
  }
}
