/**
 * Client-side flow control shared by every request of a run, so the sync slows down *before* the server
 * has to say 429, and all workers pause together when it does:
 * - a concurrency limit that starts at the configured maximum, shrinks multiplicatively on 429 and grows
 *   back additively on success (AIMD, as TCP does);
 * - a global pause until a server-given `Retry-After`;
 * - pacing from rate-limit headers (`RateLimit-Remaining`/`-Reset` or `X-RateLimit-*`): when the remaining
 *   budget runs low, request starts are spread over the time left until the reset.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';

export interface ThrottleStats {
  throttled: number;
  limit: number;
}

export class Throttle {
  private limit: number;
  private inFlight = 0;
  private pausedUntil = 0;
  private nextStartAt = 0;
  private minIntervalMs = 0;
  private readonly waiters: Array<() => void> = [];
  throttled = 0;

  constructor(private readonly maxConcurrency: number, private readonly now: () => number = Date.now) {
    this.limit = maxConcurrency;
  }

  /** Wait for a slot; resolves when a request may start. Call `release` exactly once afterwards. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= Math.floor(this.limit)) {
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
      // Pauses and pacing: each start claims the next free start time.
      for (;;) {
        const now = this.now();
        const startAt = Math.max(now, this.pausedUntil, this.nextStartAt);
        if (startAt <= now) break;
        await sleep(startAt - now, undefined, signal ? { signal } : {});
      }
      this.nextStartAt = Math.max(this.now(), this.nextStartAt) + this.minIntervalMs;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Give the slot back and learn from the answer (status 0 = no answer). */
  release(status = 0, headers?: IncomingHttpHeaders, retryAfterMs?: number): void {
    this.inFlight--;
    if (status === 429) {
      this.throttled++;
      this.limit = Math.max(1, this.limit * 0.7);
      const wait = retryAfterMs ?? 1000;
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + wait);
    } else if (status >= 200 && status < 300) {
      this.limit = Math.min(this.maxConcurrency, this.limit + 1 / Math.max(1, this.limit));
    }
    if (headers) this.learnRate(headers);
    this.waiters.shift()?.();
  }

  get stats(): ThrottleStats {
    return { throttled: this.throttled, limit: this.limit };
  }

  private learnRate(headers: IncomingHttpHeaders): void {
    const remaining = num(headers['ratelimit-remaining'] ?? headers['x-ratelimit-remaining']);
    const resetS = num(headers['ratelimit-reset'] ?? headers['x-ratelimit-reset']);
    if (remaining === undefined || resetS === undefined) return;
    // Epoch seconds (GitHub style) vs delta seconds (IETF draft): anything past 2001 is an epoch.
    const resetMs = resetS > 1e9 ? resetS * 1000 - this.now() : resetS * 1000;
    const budget = Math.max(0, remaining - this.inFlight);
    // Plenty left: no pacing. Running low: spread what is left over the time to the reset.
    this.minIntervalMs = budget > 2 * this.maxConcurrency ? 0 : Math.max(0, resetMs) / Math.max(1, budget);
  }
}

function num(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
