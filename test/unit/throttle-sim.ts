/**
 * A discrete-event simulation of a sync's requests against one of the emulator's limiter models, on a
 * simulated clock: workers that acquire the throttle, are decided on by the limiter when they arrive,
 * answer after the latency, and retry a 429 as the HTTP client does (the Retry-After wait, else backoff).
 */
import { createLimiter, type LimiterSpec } from '../../src/emulator/api/limiters.js';
import { rateLimitHeaders } from '../../src/emulator/api/rate-limit.js';
import type { RetryAfterMode } from '../../src/emulator/api/knobs.js';
import { parseRetryAfter } from '../../src/retry/retry-after.js';
import { Throttle, type ThrottleOptions } from '../../src/api/throttle.js';

/**
 * Event-loop lag of a busy machine: every timer fires late, most by under a millisecond, one in `every`
 * by up to `maxMs` (a process left without a core for a while).
 */
export interface TimerLag {
  maxMs: number;
  every: number;
}

/** A simulated clock: timers fire in time order; between two, every pending promise settles. */
export class SimClock {
  t = 1_700_000_000_000;
  private seq = 0;
  private lagSeed = 11;
  private readonly timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  constructor(private readonly lag?: TimerLag) {}
  readonly now = (): number => this.t;
  /** How late the next timer fires, ms. */
  private lateness(): number {
    if (!this.lag) return 0;
    const rand = (): number => (this.lagSeed = (this.lagSeed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    return rand() * this.lag.every < 1 ? rand() * this.lag.maxMs : rand();
  }
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = { at: this.t + Math.max(0, ms) + this.lateness(), seq: this.seq++, fire: resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  /** Runs timers until `done` is true or the clock passes `untilMs`. */
  async run(done: () => boolean, untilMs: number): Promise<void> {
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (done() || this.timers.length === 0) return;
      let i = 0;
      for (let j = 1; j < this.timers.length; j++) {
        const a = this.timers[j]!;
        const b = this.timers[i]!;
        if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) i = j;
      }
      const [next] = this.timers.splice(i, 1);
      if (next!.at > untilMs) return;
      this.t = next!.at;
      next!.fire();
    }
  }
}

export interface SimSpec {
  limit: LimiterSpec;
  retryAfter: RetryAfterMode;
  /** Requests to make (details). */
  n: number;
  concurrency?: number;
  latencyMs?: number;
  /** Largest random delay added to each request's arrival, ms (timer and network jitter). */
  jitterMs?: number;
  /** Timers (the throttle's pacing, the latency) fire late, as on a busy machine. */
  lag?: TimerLag;
  /** Stop after this much simulated time even if requests remain, ms. */
  maxMs?: number;
  throttle?: ThrottleOptions;
  /** Seed of the arrival jitter and the retries' backoff. Default 7. */
  seed?: number;
  /**
   * The first request goes alone and the others start once it is answered, as a sync's first list page
   * goes before its details (one of the `n` requests).
   */
  listFirst?: boolean;
  /**
   * How far past a whole 10 s of the server's clock the run starts, ms: a server's fixed windows are
   * aligned to its clock, not to the client's first request. Default 0.
   */
  phaseMs?: number;
}

export interface SimResult {
  /** Simulated time from the first request to the last answer, ms. */
  wallMs: number;
  accepted: number;
  refused: number;
  /** Arrival times (ms since start) of accepted requests. */
  acceptedAt: number[];
  refusedAt: number[];
  /** The throttle's paced rate over time: [ms since start, requests/s]. */
  rates: Array<[number, number]>;
  throttle: Throttle;
}

/** Runs the simulation to its end (every request accepted) or to `maxMs`. */
export async function simulate(s: SimSpec): Promise<SimResult> {
  const clock = new SimClock(s.lag);
  clock.t += s.phaseMs ?? 0;
  const start = clock.t;
  const latency = s.latencyMs ?? 20;
  const jitter = s.jitterMs ?? 2;
  const limiter = createLimiter(s.limit, start);
  const throttle = new Throttle(s.concurrency ?? 16, clock.now, { sleep: clock.sleep, ...s.throttle });
  let seed = s.seed ?? 7;
  const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const r: SimResult = { wallMs: 0, accepted: 0, refused: 0, acceptedAt: [], refusedAt: [], rates: [], throttle };
  let next = 0;
  let last = start;
  const one = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      await throttle.acquire();
      const arrival = clock.t + rand() * jitter;
      const d = limiter.take(arrival);
      await clock.sleep(latency + (arrival - clock.t));
      last = clock.t;
      // With the `Date` an HTTP server adds: its clock in whole seconds.
      const headers: Record<string, string> = {
        ...rateLimitHeaders(d, s.limit, s.retryAfter, arrival),
        date: new Date(arrival).toUTCString(),
      };
      const retryAfterMs = d.ok ? undefined : parseRetryAfter(headers['retry-after'], clock.t, headers.date);
      throttle.release(d.ok ? 200 : 429, headers, retryAfterMs);
      if (d.ok) {
        r.accepted++;
        r.acceptedAt.push(arrival - start);
        return;
      }
      r.refused++;
      r.refusedAt.push(arrival - start);
      // As the HTTP client: the server's wait, else exponential backoff with jitter from 500 ms.
      await clock.sleep(retryAfterMs ?? 500 * 2 ** Math.min(attempt, 6) * (1 + rand()));
    }
  };
  const worker = async (): Promise<void> => {
    while (next < s.n) {
      next++;
      await one();
    }
  };
  if (s.listFirst) {
    next++;
    let listed = false;
    void one().then(() => (listed = true));
    await clock.run(() => listed, start + (s.maxMs ?? 600_000));
  }
  const workers = Array.from({ length: s.concurrency ?? 16 }, worker);
  let finished = false;
  void Promise.all(workers).then(() => (finished = true));
  const sampler = async (): Promise<void> => {
    while (!finished) {
      r.rates.push([clock.t - start, throttle.stats.rate]);
      await clock.sleep(250);
    }
  };
  void sampler();
  await clock.run(() => finished, start + (s.maxMs ?? 600_000));
  r.wallMs = last - start;
  return r;
}

/** Accepted requests per second between two times (ms since start). */
export function rateBetween(r: SimResult, fromMs: number, toMs: number): number {
  return (r.acceptedAt.filter((t) => t >= fromMs && t < toMs).length * 1000) / (toMs - fromMs);
}
