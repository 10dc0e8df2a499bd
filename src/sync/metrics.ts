/**
 * What the daemon knows about its runs, for /healthz and /metrics: counters since the process started
 * plus gauges of the last run and of the mirror. Pure state and rendering; the HTTP server is in cli/.
 * Prometheus text exposition format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { formatDuration as formatAge } from '../format.js';
import type { FinalStatus, SyncResult } from './types.js';

const FINAL_STATUSES: readonly FinalStatus[] = ['succeeded', 'partial', 'failed', 'interrupted'];
/** Statuses that count as a successful run (mirrors db/status.ts SUCCESS_STATUSES). */
const SUCCESS: ReadonlySet<FinalStatus> = new Set(['succeeded', 'partial']);

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

/** Whether a run adds to the streak of `partial` runs that stored nothing. */
export function isEmptyPartial(status: FinalStatus, fetched: number): boolean {
  return status === 'partial' && fetched === 0;
}

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

const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);

type Samples = [labels: string, value: number | undefined][];

/** One exposed metric: its samples are read from the state (and health) at each scrape. */
interface MetricDef {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples(m: MetricsState, health: Health): Samples;
}

const one = (value: number | undefined): Samples => [['', value]];

/** Every metric, in exposition order; a metric without a value is left out. */
const METRICS: readonly MetricDef[] = [
  {
    name: 'speakup_sync_healthy',
    type: 'gauge',
    help: '1 when the last successful run is recent enough (what /healthz reports as 200).',
    samples: (_m, health) => one(health.ok ? 1 : 0),
  },
  {
    name: 'speakup_sync_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the last successful (or partial) run ended.',
    samples: (m, _health) => one(seconds(m.lastSuccessAt)),
  },
  {
    name: 'speakup_sync_stale_after_seconds',
    type: 'gauge',
    help: 'Age of the last success after which the mirror counts as stale (SPEAKUP_STALE_AFTER).',
    samples: (_m, health) => one(health.staleAfterSeconds),
  },
  {
    name: 'speakup_sync_last_run_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the last run of this process ended.',
    samples: (m, _health) => one(seconds(m.lastRun?.finishedAt)),
  },
  {
    name: 'speakup_sync_last_run_duration_seconds',
    type: 'gauge',
    help: 'Duration of the last run of this process.',
    samples: (m, _health) => one(m.lastRun?.durationSeconds),
  },
  {
    name: 'speakup_sync_last_run_success',
    type: 'gauge',
    help: '1 when the last run of this process succeeded or was partial.',
    samples: (m, _health) => one(m.lastRun ? (SUCCESS.has(m.lastRun.status) ? 1 : 0) : undefined),
  },
  {
    name: 'speakup_sync_running',
    type: 'gauge',
    help: '1 while a run is in progress.',
    samples: (m, _health) => one(m.running ? 1 : 0),
  },
  {
    name: 'speakup_sync_issues',
    type: 'gauge',
    help: 'Issues in the mirror: still listed (mirrored) or soft-deleted.',
    samples: (m, _health) => [
      ['{state="mirrored"}', m.issues.mirrored],
      ['{state="deleted"}', m.issues.deleted],
    ],
  },
  {
    name: 'speakup_sync_runs_total',
    type: 'counter',
    help: 'Finished runs by status since the daemon started.',
    samples: (m, _health) => FINAL_STATUSES.map((st) => [`{status="${st}"}`, m.runs[st]]),
  },
  {
    name: 'speakup_sync_runs_skipped_total',
    type: 'counter',
    help: 'Scheduled runs skipped because another process held the sync lock.',
    samples: (m, _health) => one(m.skipped),
  },
  {
    name: 'speakup_sync_run_duration_seconds_total',
    type: 'counter',
    help: 'Time spent in runs since the daemon started.',
    samples: (m, _health) => one(m.totals.durationSeconds),
  },
  {
    name: 'speakup_sync_requests_total',
    type: 'counter',
    help: 'HTTP requests to the SpeakUp API.',
    samples: (m, _health) => one(m.totals.requests),
  },
  {
    name: 'speakup_sync_throttled_total',
    type: 'counter',
    help: 'HTTP 429 (Too Many Requests) answers received.',
    samples: (m, _health) => one(m.totals.throttled),
  },
  {
    name: 'speakup_sync_retries_total',
    type: 'counter',
    help: 'Requests retried (after a 429, 5xx, timeout or network error).',
    samples: (m, _health) => one(m.totals.retries),
  },
  {
    name: 'speakup_sync_issue_failures_total',
    type: 'counter',
    help: 'Issues that failed in a run (retried next run).',
    samples: (m, _health) => one(m.totals.itemFailures),
  },
  {
    name: 'speakup_sync_issues_fetched_total',
    type: 'counter',
    help: 'Issue details fetched and stored.',
    samples: (m, _health) => one(m.totals.fetched),
  },
  {
    name: 'speakup_sync_issues_deleted_total',
    type: 'counter',
    help: 'Issues soft-deleted because the API no longer lists them.',
    samples: (m, _health) => one(m.totals.deleted),
  },
  {
    name: 'speakup_sync_detail_paths_new_total',
    type: 'counter',
    help: 'Detail paths seen for the first time (SpeakUp added a field); see the run log and `status`.',
    samples: (m, _health) => one(m.totals.newPaths),
  },
  {
    name: 'speakup_sync_detail_paths_lost_total',
    type: 'counter',
    help: 'Mapped detail paths that stopped appearing (a field renamed or dropped: its column goes empty).',
    samples: (m, _health) => one(m.totals.lostPaths),
  },
  {
    name: 'speakup_sync_deletions_unconfirmed_total',
    type: 'counter',
    help: 'Issues missing from a complete listing that were kept because their detail still answered (or could not be asked).',
    samples: (m, _health) => one(m.totals.unconfirmed),
  },
  {
    name: 'speakup_sync_empty_partial_runs',
    type: 'gauge',
    help: 'Partial runs in a row, up to the last one, that stored no issue.',
    samples: (m, _health) => one(m.emptyPartialRuns),
  },
  {
    name: 'speakup_sync_start_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the daemon started.',
    samples: (m, _health) => one(seconds(m.startedAt)),
  },
];

/** Renders the state (and health) in the Prometheus text format, version 0.0.4. */
export function renderPrometheus(m: MetricsState, health: Health): string {
  const out: string[] = [];
  for (const def of METRICS) {
    const present = def.samples(m, health).filter((x): x is [string, number] => x[1] !== undefined);
    if (present.length === 0) continue;
    out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    for (const [labels, value] of present)
      out.push(`${def.name}${labels} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  }
  return `${out.join('\n')}\n`;
}
