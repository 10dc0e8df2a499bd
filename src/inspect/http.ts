/**
 * The probe's own GET: one request, no retry, status and headers kept. The sync's client hides exactly
 * what `inspect` must see (a 403, the rate-limit headers, a body that is not what was expected).
 */
import type { ApiConfig } from '../config/types.js';

export interface ProbeAnswer {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
  /** Set when the request failed on the wire (no answer). */
  error?: string;
}

export interface ProbeHttp {
  /** GET `relative` (a path under the API base URL) with the bearer token and, unless told not to, the client header. */
  get(relative: string, opts?: { clientHeader?: boolean }): Promise<ProbeAnswer>;
  /** Every header name seen on any answer, lower-cased. */
  readonly headerNames: Set<string>;
  /** The limit the server advertises (X-RateLimit-Limit, RateLimit-Policy), as sent: not issue data. */
  readonly advertised: Map<string, string>;
  requests: number;
  /** 429 answers, each waited out as told (Retry-After) before asking again. */
  throttled: number;
}

// A probe is a handful of requests: wait out a 429 a few times rather than report a false problem.
const MAX_429 = 3;
const MAX_WAIT_MS = 30_000;
const ADVERTISED = new Set(['x-ratelimit-limit', 'ratelimit-policy']);

/** A probe client over the configured base URL; `token` is called per request (it may renew). */
export function createProbeHttp(api: ApiConfig, token: () => Promise<string>, timeoutMs: number): ProbeHttp {
  const base = new URL(api.baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const headerNames = new Set<string>();
  const advertised = new Map<string, string>();
  const probe: ProbeHttp = {
    headerNames,
    advertised,
    requests: 0,
    throttled: 0,
    async get(relative, opts = {}) {
      for (let attempt = 1; ; attempt++) {
        const a = await once(relative, opts);
        if (a.status !== 429 || attempt > MAX_429) return a;
        probe.throttled++;
        const seconds = Number(a.headers['retry-after']);
        const waitMs = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_WAIT_MS) : 1000;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    },
  };
  const once = async (relative: string, opts: { clientHeader?: boolean }): Promise<ProbeAnswer> => {
    const url = new URL(relative.replace(/^\//, ''), base);
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${await token()}` };
    if (opts.clientHeader !== false) headers[api.clientHeader.toLowerCase()] = api.clientSystem;
    probe.requests++;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      const out: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        out[k] = v;
        headerNames.add(k);
        if (ADVERTISED.has(k)) advertised.set(k, v.slice(0, 80));
      });
      return { status: res.status, headers: out, json: parseOrUndefined(text) };
    } catch (err) {
      // The message names the cause (ECONNREFUSED, timeout); the URL has no secret, the token is not in it.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      return { status: 0, headers: {}, json: undefined, error: `${url.pathname}: no answer (${cause})` };
    }
  };
  return probe;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
