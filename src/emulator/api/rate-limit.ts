/**
 * Rate limiting of the emulated API: the limiter models (limiters.ts) behind the `rateLimit` knob, and
 * the headers a polite client can throttle on.
 */
import type { RateLimit, RetryAfterMode } from './knobs.js';
import { createLimiter } from './limiters.js';
import type { LimitDecision } from './limiters.js';

/**
 * The clock a server's limiter judges by: monotonic and finer than a millisecond, on the epoch's scale (a
 * fixed window is aligned to it, a Retry-After date is read from it). Date.now() truncates to whole
 * milliseconds and may be stepped by the system clock: against a bucket that holds one request, a
 * millisecond is a share of the interval between two requests.
 */
export const limiterClock = (): number => performance.timeOrigin + performance.now();

/** Outcome of one request against the limiter. */
export type BucketResult = LimitDecision;

/** The handler's limiter, tagged with the knob value it was built from (a swapped knob rebuilds it). */
export interface TokenBucket {
  readonly limit: RateLimit;
  take(nowMs: number): BucketResult;
}

/** The limiter the knob describes (a token bucket unless `kind` says otherwise), starting full at `nowMs`. */
export function createTokenBucket(limit: RateLimit, nowMs: number): TokenBucket {
  const limiter = createLimiter(limit, nowMs);
  return { limit, take: (now) => limiter.take(now) };
}

/**
 * The limit's headers in the chosen set: `X-RateLimit-Limit/Remaining/Reset` (Reset in delta seconds),
 * and/or the IETF draft's `RateLimit-Policy: "default";q=;w=` and `RateLimit: "default";r=;t=`. On a
 * refusal, `Retry-After` (RFC 9110 §10.2.3) in the chosen form: whole seconds and HTTP-dates round up, so
 * a client that waits exactly as told finds room; fractional seconds are exact to the millisecond.
 */
export function rateLimitHeaders(
  r: BucketResult,
  limit: RateLimit,
  mode: RetryAfterMode,
  nowMs: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = limit.headers ?? 'x-ratelimit';
  const resetS = String(Math.ceil(r.resetMs / 1000));
  if (set === 'x-ratelimit' || set === 'both') {
    headers['x-ratelimit-limit'] = String(r.quota);
    headers['x-ratelimit-remaining'] = String(r.remaining);
    headers['x-ratelimit-reset'] = resetS;
  }
  if (set === 'ietf' || set === 'both') {
    headers['ratelimit-policy'] = `"default";q=${+r.policyQuota.toFixed(3)};w=${+(r.policyWindowMs / 1000).toFixed(3)}`;
    headers['ratelimit'] = `"default";r=${r.remaining};t=${resetS}`;
  }
  if (r.ok) return headers;
  if (mode === 'seconds') headers['retry-after'] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
  if (mode === 'fractional') headers['retry-after'] = (Math.max(1, r.retryAfterMs) / 1000).toFixed(3);
  if (mode === 'http-date') {
    // HTTP-dates have one-second resolution: round the instant up to the next whole second.
    headers['retry-after'] = new Date(Math.ceil((nowMs + r.retryAfterMs) / 1000) * 1000).toUTCString();
  }
  return headers;
}
