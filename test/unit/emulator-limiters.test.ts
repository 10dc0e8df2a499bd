/**
 * The emulator's limiter models on a caller's clock: what each admits and refuses, the wait it asks
 * for, a schedule of changes, another client's share, and the headers of each set and Retry-After form.
 */
import { describe, expect, it } from 'vitest';
import { createLimiter, limiterProblems, type LimiterSpec } from '../../src/emulator/api/limiters.js';
import { limiterClock, rateLimitHeaders } from '../../src/emulator/api/rate-limit.js';

const T0 = 1_700_000_000_000;

/** Offers one request every `gapMs` for `forMs`; returns the times (ms from T0) of those admitted. */
function offer(spec: LimiterSpec, gapMs: number, forMs: number, start = T0): number[] {
  const limiter = createLimiter(spec, start);
  const ok: number[] = [];
  for (let t = start; t < start + forMs; t += gapMs) if (limiter.take(t).ok) ok.push(t - start);
  return ok;
}

describe('emulator limiter models', () => {
  it('token bucket: the burst at once, then the rate; a refusal says when the next token comes', () => {
    const limiter = createLimiter({ rps: 10, burst: 3 }, T0);
    expect([1, 2, 3, 4].map(() => limiter.take(T0).ok)).toEqual([true, true, true, false]);
    expect(limiter.take(T0).retryAfterMs).toBe(100);
    expect(limiter.take(T0 + 100).ok).toBe(true);
    // Offered 100/s for 10 s: the burst plus 10/s.
    expect(offer({ rps: 10, burst: 3 }, 10, 10_000).length).toBe(3 + 100 - 1);
  });

  it('token bucket with burst 1: never two requests closer than 1/rate', () => {
    const ok = offer({ rps: 20, burst: 1 }, 7, 5000);
    for (let i = 1; i < ok.length; i++) expect(ok[i]! - ok[i - 1]!).toBeGreaterThanOrEqual(50);
  });

  it("token bucket with burst 1: judged to the fraction of a millisecond, as by the emulator's clock", () => {
    const limiter = createLimiter({ rps: 20, burst: 1 }, T0);
    expect(limiter.take(T0 + 0.9).ok).toBe(true);
    // 49.6 ms later: refused. A clock of whole milliseconds reads the two 50 ms apart and admits it.
    expect(limiter.take(T0 + 50.5).ok).toBe(false);
    expect(limiter.take(T0 + 50.9).ok).toBe(true);
    expect(limiterClock()).toBeGreaterThan(T0);
    const [a, b] = [limiterClock(), limiterClock()];
    expect(b).toBeGreaterThanOrEqual(a);
  });

  it('fixed window: the whole quota at the window start, the rest refused until the next window', () => {
    // Windows are aligned to the epoch: start on a boundary.
    const start = Math.ceil(T0 / 10_000) * 10_000;
    const limiter = createLimiter({ rps: 5, burst: 5, kind: 'fixed-window', windowMs: 10_000 }, start);
    const first = Array.from({ length: 51 }, (_, i) => limiter.take(start + i));
    expect(first.filter((d) => d.ok).length).toBe(50);
    expect(first[50]?.retryAfterMs).toBe(10_000 - 50);
    expect(limiter.take(start + 9999).ok).toBe(false);
    expect(limiter.take(start + 10_000).ok).toBe(true);
  });

  it('sliding log: never more than the quota in any window', () => {
    const ok = offer({ rps: 10, burst: 10, kind: 'sliding-log' }, 13, 6000);
    for (const t of ok) expect(ok.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(10);
    expect(ok.length).toBeGreaterThanOrEqual(59);
  });

  it('a schedule scales the limit from its times after the first request on', () => {
    const spec: LimiterSpec = {
      rps: 20,
      burst: 1,
      changes: [
        { afterMs: 5000, factor: 0.5 },
        { afterMs: 10_000, factor: 1 },
      ],
    };
    const ok = offer(spec, 5, 15_000);
    const count = (from: number, to: number) => ok.filter((t) => t >= from && t < to).length;
    expect(count(1000, 5000)).toBe(80);
    expect(count(6000, 10_000)).toBe(40);
    expect(count(11_000, 15_000)).toBe(80);
    expect(createLimiter(spec, T0).availableRps(T0 + 7000)).toBe(10);
  });

  it('another client takes its share of the limit', () => {
    const ok = offer({ rps: 50, burst: 1, sharedShare: 0.4 }, 2, 10_000);
    expect(ok.length).toBeGreaterThanOrEqual(0.6 * 500 - 5);
    expect(ok.length).toBeLessThanOrEqual(0.6 * 500 + 5);
  });

  it('invalid specs are named', () => {
    expect(limiterProblems({ rps: 0, burst: 0, kind: 'leaky' as never, sharedShare: 1 }).join('; ')).toMatch(
      /rps.*burst.*kind.*sharedShare/,
    );
  });
});

describe('emulator rate-limit headers', () => {
  const refused = (spec: LimiterSpec) => {
    const limiter = createLimiter(spec, T0);
    for (;;) {
      const d = limiter.take(T0 + 10);
      if (!d.ok) return d;
    }
  };

  it('X-RateLimit-* by default; the IETF pair when asked; none when asked', () => {
    const d = refused({ rps: 50, burst: 5 });
    expect(Object.keys(rateLimitHeaders(d, { rps: 50, burst: 5 }, 'none', T0)).sort()).toEqual([
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ]);
    const ietf = rateLimitHeaders(d, { rps: 50, burst: 5, headers: 'ietf' }, 'none', T0);
    expect(ietf['ratelimit-policy']).toBe('"default";q=50;w=1');
    expect(ietf['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
    expect(rateLimitHeaders(d, { rps: 50, burst: 5, headers: 'none' }, 'none', T0)).toEqual({});
    const window = refused({ rps: 50, burst: 50, kind: 'fixed-window', windowMs: 10_000 });
    expect(
      rateLimitHeaders(
        window,
        { rps: 50, burst: 50, kind: 'fixed-window', windowMs: 10_000, headers: 'both' },
        'none',
        T0,
      )['ratelimit-policy'],
    ).toBe('"default";q=500;w=10');
  });

  it('Retry-After as whole seconds (rounded up), fractional seconds, an HTTP-date (rounded up), or absent', () => {
    const d = refused({ rps: 50, burst: 5 });
    expect(d.retryAfterMs).toBe(20);
    const spec = { rps: 50, burst: 5, headers: 'none' as const };
    expect(rateLimitHeaders(d, spec, 'seconds', T0)['retry-after']).toBe('1');
    expect(rateLimitHeaders(d, spec, 'fractional', T0)['retry-after']).toBe('0.020');
    expect(rateLimitHeaders(d, spec, 'http-date', T0)['retry-after']).toBe(
      new Date(Math.ceil((T0 + 20) / 1000) * 1000).toUTCString(),
    );
    expect(rateLimitHeaders(d, spec, 'none', T0)['retry-after']).toBeUndefined();
  });
});
