/**
 * Turns one measured sync run and the emulator's counters into a ScenarioResult: the physical bound,
 * ratios, phases, CPU shares, and the checks that the run did what the scenario expects.
 */
import type { ControlCounters } from '../src/emulator/control.js';
import { cpuBetween, hostBusyBetween, rssTimelineMb } from './proc.js';
import type { SyncRun } from './sync-process.js';
import { toResult } from './result.js';
import type { Phases, ScenarioResult, ScenarioSpec } from './types.js';

export type { ScenarioSpec };

/** The emulator's server-side cap on the page size (knobs.pageSizeMax default). */
export const SERVER_PAGE_CAP = 500;

/** List requests of a complete listing: full pages plus the empty page that ends it. */
export function listPages(n: number, pageSize: number): number {
  return Math.ceil(n / Math.min(pageSize, SERVER_PAGE_CAP)) + 1;
}

/**
 * Lower bound of a sync's API time: max(D·L/C, (D+pages)/R, (pages−1)·L) + L, with D the details to fetch.
 * The listing is sequential (no total is known up front), details overlap it; the +L is the first page.
 */
export function boundMs(
  s: Pick<ScenarioSpec, 'n' | 'latencyMs' | 'rps' | 'concurrency' | 'pageSize' | 'expectDetails'>,
): number {
  const pages = listPages(s.n, s.pageSize);
  const d = s.expectDetails;
  const byLatency = (d * s.latencyMs) / s.concurrency;
  const byRate = s.rps === null ? 0 : ((d + pages) / s.rps) * 1000;
  const byListing = (pages - 1) * s.latencyMs;
  return Math.max(byLatency, byRate, byListing) + s.latencyMs;
}

/** Phases of the run from its log events and the emulator's first/last request arrival. */
function phasesOf(run: SyncRun, c: ControlCounters, latencyMs: number): Phases | null {
  const firsts = [c.times.list.first, c.times.detail.first].filter((t) => t > 0);
  const last = Math.max(c.times.list.last, c.times.detail.last);
  if (run.loggedStartAt === undefined || firsts.length === 0) return null;
  const first = Math.min(...firsts);
  const apiEnd = last + latencyMs;
  return {
    startupMs: run.loggedStartAt - run.spawnAt,
    loginMs: first - run.loggedStartAt,
    apiMs: apiEnd - first,
    tailMs: run.exit.exitAt - apiEnd,
  };
}

/** Builds the result of one sync scenario. */
export function analyzeSync(spec: ScenarioSpec, run: SyncRun, c: ControlCounters, noopMs: number): ScenarioResult {
  const problems: string[] = [];
  const s = run.summary;
  if (run.exit.timedOut) problems.push('timed out');
  else if (run.exit.code !== 0)
    problems.push(`exit code ${run.exit.code ?? run.exit.signal}: ${run.stderrTail.trim().split('\n').at(-1) ?? ''}`);
  if (!s) problems.push('no summary line on stdout');
  else {
    if (s.listed !== spec.n) problems.push(`listed ${s.listed}, expected ${spec.n}`);
    if (s.fetched !== spec.expectDetails) problems.push(`fetched ${s.fetched}, expected ${spec.expectDetails}`);
  }
  if (c.detailIds !== spec.expectDetails)
    problems.push(`details asked for ${c.detailIds} distinct ids, expected ${spec.expectDetails}`);
  const status: ScenarioResult['status'] = run.exit.timedOut
    ? 'timeout'
    : run.exit.code !== 0
      ? 'failed'
      : problems.length > 0
        ? 'mismatch'
        : 'ok';

  const ran = status === 'ok' || status === 'mismatch';
  const phases = ran ? phasesOf(run, c, spec.latencyMs) : null;
  const bound = ran ? boundMs(spec) : 0;
  const syncCpu = run.cpuUserMs === null ? null : run.cpuUserMs + (run.cpuSysMs ?? 0);
  const emuCpu = cpuBetween(run.samples, 'emulator', run.spawnAt, run.exit.exitAt) ?? null;
  const host = hostBusyBetween(run.samples);
  let syncApiPct: number | null = null;
  let emuApiPct: number | null = null;
  if (phases && phases.apiMs > 200) {
    const t0 = run.spawnAt + phases.startupMs + phases.loginMs;
    const t1 = t0 + phases.apiMs;
    const pct = (name: string): number | null => {
      const ms = cpuBetween(run.samples, name, t0, t1);
      return ms === undefined ? null : (100 * ms) / phases.apiMs;
    };
    syncApiPct = pct('self');
    emuApiPct = pct('emulator');
  }
  const { expectDetails: _expected, ...base } = spec;
  const bounded = bound > spec.latencyMs;
  return toResult(base, {
    status,
    problems,
    wallMs: run.wallMs,
    noopMs,
    phases,
    counters: c,
    listed: s?.listed ?? null,
    fetched: s?.fetched ?? null,
    peakRssKb: run.peakRssKb,
    cpu: {
      syncMs: syncCpu,
      emulatorMs: emuCpu,
      syncApiPct,
      emulatorApiPct: emuApiPct,
      hostCores: host === undefined ? null : host / run.wallMs,
      otherCores:
        host === undefined || syncCpu === null || emuCpu === null ? null : (host - syncCpu - emuCpu) / run.wallMs,
    },
    boundMs: bounded ? bound : null,
    extra: {
      warnings: run.warnings,
      cpuSource: run.source,
      summary: s ?? null,
      rssTimelineMb: rssTimelineMb(run.samples, 'self'),
    },
  });
}
