/**
 * The rate limiter models real APIs use, as pure state machines over a caller-supplied clock (epoch ms),
 * so the emulator serves them over HTTP and unit tests replay them on a simulated clock: one
 * implementation of each model.
 *
 * - token bucket: `rps` tokens a second, at most `burst` stored (AWS API Gateway, most gateways);
 * - fixed window: at most rps·window requests per window, windows aligned to the epoch (many SaaS APIs);
 * - sliding log: at most rps·window requests in any window ending now (exact, as Redis sorted-set limiters).
 *
 * Around any of them: a schedule that scales the limit at given times after the first request (a limit
 * that halves, then doubles back), and another client sharing the limit, taking a share of it at a
 * steady pace.
 */

export type LimiterKind = 'token-bucket' | 'fixed-window' | 'sliding-log';
export const LIMITER_KINDS: readonly LimiterKind[] = ['token-bucket', 'fixed-window', 'sliding-log'];

/** Which rate-limit headers a limited answer carries (Retry-After on a 429 is set apart). */
export type RateHeaderSet = 'x-ratelimit' | 'ietf' | 'both' | 'none';
export const RATE_HEADER_SETS: readonly RateHeaderSet[] = ['x-ratelimit', 'ietf', 'both', 'none'];

/** A step of the limit's schedule: from `afterMs` after the first request on, the limit is `factor` × its base. */
export interface LimitChange {
  afterMs: number;
  factor: number;
}

/** The shape of a limit, as the emulator's `rateLimit` knob holds it. */
export interface LimiterSpec {
  /** Sustained requests per second. */
  rps: number;
  /** Token bucket: tokens stored at most. */
  burst: number;
  /** Default token-bucket. */
  kind?: LimiterKind;
  /** Fixed window / sliding log: window length, ms (default 1000). */
  windowMs?: number;
  /** Default x-ratelimit. */
  headers?: RateHeaderSet;
  changes?: LimitChange[];
  /** Share of the limit (0 to <1) another client uses at a steady pace. */
  sharedShare?: number;
}

/** Outcome of one request against a limiter. */
export interface LimitDecision {
  ok: boolean;
  /** Requests allowed per window (token bucket: the burst), and that window in ms. */
  quota: number;
  windowMs: number;
  /** Whole requests left now. */
  remaining: number;
  /** Time until a request would be accepted (0 when ok). */
  retryAfterMs: number;
  /** Time until the quota is whole again. */
  resetMs: number;
  /** The sustained limit as a policy: `policyQuota` requests per `policyWindowMs`. */
  policyQuota: number;
  policyWindowMs: number;
}

/**
 * One model's state: `take` admits or refuses a request at `now` (a `forced` one is always counted, as
 * another client's request the server has already served); `resize` changes the limit in place.
 */
interface Model {
  take(now: number, forced?: boolean): LimitDecision;
  resize(rps: number, burst: number): void;
}

function tokenBucket(rps0: number, burst0: number, start: number): Model {
  let rps = rps0;
  let burst = burst0;
  let tokens = burst;
  let last = start;
  return {
    take(now, forced) {
      tokens = Math.min(burst, tokens + (Math.max(0, now - last) / 1000) * rps);
      last = Math.max(last, now);
      // A hair of tolerance: tenths of a token added ten times must make a whole one.
      const ok = tokens >= 1 - 1e-9;
      if (ok || forced) tokens -= 1;
      const perTokenMs = 1000 / rps;
      return {
        ok,
        quota: burst,
        windowMs: Math.max(1000, Math.round((burst / rps) * 1000)),
        remaining: Math.floor(tokens),
        retryAfterMs: ok ? 0 : Math.ceil((1 - tokens) * perTokenMs),
        resetMs: Math.ceil((burst - tokens) * perTokenMs),
        policyQuota: rps,
        policyWindowMs: 1000,
      };
    },
    resize(r, b) {
      rps = r;
      burst = b;
      tokens = Math.min(tokens, burst);
    },
  };
}

function fixedWindow(rps: number, windowMs: number): Model {
  let quota = Math.max(1, Math.round((rps * windowMs) / 1000));
  let windowStart = -Infinity;
  let used = 0;
  return {
    take(now, forced) {
      const start = Math.floor(now / windowMs) * windowMs;
      if (start !== windowStart) {
        windowStart = start;
        used = 0;
      }
      const ok = used < quota;
      if (ok || forced) used++;
      const resetMs = start + windowMs - now;
      return {
        ok,
        quota,
        windowMs,
        remaining: Math.max(0, quota - used),
        retryAfterMs: ok ? 0 : resetMs,
        resetMs,
        policyQuota: quota,
        policyWindowMs: windowMs,
      };
    },
    resize(r) {
      quota = Math.max(1, Math.round((r * windowMs) / 1000));
    },
  };
}

function slidingLog(rps: number, windowMs: number): Model {
  let quota = Math.max(1, Math.round((rps * windowMs) / 1000));
  // Times of accepted requests in the last window, oldest first.
  const log: number[] = [];
  let head = 0;
  return {
    take(now, forced) {
      while (head < log.length && (log[head] as number) <= now - windowMs) head++;
      if (head > 1024 && head * 2 > log.length) {
        log.splice(0, head);
        head = 0;
      }
      const count = log.length - head;
      const ok = count < quota;
      if (ok || forced) log.push(now);
      const inWindow = log.length - head;
      // The oldest entry whose expiry brings the count back under the quota.
      const freeing = log[head + Math.max(0, inWindow - quota)];
      const retryAfterMs = ok ? 0 : Math.max(1, (freeing ?? now) + windowMs - now);
      const newest = log[log.length - 1];
      const resetMs = newest === undefined ? 0 : newest + windowMs - now;
      return {
        ok,
        quota,
        windowMs,
        remaining: Math.max(0, quota - inWindow),
        retryAfterMs,
        resetMs,
        policyQuota: quota,
        policyWindowMs: windowMs,
      };
    },
    resize(r) {
      quota = Math.max(1, Math.round((r * windowMs) / 1000));
    },
  };
}

/** A limiter: the model, its schedule and the other client, over the caller's clock. */
export interface Limiter {
  readonly spec: LimiterSpec;
  take(now: number): LimitDecision;
  /** The sustained rate this client can have at `now`: the limit minus the other client's share. */
  availableRps(now: number): number;
}

/** Builds a limiter whose schedule starts at `start` (the first request), starting full. */
export function createLimiter(spec: LimiterSpec, start: number): Limiter {
  const kind = spec.kind ?? 'token-bucket';
  const windowMs = spec.windowMs ?? 1000;
  const model =
    kind === 'fixed-window'
      ? fixedWindow(spec.rps, windowMs)
      : kind === 'sliding-log'
        ? slidingLog(spec.rps, windowMs)
        : tokenBucket(spec.rps, spec.burst, start);
  const changes = [...(spec.changes ?? [])].sort((a, b) => a.afterMs - b.afterMs);
  const share = spec.sharedShare ?? 0;
  let factor = 1;
  let otherNext = start;

  const factorAt = (now: number): number => {
    let f = 1;
    for (const c of changes) if (now - start >= c.afterMs) f = c.factor;
    return f;
  };
  const advance = (now: number): void => {
    const f = factorAt(now);
    if (f !== factor) {
      factor = f;
      model.resize(spec.rps * f, Math.max(1, Math.round(spec.burst * f)));
    }
    if (share <= 0) return;
    // The other client's requests up to now, evenly paced and always served (it was there first); after
    // a long idle gap only its last second counts.
    const gapMs = 1000 / (share * spec.rps * factor);
    if (now - otherNext > 1000) otherNext = now - 1000;
    for (; otherNext <= now; otherNext += gapMs) model.take(otherNext, true);
  };
  return {
    spec,
    take(now) {
      advance(now);
      return model.take(now);
    },
    availableRps(now) {
      return spec.rps * factorAt(now) * (1 - share);
    },
  };
}

/** Every problem of a limiter spec, as "name: expected ... (got ...)". */
export function limiterProblems(s: LimiterSpec): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, name: string, expected: string, got: unknown): void => {
    if (!ok) problems.push(`rateLimit.${name}: expected ${expected} (got ${JSON.stringify(got)})`);
  };
  check(s.rps > 0, 'rps', 'a number > 0', s.rps);
  check(s.burst >= 1, 'burst', 'a number >= 1', s.burst);
  if (s.kind !== undefined) check(LIMITER_KINDS.includes(s.kind), 'kind', LIMITER_KINDS.join(' | '), s.kind);
  if (s.windowMs !== undefined) check(s.windowMs >= 1, 'windowMs', 'a number >= 1', s.windowMs);
  if (s.headers !== undefined)
    check(RATE_HEADER_SETS.includes(s.headers), 'headers', RATE_HEADER_SETS.join(' | '), s.headers);
  if (s.sharedShare !== undefined)
    check(s.sharedShare >= 0 && s.sharedShare < 1, 'sharedShare', 'a fraction from 0 to below 1', s.sharedShare);
  for (const c of s.changes ?? [])
    check(c.afterMs >= 0 && c.factor > 0, 'changes', 'steps with afterMs >= 0 and factor > 0', c);
  return problems;
}
