/**
 * The SpeakUp API side of the emulator over real HTTP on 127.0.0.1: auth, client header, paging, prefix,
 * mutations, and the effect of every knob.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiCounters } from '../../src/emulator/api/counters.js';
import { createApiHandler } from '../../src/emulator/api/handler.js';
import { createApiKnobs } from '../../src/emulator/api/knobs.js';
import { startEmulator } from '../../src/emulator/start.js';
import type { Emulator } from '../../src/emulator/start.js';
import { serveHandler } from '../helpers/serve-handler.js';

const ISSUES = '/v1/public/issues';
let emu: Emulator;
let clock = Date.now();
let token = '';

beforeAll(async () => {
  emu = await startEmulator({ cognito: { now: () => clock } });
});
afterAll(() => emu.close());
beforeEach(() => {
  clock = Date.now();
  token = emu.cognito.mintTokens(emu.username).idToken;
});
afterEach(() => {
  Object.assign(emu.knobs, createApiKnobs());
  emu.counters.reset();
});

function get(
  path: string,
  init: { token?: string | null; headers?: Record<string, string>; base?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { client: 'showroom', ...init.headers };
  const t = init.token === undefined ? token : init.token;
  if (t !== null) headers['authorization'] = `Bearer ${t}`;
  return fetch(`${init.base ?? emu.apiUrl}${path}`, { headers, ...(init.signal ? { signal: init.signal } : {}) });
}
async function json(path: string): Promise<unknown> {
  const res = await get(path);
  expect(res.status).toBe(200);
  return res.json();
}

describe('authentication and the client header', () => {
  it('answers 200 with a valid ID or access token and the client header, keeping the connection alive', async () => {
    const res = await get(`${ISSUES}?page=1&pageSize=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('keep-alive')).toBe('timeout=60');
    expect(
      (await get(`${ISSUES}/${emu.data.ids()[0]}`, { token: emu.cognito.mintTokens(emu.username).accessToken })).status,
    ).toBe(200);
  });

  it('refuses a missing, malformed, forged, expired or revoked token with 401 {"message":"Unauthorized"}', async () => {
    const reasons: Record<string, string | null> = {};
    const probe = async (name: string, t: string | null, headers?: Record<string, string>): Promise<void> => {
      const res = await get(ISSUES, { token: t, ...(headers ? { headers } : {}) });
      expect(res.status, name).toBe(401);
      expect(await res.json()).toEqual({ message: 'Unauthorized' });
      reasons[name] = res.headers.get('x-emu-auth-reason');
    };
    await probe('missing', null);
    await probe('not bearer', null, { authorization: `Basic ${token}` });
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, 'cognito:username': 'admin' })).toString('base64url');
    await probe('forged', `${h}.${forgedPayload}.${s}`);
    clock += 11 * 60_000; // past the 10-minute ID token lifetime
    await probe('expired', token);
    clock = Date.now();
    expect((await get(ISSUES)).status).toBe(200);
    emu.cognito.revokeAccessTokens();
    await probe('revoked', token);
    expect(reasons).toEqual({
      missing: 'missing',
      'not bearer': 'malformed',
      forged: 'bad-signature',
      expired: 'expired',
      revoked: 'revoked',
    });
  });

  it('refuses a missing or wrong client header with 403', async () => {
    const missing = await fetch(`${emu.apiUrl}${ISSUES}`, { headers: { authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(403);
    expect((await get(ISSUES, { headers: { client: 'other-system' } })).status).toBe(403);
    expect(emu.counters.byStatus[403]).toBe(2);
  });

  it('serves many concurrent requests', async () => {
    const ids = emu.data.ids().slice(0, 200);
    const statuses = await Promise.all(ids.map(async (id) => (await get(`${ISSUES}/${id}`)).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('answers 404 for unknown or deleted ids and unknown paths', async () => {
    expect((await get(`${ISSUES}/999999999`)).status).toBe(404);
    expect((await get(`${ISSUES}/abc`)).status).toBe(404);
    expect((await get('/v1/public/other')).status).toBe(404);
  });
});

describe('paging', () => {
  it('page mode: bare arrays sorted by id, default size 100, an empty page after the end', async () => {
    const first = (await json(ISSUES)) as { id: number }[];
    expect(first).toHaveLength(100);
    const all: unknown[] = [];
    for (let page = 1; ; page++) {
      const items = (await json(`${ISSUES}?page=${page}&pageSize=40`)) as unknown[];
      if (items.length === 0) break;
      all.push(...items);
    }
    expect(all).toEqual(emu.data.list());
    expect((await get(`${ISSUES}?page=0`)).status).toBe(400);
  });

  it('caps the page size: a client asking 1000 gets pageSizeMax, and a short page is not the end', async () => {
    emu.knobs.pageSizeMax = 60;
    expect(await json(`${ISSUES}?page=1&pageSize=1000`)).toHaveLength(60);
    expect(await json(`${ISSUES}?page=2&pageSize=1000`)).toEqual(emu.data.list().slice(60, 120));
  });

  it('envelope mode: {data, page, pageSize, total, hasMore}', async () => {
    emu.knobs.paging = 'envelope';
    const body = (await json(`${ISSUES}?page=3&pageSize=100`)) as Record<string, unknown>;
    expect(body).toEqual({ data: emu.data.list().slice(200), page: 3, pageSize: 100, total: 250, hasMore: false });
    expect(await json(`${ISSUES}?page=1&pageSize=100`)).toMatchObject({ hasMore: true, total: 250 });
  });

  it('unpaged mode: the whole bare array every time, parameters ignored', async () => {
    emu.knobs.paging = 'unpaged';
    expect(await json(`${ISSUES}?page=1&pageSize=10`)).toEqual(emu.data.list());
    expect(await json(`${ISSUES}?page=2&pageSize=10`)).toEqual(emu.data.list());
  });

  it('uses configurable parameter names', async () => {
    Object.assign(emu.knobs, { pageParam: 'p', pageSizeParam: 'limit' });
    expect(await json(`${ISSUES}?p=2&limit=5`)).toEqual(emu.data.list().slice(5, 10));
  });
});

describe('path prefix, header name, sizes', () => {
  it('serves under a prefix, tolerates trailing slashes, and checks a custom client header', async () => {
    const other = await startEmulator({
      prefix: '/api/',
      clientHeader: 'X-Client-System',
      clientSystem: 'acme',
      issues: 0,
    });
    try {
      expect(other.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
      const t = other.cognito.mintTokens(other.username).idToken;
      const headers = { authorization: `Bearer ${t}`, 'x-client-system': 'acme' };
      const res = await fetch(`${other.apiUrl}${ISSUES}/?page=1`, { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([]);
      expect((await fetch(`${other.apiUrl.replace(/\/api$/, '')}${ISSUES}`, { headers })).status).toBe(404);
      expect(
        (await fetch(`${other.apiUrl}${ISSUES}`, { headers: { authorization: `Bearer ${t}`, client: 'acme' } })).status,
      ).toBe(403);
      expect(other.env()).toMatchObject({
        SPEAKUP_API_URL: other.apiUrl,
        SPEAKUP_CLIENT_HEADER: 'X-Client-System',
        SPEAKUP_CLIENT_SYSTEM: 'acme',
      });
    } finally {
      await other.close();
    }
  });

  it('starts with 100,000 issues and serves the first page', async () => {
    const big = await startEmulator({ issues: 100_000, knobs: { paging: 'envelope' } });
    try {
      const t = big.cognito.mintTokens(big.username).idToken;
      const res = await fetch(`${big.apiUrl}${ISSUES}?page=1&pageSize=500`, {
        headers: { authorization: `Bearer ${t}`, client: 'showroom' },
      });
      expect(await res.json()).toMatchObject({ total: 100_000, hasMore: true, pageSize: 500 });
    } finally {
      await big.close();
    }
  });

  it('exposes the SPEAKUP_* environment a sync needs', () => {
    expect(Object.keys(emu.env()).sort()).toEqual(
      [
        'API_URL',
        'APP_CLIENT_ID',
        'CLIENT_HEADER',
        'CLIENT_SECRET',
        'CLIENT_SYSTEM',
        'COGNITO_ENDPOINT',
        'PASSWORD',
        'TOKEN_URL',
        'USERNAME',
        'USER_POOL_ID',
      ].map((k) => `SPEAKUP_${k}`),
    );
    expect(emu.env()['SPEAKUP_USER_POOL_ID']).toBe('eu-west-1_SpeakUpEmu');
  });
});

describe('mutation API over HTTP', () => {
  it('update, remove and add show up in the list and the details', async () => {
    const [a, b] = emu.data.ids() as [number, number];
    const updated = emu.data.update(a, { status: 'CLOSED' });
    expect(await json(`${ISSUES}/${a}`)).toMatchObject({ id: a, status: 'CLOSED', updatedAt: updated.updatedAt });
    emu.data.remove(b);
    expect((await get(`${ISSUES}/${b}`)).status).toBe(404);
    const [added] = emu.data.add(1);
    emu.knobs.paging = 'unpaged';
    const list = (await json(ISSUES)) as { id: number; updatedAt: string }[];
    expect(list.find((i) => i.id === a)?.updatedAt).toBe(updated.updatedAt);
    expect(list.some((i) => i.id === b)).toBe(false);
    expect(list.at(-1)?.id).toBe(added);
  });

  it('serves detail and list overrides as given', async () => {
    const id = emu.data.ids()[3] as number;
    emu.data.setDetailOverride(id, { id: id + 1, summary: ['not', 'a', 'string'] });
    expect(await json(`${ISSUES}/${id}`)).toEqual({ id: id + 1, summary: ['not', 'a', 'string'] });
    emu.data.setDetailOverride(id, `{"id":${id},"description":"${'x'.repeat(3_000_000)}"}`);
    expect(((await json(`${ISSUES}/${id}`)) as { description: string }).description).toHaveLength(3_000_000);
    emu.data.clearDetailOverride(id);
    emu.data.setListOverride([{ updatedAt: 'x' }, { id: '7', updatedAt: 'y' }]);
    expect(await json(ISSUES)).toEqual([{ updatedAt: 'x' }, { id: '7', updatedAt: 'y' }]);
    emu.data.setListOverride(null);
  });
});

describe('knobs', () => {
  it('latencyMs delays every answer', async () => {
    emu.knobs.latencyMs = 120;
    const t0 = performance.now();
    await get(ISSUES);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
  });

  it('jitterMs adds a random delay in [latency, latency + jitter) (read from the handler, no timing)', async () => {
    const knobs = createApiKnobs({ latencyMs: 20, jitterMs: 100 });
    const handler = createApiHandler({
      data: emu.data,
      verifyToken: (t) => emu.cognito.verifyToken(t),
      knobs,
      counters: createApiCounters(),
    });
    const req = {
      method: 'GET',
      path: ISSUES,
      query: new URLSearchParams(),
      headers: { authorization: `Bearer ${token}`, client: 'showroom' },
      body: Buffer.alloc(0),
    };
    const delays = await Promise.all(Array.from({ length: 20 }, async () => (await handler(req)).delayMs ?? -1));
    expect(delays.every((d) => d >= 20 && d < 120)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it.each(['seconds', 'http-date', 'none'] as const)(
    'rateLimit answers 429 with Retry-After (%s) and X-RateLimit-* headers',
    async (mode) => {
      // A frozen clock for the bucket: it never refills between the requests, however slow the machine.
      const at = Date.parse('2025-06-02T08:00:00.000Z');
      const knobs = createApiKnobs({ rateLimit: { rps: 1, burst: 2 }, retryAfterMode: mode });
      const counters = createApiCounters();
      const served = await serveHandler(
        createApiHandler({
          data: emu.data,
          verifyToken: (t) => emu.cognito.verifyToken(t),
          knobs,
          counters,
          now: () => at,
        }),
      );
      const base = served.url.replace(/\/$/, '');
      try {
        const first = await get(ISSUES, { base });
        expect(first.headers.get('x-ratelimit-limit')).toBe('2');
        expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
        expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
        expect((await get(ISSUES, { base })).headers.get('x-ratelimit-remaining')).toBe('0');
        const refused = await get(ISSUES, { base });
        expect(refused.status).toBe(429);
        const retryAfter = refused.headers.get('retry-after');
        if (mode === 'seconds') expect(retryAfter).toBe('1');
        if (mode === 'none') expect(retryAfter).toBeNull();
        if (mode === 'http-date') {
          expect(retryAfter).toMatch(/GMT$/);
          // One token a second: the date is the next whole second after the frozen instant.
          expect(Date.parse(retryAfter ?? '') - at).toBe(1000);
        }
        expect(counters.rateLimited).toBe(1);
      } finally {
        await served.close();
      }
    },
  );

  it('p5xx answers 500/502/503 (502 as HTML)', async () => {
    emu.knobs.p5xx = 1;
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) statuses.add((await get(ISSUES)).status);
    expect([...statuses].every((s) => [500, 502, 503].includes(s))).toBe(true);
    emu.knobs.statuses5xx = [502];
    const res = await get(ISSUES);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(emu.counters.faults['5xx']).toBe(13);
  });

  it('pReset resets the connection without an answer', async () => {
    emu.knobs.pReset = 1;
    await expect(get(ISSUES)).rejects.toThrow(TypeError);
    expect(emu.counters.faults.reset).toBeGreaterThanOrEqual(1);
    emu.knobs.pReset = 0;
    expect((await get(ISSUES)).status).toBe(200);
  });

  it('pMalformed sends a truncated JSON body with 200', async () => {
    emu.knobs.pMalformed = 1;
    const res = await get(`${ISSUES}/${emu.data.ids()[0]}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
  });

  it('pStall never answers: the client times out', async () => {
    emu.knobs.pStall = 1;
    await expect(get(ISSUES, { signal: AbortSignal.timeout(150) })).rejects.toThrow(/abort|timeout/i);
    expect(emu.counters.faults.stall).toBe(1);
  });

  it('failIds make one detail fail with 500 every time, others succeed', async () => {
    const [bad, good] = emu.data.ids() as [number, number];
    emu.knobs.failIds.add(bad);
    expect((await get(`${ISSUES}/${bad}`)).status).toBe(500);
    expect((await get(`${ISSUES}/${bad}`)).status).toBe(500);
    expect((await get(`${ISSUES}/${good}`)).status).toBe(200);
    expect(emu.counters.faults.failId).toBe(2);
  });

  it('shrinkNextPages cuts the next page in that answer only', async () => {
    emu.knobs.shrinkNextPages = 1;
    expect(await json(`${ISSUES}?page=1&pageSize=20`)).toHaveLength(10);
    expect(await json(`${ISSUES}?page=1&pageSize=20`)).toHaveLength(20);
    expect(emu.counters.faults.shrink).toBe(1);
  });

  it('counters count requests by kind and status, bytes and per-id details, and reset()', async () => {
    const id = emu.data.ids()[0] as number;
    let bytes = 0;
    for (const path of [ISSUES, `${ISSUES}/${id}`, `${ISSUES}/${id}`, '/nope']) {
      const res = await get(path);
      bytes += Number(res.headers.get('content-length'));
      await res.arrayBuffer();
    }
    const c = emu.counters;
    expect(c.requests).toEqual({ list: 1, detail: 2, other: 1 });
    expect(c.byStatus).toEqual({ 200: 3, 404: 1 });
    expect(c.bytesOut).toBe(bytes);
    expect(c.detailById.get(id)).toBe(2);
    expect(c.total()).toBe(4);
    c.reset();
    expect([c.total(), c.bytesOut, c.detailById.size, Object.keys(c.byStatus).length]).toEqual([0, 0, 0, 0]);
  });
});
