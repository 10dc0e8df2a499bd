/**
 * The `sync_runs` log on PostgreSQL (the core's RunLog port): one row per run, counts kept current
 * while it runs, so a crash leaves an honest record and the next run marks it interrupted.
 */
import type pg from 'pg';
import type { RunCounts, RunEnd, RunLog, RunStart } from '../../sync/ports.js';
import type { ProcessIdentity } from '../identity.js';
import { quoteSchema } from './names.js';
import { RUN_COUNT_KEYS } from '../run-counts.js';

const MAX_ERROR_CHARS = 1000;

/** SET list and values for the counters given (keys are fixed names, never caller text). */
function countAssignments(counts: Partial<RunCounts>, firstParam: number): { sets: string[]; values: number[] } {
  const sets: string[] = [];
  const values: number[] = [];
  for (const k of RUN_COUNT_KEYS) {
    const v = counts[k];
    if (v === undefined) continue;
    values.push(v);
    // Column names are the keys in snake_case (newPaths -> new_paths).
    sets.push(`${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} = $${firstParam + values.length - 1}`);
  }
  return { sets, values };
}

/** The first line of `error`, at most MAX_ERROR_CHARS. */
export function oneLine(error: string | null | undefined): string | null {
  if (error === undefined || error === null) return null;
  const line = error.split(/\r?\n/)[0] ?? '';
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 3)}...` : line;
}

/** The run log of mirror `schema`; `me` is recorded as each run's process. */
export function createPgRunLog(pool: pg.Pool, schema: string, me: ProcessIdentity): RunLog {
  const runs = `${quoteSchema(schema)}.sync_runs`;
  return {
    // Called holding the run lock (an advisory lock only a live session can hold): every run still
    // marked running belongs to a process that is gone. finished_at = its last sign of life.
    async interruptStaleRuns(at) {
      const res = await pool.query(
        `UPDATE ${runs} SET status = 'interrupted', finished_at = coalesce(heartbeat_at, started_at),
           error = format('interrupted: process %s on %s no longer holds the sync lock (noticed %s)', coalesce(pid::text, '?'), coalesce(host, '?'), $1::text)
         WHERE status = 'running'`,
        [at],
      );
      return res.rowCount ?? 0;
    },
    async startRun(start: RunStart) {
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO ${runs} (started_at, heartbeat_at, status, trigger, "full", pid, host) VALUES ($1, $1, 'running', $2, $3, $4, $5) RETURNING id`,
        [start.startedAt, start.trigger, start.full, me.pid, me.host],
      );
      return rows[0]!.id;
    },
    async updateRunProgress(runId, counts, at) {
      const { sets, values } = countAssignments(counts, 3);
      await pool.query(`UPDATE ${runs} SET ${['heartbeat_at = $2', ...sets].join(', ')} WHERE id = $1`, [
        runId,
        at,
        ...values,
      ]);
    },
    async finishRun(runId, end: RunEnd) {
      const { sets, values } = countAssignments(end.counts ?? {}, 5);
      await pool.query(
        `UPDATE ${runs} SET ${['status = $2', 'finished_at = $3', 'heartbeat_at = $3', 'error = $4', ...sets].join(', ')} WHERE id = $1`,
        [runId, end.status, end.finishedAt, oneLine(end.error), ...values],
      );
    },
  };
}
