/** The one function that turns a run's measurements into a ScenarioResult, for every kind of scenario. */
import type { ControlCounters } from '../src/emulator/control.js';
import type { Phases, ScenarioResult, ScenarioSpec } from './types.js';

/** What a scenario is, as its result row names it. */
export type ScenarioBase = Omit<ScenarioSpec, 'expectDetails'>;

/** What one run measured. */
export interface Measured {
  status: ScenarioResult['status'];
  problems: string[];
  wallMs: number;
  /** The no-op start-up subtracted for the "excl." figures. */
  noopMs: number;
  phases: Phases | null;
  /** The emulator's counters after the run (null: no emulator). */
  counters: ControlCounters | null;
  listed: number | null;
  fetched: number | null;
  peakRssKb: number | null;
  cpu?: Partial<ScenarioResult['cpu']>;
  /** The physical bound, ms (null: none). */
  boundMs: number | null;
  /** API window the API ratio is taken over (default: phases.apiMs; null: no API ratio). */
  apiMs?: number | null;
  /** Issues per second when not N over the wall time (a script's own figure). */
  issuesPerSec?: ScenarioResult['issuesPerSec'];
  extra?: Record<string, unknown>;
}

const NO_CPU: ScenarioResult['cpu'] = {
  syncMs: null,
  emulatorMs: null,
  syncApiPct: null,
  emulatorApiPct: null,
  hostCores: null,
  otherCores: null,
};

/** Builds the result row: request counts, rates, ratios against the bound (only for a run that ran). */
export function toResult(base: ScenarioBase, m: Measured): ScenarioResult {
  const ran = m.status === 'ok' || m.status === 'mismatch';
  const netWallMs = m.wallMs - m.noopMs;
  const apiMs = m.apiMs === undefined ? m.phases?.apiMs : m.apiMs;
  const ratio = (ms: number | null | undefined): number | null =>
    ran && m.boundMs !== null && ms !== null && ms !== undefined && ms > 0 ? m.boundMs / ms : null;
  const c = m.counters;
  return {
    ...base,
    status: m.status,
    problems: m.problems,
    wallMs: m.wallMs,
    netWallMs,
    phases: m.phases,
    requests: c
      ? {
          list: c.requests.list,
          detail: c.requests.detail,
          other: c.requests.other,
          rateLimited: c.rateLimited,
          detailIds: c.detailIds,
        }
      : { list: 0, detail: 0, other: 0, rateLimited: 0, detailIds: 0 },
    listed: m.listed,
    fetched: m.fetched,
    issuesPerSec:
      m.issuesPerSec ??
      (ran ? { incl: (base.n * 1000) / m.wallMs, excl: (base.n * 1000) / netWallMs } : { incl: NaN, excl: NaN }),
    peakRssMb: m.peakRssKb === null ? null : m.peakRssKb / 1024,
    cpu: { ...NO_CPU, ...m.cpu },
    boundMs: m.boundMs,
    ratio: { incl: ratio(m.wallMs), excl: ratio(netWallMs), api: ratio(apiMs) },
    extra: m.extra ?? {},
  };
}
