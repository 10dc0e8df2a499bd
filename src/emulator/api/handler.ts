/**
 * The emulated SpeakUp public API: `GET /v1/public/issues` and `GET /v1/public/issues/{id}`, with bearer
 * token and client-header checks, the paging modes, and the fault knobs. A plain EmuHandler (see ../types.ts).
 *
 * Order per request, as a gateway in front of a service would do it: rate limit, transport/5xx faults,
 * method (405), authentication (401), client header (403), routing (404), per-id failures, malformed bodies.
 */
import type { EmuHandler, EmuRequest, EmuResponse, TokenCheck } from '../types.js';
import type { ApiCounters, FaultKind, RequestKind } from './counters.js';
import type { Dataset } from './dataset.js';
import type { ApiKnobs } from './knobs.js';
import { listBody, parsePageWindow } from './paging.js';
import { createTokenBucket, limiterClock, rateLimitHeaders } from './rate-limit.js';
import type { TokenBucket } from './rate-limit.js';
import { chance, mulberry32, pick } from './rng.js';

const ISSUES_PATH = '/v1/public/issues';
const JSON_TYPE = 'application/json; charset=utf-8';

export interface ApiHandlerOptions {
  data: Dataset;
  /** The Cognito emulator's token check (signature, expiry, revocation). */
  verifyToken: (token: string) => TokenCheck;
  knobs: ApiKnobs;
  counters: ApiCounters;
  /** Path prefix the API lives under, e.g. "/api". Default "" (none). */
  prefix?: string;
  /** Name of the mandatory client header. Default "client". */
  clientHeader?: string;
  /** Its expected value, the client system name. Default "showroom". */
  clientSystem?: string;
  /** Seed of the fault/jitter RNG, so fault sequences repeat. Default 1. */
  faultSeed?: number;
  /** Clock of the rate limiter and HTTP-dates. Default limiterClock (monotonic, sub-millisecond). */
  now?: () => number;
}

/** Builds the API handler over a data set, a token check, knobs and counters. */
export function createApiHandler(opts: ApiHandlerOptions): EmuHandler {
  const { data, verifyToken, knobs: k, counters } = opts;
  const prefix = normalizePrefix(opts.prefix ?? '');
  const clientHeader = (opts.clientHeader ?? 'client').toLowerCase();
  const clientSystem = opts.clientSystem ?? 'showroom';
  const now = opts.now ?? limiterClock;
  const rng = mulberry32(opts.faultSeed ?? 1);
  let bucket: TokenBucket | null = null;

  const fault = (kind: FaultKind): void => {
    counters.faults[kind] += 1;
  };

  return (req) => {
    const route = routeOf(req.path, prefix);
    counters.requests[route.kind] += 1;
    if (route.kind === 'detail' && route.id !== null)
      counters.detailById.set(route.id, (counters.detailById.get(route.id) ?? 0) + 1);
    const hold = k.hold;
    if (hold === null || !hold.mustWait(route.kind)) return respond(req, route);
    hold.arrived += 1;
    hold.waiting += 1;
    return hold.released.then(() => {
      hold.waiting -= 1;
      return respond(req, route);
    });
  };

  function respond(req: EmuRequest, route: Route): EmuResponse {
    const delayMs = k.latencyMs + (k.jitterMs > 0 ? rng() * k.jitterMs : 0);
    const out = replier(counters, delayMs);
    return rateGate(out) ?? faultGate(out) ?? accessGate(req, out) ?? serve(req, route, out);
  }

  /** The rate limiter (and a one-off refusal): a 429, or null to go on. Sets the rate-limit headers. */
  function rateGate(out: Replier): EmuResponse | null {
    if (k.refuseNext > 0) {
      // A refusal the client cannot see coming (no rate-limit headers before it): only Retry-After says when.
      k.refuseNext -= 1;
      counters.rateLimited += 1;
      out.headers['retry-after'] = String(k.refuseRetryAfterSec);
      return out.message(429, 'Too Many Requests');
    }
    if (!k.rateLimit) {
      bucket = null;
      return null;
    }
    // Rebuild the bucket when a test swaps the rateLimit knob.
    if (bucket?.limit !== k.rateLimit) bucket = createTokenBucket(k.rateLimit, now());
    const t = now();
    const r = bucket.take(t);
    out.headers = rateLimitHeaders(r, k.rateLimit, k.retryAfterMode, t);
    if (k.advertisePolicy) out.headers['ratelimit-policy'] = `${k.rateLimit.rps};w=1`;
    if (r.ok) return null;
    counters.rateLimited += 1;
    return out.message(429, 'Too Many Requests');
  }

  /** Transport faults and 5xx answers drawn from the fault knobs, or null to go on. */
  function faultGate(out: Replier): EmuResponse | null {
    if (chance(rng, k.pReset)) {
      fault('reset');
      return { status: 0, fault: 'reset', delayMs: out.delayMs };
    }
    if (chance(rng, k.pStall)) {
      fault('stall');
      return { status: 0, fault: 'stall' };
    }
    if (!chance(rng, k.p5xx)) return null;
    fault('5xx');
    const status = pick(rng, k.statuses5xx);
    // Gateways answer 502 with HTML, not JSON: a client must not assume an error body parses.
    if (status === 502) return out.answer(502, '<html><body><h1>502 Bad Gateway</h1></body></html>\n', 'text/html');
    return out.message(status, status === 503 ? 'Service Unavailable' : 'Internal server error');
  }

  /** Method, bearer token and client header: a 405, 401 or 403, or null to go on. */
  function accessGate(req: EmuRequest, out: Replier): EmuResponse | null {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      out.headers['allow'] = 'GET, HEAD';
      return out.message(405, 'Method Not Allowed');
    }
    const check = checkBearer(req.headers.authorization, verifyToken);
    if (!check.ok) {
      // The reason header is an emulator aid for tests; a real gateway says only "Unauthorized".
      out.headers['x-emu-auth-reason'] = check.reason;
      return out.message(401, 'Unauthorized');
    }
    if (req.headers[clientHeader] !== clientSystem) return out.message(403, 'Forbidden');
    return null;
  }

  /** The routed answer: a list page or an issue detail (maybe cut in half by the malformed-body knob). */
  function serve(req: EmuRequest, route: Route, out: Replier): EmuResponse {
    const body =
      route.kind === 'list'
        ? listPage(req, out)
        : route.kind === 'detail' && route.id !== null
          ? detail(route.id, out)
          : out.message(404, 'Not Found');
    if (typeof body === 'object' && !Buffer.isBuffer(body)) return body;
    if (chance(rng, k.pMalformed)) {
      fault('malformed');
      // Half a JSON document never parses (even "[]" becomes "[").
      return out.answer(
        200,
        typeof body === 'string'
          ? body.slice(0, Math.floor(body.length / 2))
          : body.subarray(0, Math.floor(body.length / 2)),
      );
    }
    return out.answer(200, body);
  }

  function listPage(req: EmuRequest, out: Replier): string | EmuResponse {
    const w = parsePageWindow(req.query, k);
    if ('error' in w) return out.message(400, w.error);
    const slice = data.listSlice(w.offset, w.limit, w.page, w.pageSize, k.listOrder);
    let items = slice.items;
    if (k.shrinkNextPages > 0 && items.length > 1) {
      k.shrinkNextPages -= 1;
      fault('shrink');
      items = items.slice(0, Math.ceil(items.length / 2));
    }
    return listBody(k, w, items, slice.total);
  }

  function detail(id: number, out: Replier): Buffer | EmuResponse {
    if (k.failIds.has(id)) {
      fault('failId');
      return out.message(500, 'Internal server error');
    }
    const body = data.detailBody(id, k.detailDialect);
    if (body === undefined) return out.message(404, 'Not Found');
    return k.detailPadBytes > 0 ? padded(body, k.detailPadBytes) : body;
  }
}

/** One request's answer builder: the headers gathered on the way, the delay, and the status counters. */
interface Replier {
  headers: Record<string, string>;
  delayMs: number;
  answer(status: number, body: string | Buffer, type?: string): EmuResponse;
  message(status: number, text: string): EmuResponse;
}

function replier(counters: ApiCounters, delayMs: number): Replier {
  const out: Replier = {
    headers: {},
    delayMs,
    answer(status, body, type = JSON_TYPE) {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
      counters.bytesOut += buf.length;
      out.headers['content-type'] = type;
      return { status, headers: out.headers, body: buf, delayMs };
    },
    message: (status, text) => out.answer(status, JSON.stringify({ message: text })),
  };
  return out;
}

type Route = { kind: RequestKind; id: number | null };

/** Classifies a path: prefix stripped, trailing slashes tolerated; a non-numeric id is an unknown route. */
function routeOf(path: string, prefix: string): Route {
  if (prefix !== '' && !(path === prefix || path.startsWith(`${prefix}/`))) return { kind: 'other', id: null };
  let p = path.slice(prefix.length);
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === ISSUES_PATH) return { kind: 'list', id: null };
  if (p.startsWith(`${ISSUES_PATH}/`)) {
    const raw = p.slice(ISSUES_PATH.length + 1);
    // Digits only, and small enough to be an exact integer.
    if (/^\d{1,15}$/.test(raw)) return { kind: 'detail', id: Number(raw) };
    return { kind: 'detail', id: null };
  }
  return { kind: 'other', id: null };
}

function checkBearer(header: string | undefined, verifyToken: (token: string) => TokenCheck): TokenCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) return { ok: false, reason: 'malformed' };
  return verifyToken(m[1]);
}

/** "/api/" -> "/api", "api" -> "/api", "/" -> "". */
export function normalizePrefix(prefix: string): string {
  let p = prefix.trim();
  while (p.endsWith('/')) p = p.slice(0, -1);
  if (p !== '' && !p.startsWith('/')) p = `/${p}`;
  return p;
}

/** A detail object with a `padding` field of `bytes` x's (an answer as large as a test needs). */
function padded(detail: Buffer, bytes: number): Buffer {
  if (detail.at(-1) !== 0x7d) return detail;
  const head = Buffer.from(',"padding":"');
  return Buffer.concat([detail.subarray(0, -1), head, Buffer.alloc(bytes, 0x78), Buffer.from('"}')]);
}
