/**
 * `speakup-sync status [--json] [--max-age DURATION]`: the mirror at a glance, and a monitoring check.
 * Reads the database read-only and never takes the sync lock, so it answers while a sync is writing;
 * needs only SPEAKUP_DB (no API settings, no credentials). Exit 0 when the last successful run is
 * recent enough, 1 when it is older than the threshold or there is none.
 */
import type { DbConfig } from '../../config/types.js';
import {
  fileSizes,
  openReadOnly,
  readMirrorStatus,
  type FileSizes,
  type MirrorStatus,
  type RunSummary,
} from '../../db/status.js';
import { driftLine, readDriftStatus, type DriftStatus } from '../../db/drift-status.js';
import { emptyPartialStreak } from '../../db/partial-streak.js';
import { evaluateHealth, withPartialAlert, type Health } from '../../sync/metrics.js';
import { formatBytes, formatDuration, formatElapsed, renderTable } from '../../format.js';
import { EXIT } from '../exit-codes.js';

/** Options of `status`. */
export interface StatusArgs {
  json: boolean;
  /** Overrides SPEAKUP_STALE_AFTER (ms). */
  maxAgeMs?: number;
  /** How many recent runs to show (default 5). */
  runs?: number;
}

/** Exit code of a stale mirror (or one that never synced): the monitoring check failed. */
export const STATUS_STALE_EXIT = EXIT.FATAL;

/** The `--json` document (stable field names: scripts read it). */
export interface StatusReport {
  ok: boolean;
  reason: string;
  checkedAt: string;
  database: { path: string; sizeBytes: number; walBytes: number };
  issues: MirrorStatus['issues'];
  lastSuccess: { runId: number; finishedAt: string | null; ageSeconds: number | null } | null;
  staleAfterSeconds: number;
  running: { runId: number | null; pid: number; host: string; since: string; heartbeatAt: string } | null;
  runs: RunSummary[];
  /** Schema drift: detail paths that appeared or stopped appearing (null: not tracked by this database). */
  drift?: DriftStatus | null;
}

/** Prints the report on stdout; on a stale mirror also one line on stderr, and returns exit code 1. */
export function statusCommand(config: DbConfig, args: StatusArgs, now: () => Date = () => new Date()): number {
  const db = openReadOnly(config.dbPath);
  let status: MirrorStatus;
  let drift: DriftStatus | undefined;
  let emptyPartials: number;
  try {
    status = readMirrorStatus(db, args.runs ?? 5);
    emptyPartials = emptyPartialStreak(db.$client, config.partialAlertAfter);
    drift = readDriftStatus(db.$client);
  } finally {
    db.$client.close();
  }
  const at = now();
  const health = withPartialAlert(
    evaluateHealth(status.lastSuccess?.finishedAt ?? undefined, args.maxAgeMs ?? config.staleAfterMs, at.getTime()),
    emptyPartials,
    config.partialAlertAfter,
  );
  const report = { ...buildReport(config.dbPath, fileSizes(config.dbPath), status, health, at), drift: drift ?? null };
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  if (report.ok) return EXIT.OK;
  process.stderr.write(`speakup-sync: stale: ${report.reason}\n`);
  return STATUS_STALE_EXIT;
}

/** Assembles the report from what was read. */
export function buildReport(path: string, sizes: FileSizes, s: MirrorStatus, health: Health, at: Date): StatusReport {
  const last = s.lastSuccess;
  // The lease may not name its run; while it is held, the newest `running` row is the holder's.
  const runningId = s.runs.find((r) => r.status === 'running')?.id ?? null;
  return {
    ok: health.ok,
    reason: health.reason,
    checkedAt: at.toISOString(),
    database: { path, sizeBytes: sizes.db, walBytes: sizes.wal },
    issues: s.issues,
    lastSuccess: last ? { runId: last.id, finishedAt: last.finishedAt, ageSeconds: health.ageSeconds ?? null } : null,
    staleAfterSeconds: health.staleAfterSeconds,
    running: s.lock
      ? {
          runId: s.lock.runId ?? runningId,
          pid: s.lock.pid,
          host: s.lock.host,
          since: s.lock.acquiredAt,
          heartbeatAt: s.lock.heartbeatAt,
        }
      : null,
    runs: s.runs,
  };
}

/** The human-readable report: a verdict line, facts, then a table of the latest runs. */
export function renderStatus(r: StatusReport): string {
  const verdict = `${r.ok ? 'OK' : 'STALE'}: ${r.reason}`;
  const facts = [
    ['database', r.database.path],
    [
      'size',
      `${formatBytes(r.database.sizeBytes)}${r.database.walBytes > 0 ? ` (+ ${formatBytes(r.database.walBytes)} write-ahead log)` : ''}`,
    ],
    ['issues', `${r.issues.mirrored} mirrored, ${r.issues.deleted} deleted`],
    ['last success', r.lastSuccess ? `${r.lastSuccess.finishedAt ?? '?'} (run ${r.lastSuccess.runId})` : 'never'],
    [
      'sync',
      r.running
        ? `running: run ${r.running.runId ?? '?'}, pid ${r.running.pid} on ${r.running.host}, since ${r.running.since}, last heartbeat ${formatDuration(Date.parse(r.checkedAt) - Date.parse(r.running.heartbeatAt))} ago`
        : 'idle',
    ],
    ...(r.drift === undefined ? [] : [['schema drift', driftLine(r.drift ?? undefined)]]),
  ];
  const width = Math.max(...facts.map(([k]) => k!.length));
  const rows = r.runs.map((run) => ({
    run: run.id,
    started: run.startedAt,
    duration: run.durationSeconds === null ? '-' : formatElapsed(run.durationSeconds * 1000),
    status: run.status,
    trigger: run.trigger,
    listed: run.listed,
    fetched: run.fetched,
    unchanged: run.unchanged,
    deleted: run.deleted,
    failed: run.failed,
    requests: run.requests,
    '429s': run.throttled,
    error: run.error === null ? '' : run.error.length > 60 ? `${run.error.slice(0, 59)}…` : run.error,
  }));
  return [
    verdict,
    '',
    ...facts.map(([k, v]) => `${k!.padEnd(width)}  ${v}`),
    '',
    rows.length > 0 ? renderTable(rows) : 'no runs yet',
    '',
  ].join('\n');
}
