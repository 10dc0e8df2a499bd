/**
 * Live-mutable knobs of the emulated SpeakUp API. The handler reads them on every request, so a test
 * (or the CLI at start) can change latency, faults, rate limit and paging while the server runs.
 */
import type { ListOrder } from './dataset.js';
import { LIST_ORDERS } from './dataset.js';
import { DETAIL_DIALECTS } from './generate.js';
import type { DetailDialect } from './generate.js';
import type { Hold } from './hold.js';
import { limiterProblems } from './limiters.js';
import type { LimiterSpec } from './limiters.js';

/** How the list endpoint pages: SpeakUp's documented bare arrays, an envelope, or no paging at all. */
export type PagingMode = 'page' | 'envelope' | 'unpaged';
export const PAGING_MODES: readonly PagingMode[] = ['page', 'envelope', 'unpaged'];

/**
 * How a 429 says when to come back: RFC 9110 §10.2.3 allows delay-seconds (whole) or an HTTP-date; some
 * servers send fractional seconds; some send nothing.
 */
export type RetryAfterMode = 'seconds' | 'http-date' | 'fractional' | 'none';
export const RETRY_AFTER_MODES: readonly RetryAfterMode[] = ['seconds', 'http-date', 'fractional', 'none'];

/** The limit: a token bucket of `rps` tokens per second and at most `burst` stored, unless `kind` says otherwise. */
export type RateLimit = LimiterSpec;

export interface ApiKnobs {
  /** Fixed delay before every answer, ms. */
  latencyMs: number;
  /** Extra uniform random delay in [0, jitterMs), ms. */
  jitterMs: number;
  /** null = unlimited. Answers 429 when the bucket is empty; X-RateLimit-* headers on every answer when set. */
  rateLimit: RateLimit | null;
  retryAfterMode: RetryAfterMode;
  /** Also advertise the rate as `RateLimit-Policy: <rps>;w=1` (IETF draft) so clients can pace exactly. */
  advertisePolicy: boolean;
  /** Probability of a 5xx answer (status drawn from `statuses5xx`). */
  p5xx: number;
  /** Probability that the connection is reset without an answer. */
  pReset: number;
  /** Probability that a 200 JSON body is cut in half (still 200, content-length of the cut body). */
  pMalformed: number;
  /** Probability that the request is never answered (until the client gives up or the server closes). */
  pStall: number;
  /** Statuses a 5xx fault picks from. */
  statuses5xx: number[];
  /** Issue ids whose detail always answers 500 (a persistent per-item failure). */
  failIds: Set<number>;
  /** The next N non-empty list pages lose their second half in that answer only (items vanish, not deleted). */
  shrinkNextPages: number;
  paging: PagingMode;
  /** Server-side cap on the page size: a client asking for more gets this many (a short page is not the end). */
  pageSizeMax: number;
  /** Page size when the client sends none. */
  defaultPageSize: number;
  pageParam: string;
  pageSizeParam: string;
  /** A closed gate (see hold.ts): matching requests are counted, then wait for its release. null = none. */
  hold: Hold | null;
  /** Shape of the detail object (see generate.ts `inDialect`). */
  detailDialect: DetailDialect;
  /** Order of the list's items. */
  listOrder: ListOrder;
  /** Serve page 1 whatever page is asked for, as a server does that pages differently or not by that name. */
  ignorePageParam: boolean;
  /** The next N requests answer 429 with `Retry-After: refuseRetryAfterSec` (and no rate-limit headers). */
  refuseNext: number;
  refuseRetryAfterSec: number;
  /** Bytes of padding added to every detail (a `padding` string field): huge answers. 0 = none. */
  detailPadBytes: number;
}

/** What `createApiKnobs` accepts: any knob, and failIds as any iterable. */
export type ApiKnobsInit = Partial<Omit<ApiKnobs, 'failIds'>> & { failIds?: Iterable<number> };

/** Knobs with defaults (no latency, no faults, no rate limit, `page` paging capped at 500), overridden by `init`. */
export function createApiKnobs(init: ApiKnobsInit = {}): ApiKnobs {
  const { failIds, ...rest } = init;
  const knobs: ApiKnobs = {
    latencyMs: 0,
    jitterMs: 0,
    rateLimit: null,
    retryAfterMode: 'seconds',
    advertisePolicy: false,
    p5xx: 0,
    pReset: 0,
    pMalformed: 0,
    pStall: 0,
    statuses5xx: [500, 502, 503],
    failIds: new Set(failIds ?? []),
    shrinkNextPages: 0,
    paging: 'page',
    pageSizeMax: 500,
    defaultPageSize: 100,
    pageParam: 'page',
    pageSizeParam: 'pageSize',
    hold: null,
    detailDialect: 'default',
    listOrder: 'id',
    ignorePageParam: false,
    refuseNext: 0,
    refuseRetryAfterSec: 1,
    detailPadBytes: 0,
    ...rest,
  };
  const problems = knobProblems(knobs);
  if (problems.length > 0) throw new RangeError(`invalid emulator knobs: ${problems.join('; ')}`);
  return knobs;
}

/** Every invalid knob, as "name: expected ... (got ...)". */
export function knobProblems(k: ApiKnobs): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, name: string, expected: string, got: unknown): void => {
    if (!ok) problems.push(`${name}: expected ${expected} (got ${JSON.stringify(got)})`);
  };
  for (const name of ['p5xx', 'pReset', 'pMalformed', 'pStall'] as const) {
    check(k[name] >= 0 && k[name] <= 1, name, 'a probability from 0 to 1', k[name]);
  }
  check(k.latencyMs >= 0, 'latencyMs', 'a number >= 0', k.latencyMs);
  check(Number.isInteger(k.refuseNext) && k.refuseNext >= 0, 'refuseNext', 'an integer >= 0', k.refuseNext);
  check(
    Number.isInteger(k.refuseRetryAfterSec) && k.refuseRetryAfterSec >= 0,
    'refuseRetryAfterSec',
    'an integer >= 0',
    k.refuseRetryAfterSec,
  );
  check(k.jitterMs >= 0, 'jitterMs', 'a number >= 0', k.jitterMs);
  check(Number.isInteger(k.pageSizeMax) && k.pageSizeMax >= 1, 'pageSizeMax', 'an integer >= 1', k.pageSizeMax);
  check(
    Number.isInteger(k.defaultPageSize) && k.defaultPageSize >= 1,
    'defaultPageSize',
    'an integer >= 1',
    k.defaultPageSize,
  );
  check(PAGING_MODES.includes(k.paging), 'paging', PAGING_MODES.join(' | '), k.paging);
  check(DETAIL_DIALECTS.includes(k.detailDialect), 'detailDialect', DETAIL_DIALECTS.join(' | '), k.detailDialect);
  check(LIST_ORDERS.includes(k.listOrder), 'listOrder', LIST_ORDERS.join(' | '), k.listOrder);
  check(
    RETRY_AFTER_MODES.includes(k.retryAfterMode),
    'retryAfterMode',
    RETRY_AFTER_MODES.join(' | '),
    k.retryAfterMode,
  );
  check(
    k.statuses5xx.length > 0 && k.statuses5xx.every((s) => s >= 500 && s <= 599),
    'statuses5xx',
    'a non-empty list of 5xx statuses',
    k.statuses5xx,
  );
  if (k.rateLimit) problems.push(...limiterProblems(k.rateLimit));
  return problems;
}
