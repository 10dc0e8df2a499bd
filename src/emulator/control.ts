/**
 * Optional control server for an emulator running in its own process (`npm run emulator -- --control`),
 * so a harness such as `npm run bench` can read counters, reset them, mutate data and change knobs over
 * HTTP. It listens on a third loopback port: control traffic never shows in the API's counters.
 *
 *   GET  /__emulator/counters   counters, request timestamps, process CPU and RSS
 *   POST /__emulator/reset      zero the counters and timestamps
 *   POST /__emulator/mutate     {"update": n}: change n live issues, spread evenly over the id range
 *   POST /__emulator/knobs      {"latencyMs"?, "jitterMs"?, "rateLimit"?: {"rps","burst"} | null, "refuseNext"?, "refuseRetryAfterSec"?, "detailPadBytes"?}
 *   POST /__emulator/hold       {"kinds"?: ["list"|"detail"|"other"], "after"?: n} closes the gate; {"release": true}
 *                               opens it; answers {"waiting", "arrived"} of the gate (see api/hold.ts)
 */
import type { ApiCounters, RequestKind } from './api/counters.js';
import { createHold } from './api/hold.js';
import { knobProblems } from './api/knobs.js';
import type { ApiKnobs, RateLimit } from './api/knobs.js';
import { startEmuServer } from './server.js';
import type { EmuServer } from './server.js';
import type { Emulator } from './start.js';
import type { EmuRequest, EmuResponse } from './types.js';

/** First and last arrival time (epoch ms) of API requests, per route kind; 0 = none yet. */
export type RequestTimes = Record<RequestKind, { first: number; last: number }>;

/** Body of `GET /__emulator/counters`. */
export interface ControlCounters {
  requests: Record<RequestKind, number>;
  byStatus: Record<number, number>;
  rateLimited: number;
  bytesOut: number;
  /** Distinct issue ids whose detail was asked for. */
  detailIds: number;
  times: RequestTimes;
  /** Emulator process CPU (user + system) and RSS, for harnesses without /proc. */
  cpuMs: number;
  rssBytes: number;
}

const PREFIX = '/__emulator';

/**
 * Records arrival times by wrapping `counters.requests` in a Proxy: the handler increments it once per
 * request, so this needs no change to the handler's hot path and costs one Date.now() per request.
 */
export function trackRequestTimes(counters: ApiCounters): { times: RequestTimes; reset(): void } {
  const times: RequestTimes = {
    list: { first: 0, last: 0 },
    detail: { first: 0, last: 0 },
    other: { first: 0, last: 0 },
  };
  counters.requests = new Proxy(counters.requests, {
    set(target, key, value: number) {
      const t = times[key as RequestKind];
      // reset() writes zeros: only increments are arrivals.
      if (t !== undefined && value > (target[key as RequestKind] ?? 0)) {
        const now = Date.now();
        if (t.first === 0) t.first = now;
        t.last = now;
      }
      return Reflect.set(target, key, value);
    },
  });
  return {
    times,
    reset() {
      for (const t of Object.values(times)) t.first = t.last = 0;
    },
  };
}

/** Starts the control server for `emu` on a free loopback port. */
export async function startControlServer(emu: Emulator): Promise<EmuServer> {
  const tracker = trackRequestTimes(emu.counters);
  const json = (status: number, body: unknown): EmuResponse => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  });
  return startEmuServer((req: EmuRequest): EmuResponse => {
    const route = `${req.method} ${req.path}`;
    if (route === `GET ${PREFIX}/counters`) return json(200, snapshot(emu, tracker.times));
    if (route === `POST ${PREFIX}/reset`) {
      emu.counters.reset();
      tracker.reset();
      return json(200, { ok: true });
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(req.body.toString('utf8') || '{}');
      if (parsed === null || typeof parsed !== 'object') throw new Error('expected a JSON object');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      return json(400, { message: `invalid JSON body: ${(err as Error).message}` });
    }
    if (route === `POST ${PREFIX}/mutate`) {
      const n = body.update;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        return json(400, { message: 'update: expected an integer >= 0' });
      return json(200, { updated: mutateSpread(emu, n) });
    }
    if (route === `POST ${PREFIX}/hold`) return json(...holdRoute(emu.knobs, body));
    if (route === `POST ${PREFIX}/knobs`) {
      const problems = applyKnobs(emu.knobs, body);
      return problems.length > 0 ? json(400, { message: problems.join('; ') }) : json(200, { ok: true });
    }
    return json(404, { message: `no control route ${route}` });
  });
}

/** Stops the process's work (via `stop`) when its parent is gone, so an emulator never outlives a killed harness. */
export function stopWhenOrphaned(stop: () => void, intervalMs = 1000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, intervalMs);
  timer.unref();
}

function snapshot(emu: Emulator, times: RequestTimes): ControlCounters {
  const c = emu.counters;
  const cpu = process.cpuUsage();
  return {
    requests: { ...c.requests },
    byStatus: { ...c.byStatus },
    rateLimited: c.rateLimited,
    bytesOut: c.bytesOut,
    detailIds: c.detailById.size,
    times,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: process.memoryUsage.rss(),
  };
}

/** Updates `n` live issues at evenly spaced positions (deterministic); returns how many changed. */
function mutateSpread(emu: Emulator, n: number): number {
  const ids = emu.data.ids();
  const count = Math.min(n, ids.length);
  for (let i = 0; i < count; i++) emu.data.update(ids[Math.floor((i * ids.length) / count)] as number);
  return count;
}

/** Applies the given knobs, or none of them if any is invalid; returns the problems. */
function applyKnobs(knobs: ApiKnobs, body: Record<string, unknown>): string[] {
  const next: ApiKnobs = { ...knobs };
  const problems: string[] = [];
  for (const key of ['latencyMs', 'jitterMs', 'refuseNext', 'refuseRetryAfterSec', 'detailPadBytes'] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v === 'number') next[key] = v;
    else problems.push(`${key}: expected a number`);
  }
  if ('rateLimit' in body) {
    const r = body.rateLimit as Partial<RateLimit> | null;
    if (r === null) next.rateLimit = null;
    else if (typeof r === 'object' && typeof r.rps === 'number')
      next.rateLimit = { rps: r.rps, burst: typeof r.burst === 'number' ? r.burst : Math.max(1, Math.ceil(r.rps)) };
    else problems.push('rateLimit: expected {"rps": number, "burst"?: number} or null');
  }
  problems.push(...knobProblems(next));
  if (problems.length === 0) Object.assign(knobs, next);
  return problems;
}

const KINDS: readonly RequestKind[] = ['list', 'detail', 'other'];

/** Closes a new gate, or releases the current one; answers the gate's counts. */
function holdRoute(knobs: ApiKnobs, body: Record<string, unknown>): [number, unknown] {
  if (body.release === true) {
    const hold = knobs.hold;
    knobs.hold = null;
    hold?.release();
    return [200, { waiting: hold?.waiting ?? 0, arrived: hold?.arrived ?? 0 }];
  }
  const kinds = body.kinds ?? [];
  const after = body.after ?? 0;
  if (!Array.isArray(kinds) || !kinds.every((k) => KINDS.includes(k as RequestKind)))
    return [400, { message: `kinds: expected a list of ${KINDS.join(', ')}` }];
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 0)
    return [400, { message: 'after: expected an integer >= 0' }];
  knobs.hold?.release();
  knobs.hold = createHold(kinds as RequestKind[], { after });
  return [200, { waiting: 0, arrived: 0 }];
}
