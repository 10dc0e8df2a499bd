/**
 * The rate limiter's flags of `npm run emulator`: the limit (`--rate-limit`), its model, window, headers,
 * a schedule of changes and a share taken by another client. Kept apart from cli.ts so the limiter's
 * flags, help and checks live together.
 */
import { LIMITER_KINDS, RATE_HEADER_SETS } from './api/limiters.js';
import type { LimitChange, LimiterKind, LimiterSpec, RateHeaderSet } from './api/limiters.js';

export const LIMITER_HELP = `  --rate-limit RPS[:BURST]  limit the API to RPS requests/s; 429 beyond it   (default off)
  --limiter KIND         token-bucket (BURST stored, default RPS) | fixed-window |
                         sliding-log                            (default token-bucket)
  --limit-window SEC     window of fixed-window and sliding-log (default 1)
  --limit-headers SET    x-ratelimit | ietf (RateLimit-Policy, RateLimit) | both |
                         none                                   (default x-ratelimit)
  --limit-changes S:F,…  from S seconds after the first request on, the limit is
                         F × RPS, e.g. 10:0.5,25:1 (halves, then back)
  --limit-shared SHARE   another client uses this share of the limit, 0..0.9
`;

export const LIMITER_OPTIONS = {
  'rate-limit': { type: 'string' },
  limiter: { type: 'string' },
  'limit-window': { type: 'string' },
  'limit-headers': { type: 'string' },
  'limit-changes': { type: 'string' },
  'limit-shared': { type: 'string' },
} as const;

type LimiterValues = { [K in keyof typeof LIMITER_OPTIONS]?: string | undefined };

/** The limiter the flags describe (undefined without --rate-limit); problems are appended to `problems`. */
export function limiterFromArgs(values: LimiterValues, problems: string[]): LimiterSpec | undefined {
  const rate = values['rate-limit'];
  const others = (['limiter', 'limit-window', 'limit-headers', 'limit-changes', 'limit-shared'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (rate === undefined) {
    if (others.length > 0) problems.push(`--${others[0]}: needs --rate-limit RPS[:BURST]`);
    return undefined;
  }
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(rate);
  const rps = Number(m?.[1]);
  if (!m || rps <= 0) {
    problems.push(`--rate-limit: expected RPS or RPS:BURST, e.g. 10 or 10:20 (got "${rate}")`);
    return undefined;
  }
  const spec: LimiterSpec = {
    rps,
    burst: m[2] !== undefined ? Math.max(1, Number(m[2])) : Math.max(1, Math.ceil(rps)),
  };
  const kind = values.limiter;
  if (kind !== undefined) {
    if ((LIMITER_KINDS as readonly string[]).includes(kind)) spec.kind = kind as LimiterKind;
    else problems.push(`--limiter: expected ${LIMITER_KINDS.join(' | ')} (got "${kind}")`);
  }
  const headers = values['limit-headers'];
  if (headers !== undefined) {
    if ((RATE_HEADER_SETS as readonly string[]).includes(headers)) spec.headers = headers as RateHeaderSet;
    else problems.push(`--limit-headers: expected ${RATE_HEADER_SETS.join(' | ')} (got "${headers}")`);
  }
  const window = values['limit-window'];
  if (window !== undefined) {
    const s = Number(window);
    if (window.trim() === '' || !(s > 0) || s > 86_400)
      problems.push(`--limit-window: expected seconds from above 0 to 86400 (got "${window}")`);
    else spec.windowMs = s * 1000;
  }
  const shared = values['limit-shared'];
  if (shared !== undefined) {
    const s = Number(shared);
    if (shared.trim() === '' || !(s >= 0 && s <= 0.9))
      problems.push(`--limit-shared: expected a share from 0 to 0.9 (got "${shared}")`);
    else spec.sharedShare = s;
  }
  const changes = values['limit-changes'];
  if (changes !== undefined) {
    const steps = changes.split(',').map((p) => /^\s*(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)\s*$/.exec(p));
    if (steps.some((s) => s === null || !(Number(s[2]) > 0)))
      problems.push(`--limit-changes: expected SECONDS:FACTOR,..., e.g. 10:0.5,25:1 (got "${changes}")`);
    else spec.changes = steps.map((s): LimitChange => ({ afterMs: Number(s?.[1]) * 1000, factor: Number(s?.[2]) }));
  }
  return spec;
}
