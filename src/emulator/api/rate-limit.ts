/**
 * Token-bucket rate limiting for the emulated API, with the headers a polite client can throttle on.
 */
import type { RateLimit, RetryAfterMode } from './knobs.js';

/** Outcome of one request against the bucket. */
export interface BucketResult {
  ok: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Time until one token is available (0 when ok). */
  retryAfterMs: number;
  /** Time until the bucket is full again. */
  resetMs: number;
}

export interface TokenBucket {
  readonly limit: RateLimit;
  take(nowMs: number): BucketResult;
}

/** A bucket that starts full. */
export function createTokenBucket(limit: RateLimit, nowMs: number): TokenBucket {
  let tokens = limit.burst;
  let last = nowMs;
  return {
    limit,
    take(now) {
      tokens = Math.min(limit.burst, tokens + ((now - last) / 1000) * limit.rps);
      last = now;
      const ok = tokens >= 1;
      if (ok) tokens -= 1;
      const perTokenMs = 1000 / limit.rps;
      return {
        ok,
        remaining: Math.floor(tokens),
        retryAfterMs: ok ? 0 : Math.ceil((1 - tokens) * perTokenMs),
        resetMs: Math.ceil((limit.burst - tokens) * perTokenMs),
      };
    },
  };
}

/**
 * `X-RateLimit-Limit/Remaining/Reset` (Reset in delta seconds, as in draft-ietf-httpapi-ratelimit-headers),
 * plus `Retry-After` on a refusal in the chosen form (RFC 9110 §10.2.3). Both forms round up, so a client
 * that waits exactly as told finds a token.
 */
export function rateLimitHeaders(r: BucketResult, limit: RateLimit, mode: RetryAfterMode, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(limit.burst),
    'x-ratelimit-remaining': String(r.remaining),
    'x-ratelimit-reset': String(Math.ceil(r.resetMs / 1000)),
  };
  if (!r.ok && mode === 'seconds') headers['retry-after'] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
  if (!r.ok && mode === 'http-date') {
    // HTTP-dates have one-second resolution: round the instant up to the next whole second.
    headers['retry-after'] = new Date(Math.ceil((nowMs + r.retryAfterMs) / 1000) * 1000).toUTCString();
  }
  return headers;
}
