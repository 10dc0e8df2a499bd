/**
 * What the daemon knows about its runs, for /healthz and /metrics: counters since the process started
 * plus gauges of the last run and of the mirror. Pure state and rendering; the HTTP server is in cli/.
 * Prometheus text exposition format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { isEmptyPartial } from '../empty-partial-streak.js';
import { formatDuration as formatAge } from '../format.js';
import type { FinalStatus, SyncResult } from './types.js';

export const FINAL_STATUSES: readonly FinalStatus[] = ['succeeded', 'partial', 'failed', 'interrupted'];
/** Statuses that count as a successful run (mirrors db/status.ts SUCCESS_STATUSES). */
export const SUCCESS: ReadonlySet<FinalStatus> = new Set(['succeeded', 'partial']);

/** Whether the mirror is fresh enough. */
export interface Health {
  ok: boolean;
  /** ISO time of the last successful run's end, if any. */
  lastSuccessAt: string | undefined;
  ageSeconds: number | undefined;
  staleAfterSeconds: number;
  /** One line: why it is (not) healthy. */
  reason: string;
}

/** Healthy when the last successful run ended less than `staleAfterMs` before `nowMs`. */
export function evaluateHealth(lastSuccessAt: string | undefined, staleAfterMs: number, nowMs: number): Health {
  const staleAfterSeconds = staleAfterMs / 1000;
  if (lastSuccessAt === undefined)
    return { ok: false, lastSuccessAt, ageSeconds: undefined, staleAfterSeconds, reason: 'no successful run yet' };
  const ageMs = Math.max(0, nowMs - Date.parse(lastSuccessAt));
  const ok = ageMs <= staleAfterMs;
  const threshold = formatAge(staleAfterMs);
  const reason = `last successful run ended ${formatAge(ageMs)} ago${ok ? ` (threshold ${threshold})` : `, older than the ${threshold} threshold`}`;
  return { ok, lastSuccessAt, ageSeconds: Math.round(ageMs / 100) / 10, staleAfterSeconds, reason };
}

/**
 * A `partial` run counts as a success for freshness, so a mirror whose every run stores nothing (every
 * detail failing, deletions refused) would look healthy forever: `alertAfter` such runs in a row make
 * it unhealthy, with the reason.
 */
export function withPartialAlert(health: Health, emptyPartialRuns: number, alertAfter: number): Health {
  if (emptyPartialRuns < alertAfter) return health;
  const reason = `the last ${emptyPartialRuns} runs ended partial and stored no issue (alert after ${alertAfter}, SPEAKUP_PARTIAL_ALERT_AFTER); see their errors in \`status\``;
  return { ...health, ok: false, reason };
}

// The streak rule is shared with `status` and the daemon's start, which read it from the run log.
export { emptyPartialStreak, isEmptyPartial } from '../empty-partial-streak.js';

/** The last finished run as the daemon saw it. */
export interface LastRun {
  runId: number;
  status: FinalStatus;
  finishedAt: string;
  durationSeconds: number;
}

/** A read-only copy of the metrics state. */
export interface MetricsState {
  startedAt: string;
  running: boolean;
  lastSuccessAt: string | undefined;
  lastRun: LastRun | undefined;
  runs: Record<FinalStatus, number>;
  /** Runs skipped because another process held the sync lock. */
  skipped: number;
  /** `partial` runs in a row, up to the last one, that stored no issue. */
  emptyPartialRuns: number;
  totals: {
    requests: number;
    throttled: number;
    retries: number;
    itemFailures: number;
    fetched: number;
    deleted: number;
    /** Deletions the source did not confirm (the issue was kept). */
    unconfirmed: number;
    durationSeconds: number;
    /** Schema drift: detail paths that appeared, mapped paths that stopped appearing (drift.ts). */
    newPaths: number;
    lostPaths: number;
  };
  issues: { mirrored: number; deleted: number };
}

/** The daemon's run metrics. */
export interface SyncMetrics {
  runStarted(): void;
  /** A run returned; `issues` are the mirror's counts after it. */
  runFinished(result: SyncResult, finishedAt: Date, issues: { mirrored: number; deleted: number }): void;
  /** The run threw instead of returning a result (counted as failed). */
  runCrashed(finishedAt: Date, durationMs: number): void;
  runSkipped(): void;
  state(): MetricsState;
}

/** Seed values read from the database at start, so a restart does not forget the last success. */
export interface MetricsSeed {
  lastSuccessAt?: string | undefined;
  issues?: { mirrored: number; deleted: number };
  /** The database's streak of `partial` runs that stored nothing, so a restart does not reset it. */
  emptyPartialRuns?: number;
  now?: Date;
}

/** Creates the metrics of one daemon process. */
export function createSyncMetrics(seed: MetricsSeed = {}): SyncMetrics {
  const s: MetricsState = {
    startedAt: (seed.now ?? new Date()).toISOString(),
    running: false,
    lastSuccessAt: seed.lastSuccessAt,
    lastRun: undefined,
    runs: { succeeded: 0, partial: 0, failed: 0, interrupted: 0 },
    skipped: 0,
    emptyPartialRuns: seed.emptyPartialRuns ?? 0,
    totals: {
      requests: 0,
      throttled: 0,
      retries: 0,
      itemFailures: 0,
      fetched: 0,
      deleted: 0,
      unconfirmed: 0,
      durationSeconds: 0,
      newPaths: 0,
      lostPaths: 0,
    },
    issues: seed.issues ?? { mirrored: 0, deleted: 0 },
  };
  const finish = (runId: number, status: FinalStatus, at: Date, durationMs: number) => {
    s.running = false;
    s.runs[status]++;
    s.totals.durationSeconds += durationMs / 1000;
    s.lastRun = { runId, status, finishedAt: at.toISOString(), durationSeconds: durationMs / 1000 };
    if (SUCCESS.has(status)) s.lastSuccessAt = at.toISOString();
  };
  return {
    runStarted: () => void (s.running = true),
    runFinished(result, at, issues) {
      const c = result.counts;
      s.totals.requests += c.requests;
      s.totals.throttled += c.throttled;
      s.totals.retries += c.retries;
      s.totals.itemFailures += c.failed;
      s.totals.fetched += c.fetched;
      s.totals.deleted += c.deleted;
      s.totals.newPaths += c.newPaths ?? 0;
      s.totals.lostPaths += c.lostPaths ?? 0;
      s.issues = { ...issues };
      s.emptyPartialRuns = isEmptyPartial(result.status, c.fetched) ? s.emptyPartialRuns + 1 : 0;
      s.totals.unconfirmed += c.unconfirmed ?? 0;
      finish(result.runId, result.status, at, result.durationMs);
    },
    runCrashed: (at, durationMs) => finish(0, 'failed', at, durationMs),
    runSkipped: () => void s.skipped++,
    state: () => structuredClone(s),
  };
}

export { renderPrometheus } from './prometheus.js';
