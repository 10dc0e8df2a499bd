/**
 * Read-only queries behind `status` and the daemon's metrics on a PostgreSQL mirror, in the shapes the
 * SQLite side returns (db/status.ts), so the report and the metrics are built by the same code.
 * They never take the run lock: they read beside a sync.
 */
import type pg from 'pg';
import type { MirrorStatus, RunSummary } from '../status.js';
import { RUN_LOCK_KEY_SQL } from './lock.js';
import { quoteSchema } from './names.js';
import { emptyPartialStreak } from '../../empty-partial-streak.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

const RUN_COLUMNS = `id, started_at AS "startedAt", finished_at AS "finishedAt", duration_seconds AS "durationSeconds",
  status, trigger, "full", listed, fetched, unchanged, deleted, failed, requests, retries, throttled, error, pid, host`;

/** Issues still listed and soft-deleted ones. */
export async function countPgIssues(db: Queryable, schema: string): Promise<{ mirrored: number; deleted: number }> {
  const { rows } = await db.query<{ mirrored: number; deleted: number }>(
    `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS mirrored, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted
     FROM ${quoteSchema(schema)}.issues`,
  );
  return rows[0] ?? { mirrored: 0, deleted: 0 };
}

/**
 * The newest run that succeeded (or finished partially), if any; runs of `sync --remap` (no request to
 * SpeakUp) say nothing about how fresh the mirror is and do not count.
 */
export async function lastSuccessfulPgRun(db: Queryable, schema: string): Promise<RunSummary | undefined> {
  const q = quoteSchema(schema);
  const { rows } = await db.query<RunSummary>(
    `SELECT ${RUN_COLUMNS} FROM ${q}.latest_runs WHERE status IN ('succeeded', 'partial')
       AND id NOT IN (SELECT id FROM ${q}.sync_runs WHERE remapped > 0 AND requests = 0) ORDER BY id DESC LIMIT 1`,
  );
  return rows[0];
}

/**
 * The holder of the run lock, read without taking it: the `sync_lock` row counts only while the advisory
 * lock is held by a live session (a holder killed with -9 leaves its row behind, not its lock).
 */
async function pgLockHolder(db: Queryable, schema: string): Promise<MirrorStatus['lock']> {
  const { rows } = await db.query<{
    pid: number;
    host: string;
    runId: number | null;
    acquiredAt: string;
    heartbeatAt: string;
  }>(
    `SELECT pid, host, run_id AS "runId", acquired_at AS "acquiredAt", heartbeat_at AS "heartbeatAt"
     FROM ${quoteSchema(schema)}.sync_lock
     WHERE id = 1 AND EXISTS (
       SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = ${RUN_LOCK_KEY_SQL})`,
    [schema],
  );
  return rows[0];
}

/** Counts, the newest `runLimit` runs, the last successful run and the lock holder, from one snapshot. */
export async function readPgMirrorStatus(client: pg.ClientBase, schema: string, runLimit = 5): Promise<MirrorStatus> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const issues = await countPgIssues(client, schema);
    const { rows: runs } = await client.query<RunSummary>(
      `SELECT ${RUN_COLUMNS} FROM ${quoteSchema(schema)}.latest_runs ORDER BY id DESC LIMIT $1`,
      [runLimit],
    );
    const lastSuccess = await lastSuccessfulPgRun(client, schema);
    const lock = await pgLockHolder(client, schema);
    return { issues, runs, lastSuccess, lock };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

/** How many of the latest finished runs, in a row, ended `partial` with nothing stored (at most `limit`). */
export async function emptyPartialPgStreak(db: Queryable, schema: string, limit: number): Promise<number> {
  const { rows } = await db.query<{ status: string; fetched: number }>(
    `SELECT status, fetched FROM ${quoteSchema(schema)}.sync_runs WHERE status <> 'running' ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return emptyPartialStreak(rows);
}
