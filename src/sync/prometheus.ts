/**
 * The daemon's /metrics page: one table of metric definitions rendered in the Prometheus text exposition
 * format (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
import type { Health, MetricsState } from './metrics.js';
import { FINAL_STATUSES, SUCCESS } from './metrics.js';

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
