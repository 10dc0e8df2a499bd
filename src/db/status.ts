/**
 * Read-only queries behind `speakup-sync status` and the daemon's health metrics. They never write and
 * never touch the sync lease, so they run beside a sync (WAL: readers do not block the writer or wait for it).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { and, count, desc, eq, gt, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { firstLine, SyncError } from '../errors.js';
import type { AppDatabase } from './open.js';
import { issues, latestRuns, syncLock, syncRuns, type RunStatus } from './schema.js';

/**
 * Run statuses that count as a successful sync: `partial` finished too, only some issues failed (retried
 * next run). The daemon's metrics use the same set (sync/metrics.ts).
 */
export const SUCCESS_STATUSES: readonly RunStatus[] = ['succeeded', 'partial'];

/** One row of `latest_runs`. */
export type RunSummary = typeof latestRuns.$inferSelect;

/** The state of the mirror as `status` reports it. */
export interface MirrorStatus {
  issues: { mirrored: number; deleted: number };
  /** Newest first. */
  runs: RunSummary[];
  /** Newest run with a status in {@link SUCCESS_STATUSES}. */
  lastSuccess: RunSummary | undefined;
  /** Who holds the sync lease (a sync in progress), read without taking it. */
  lock: { pid: number; host: string; runId: number | null; acquiredAt: string; heartbeatAt: string } | undefined;
}

/** File sizes of the database and its write-ahead log, in bytes. */
export interface FileSizes {
  db: number;
  wal: number;
}

/**
 * Opens `path` read-only (never creating it, never migrating). Throws a one-line DB_ERROR for a missing
 * file or one that is not a speakup-sync database.
 */
export function openReadOnly(path: string, busyTimeoutMs = 5_000): AppDatabase & { $client: Database.Database } {
  const file = resolve(path);
  if (!existsSync(file))
    throw new SyncError('DB_ERROR', `no database at "${file}"; run speakup-sync sync first, or set SPEAKUP_DB`);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    // Fails early on a file that is not SQLite, or a SQLite file without our tables.
    sqlite.prepare('SELECT 1 FROM sync_runs LIMIT 1').get();
  } catch (err) {
    const raw = (err as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : '';
    // WAL readers map `<db>-shm` read-write and may have to create it (https://sqlite.org/wal.html#readonly).
    const hint = /^SQLITE_(READONLY|CANTOPEN)/.test(code)
      ? 'a reader of a WAL database needs write access to its directory (for the -shm file): run this as the user that runs the sync'
      : 'check SPEAKUP_DB';
    throw new SyncError('DB_ERROR', `cannot read database "${file}": ${firstLine(err)}; ${hint}`, { cause: err });
  }
  return drizzle({ client: sqlite });
}

/** Reads counts, the newest `runLimit` runs, the last successful run and the lease holder. */
export function readMirrorStatus(db: AppDatabase, runLimit = 5): MirrorStatus {
  // One read transaction: every number comes from the same snapshot even while a sync commits.
  return db.transaction(
    (tx) => {
      return {
        issues: countIssues(tx),
        runs: tx.select().from(latestRuns).limit(runLimit).all(),
        lastSuccess: lastSuccessfulRun(tx),
        lock: tx
          .select({
            pid: syncLock.pid,
            host: syncLock.host,
            runId: syncLock.runId,
            acquiredAt: syncLock.acquiredAt,
            heartbeatAt: syncLock.heartbeatAt,
          })
          .from(syncLock)
          .where(eq(syncLock.id, 1))
          .get(),
      };
    },
    { behavior: 'deferred' },
  );
}

/** The newest run that succeeded (or finished partially), if any. */
export function lastSuccessfulRun(db: Pick<AppDatabase, 'select'>): RunSummary | undefined {
  return db
    .select()
    .from(latestRuns)
    .where(and(inArray(latestRuns.status, [...SUCCESS_STATUSES]), notInArray(latestRuns.id, remapOnlyRuns(db))))
    .orderBy(desc(latestRuns.id))
    .limit(1)
    .get();
}

/** Runs of `sync --remap`: no request to SpeakUp, so they say nothing about how fresh the mirror is. */
function remapOnlyRuns(db: Pick<AppDatabase, 'select'>) {
  return db
    .select({ id: syncRuns.id })
    .from(syncRuns)
    .where(and(gt(syncRuns.remapped, 0), eq(syncRuns.requests, 0)));
}

/** Issues still listed and soft-deleted ones (the daemon's gauges). */
export function countIssues(db: Pick<AppDatabase, 'select'>): { mirrored: number; deleted: number } {
  const mirrored = db.select({ n: count() }).from(issues).where(isNull(issues.deletedAt)).get()?.n ?? 0;
  const deleted =
    db
      .select({ n: count() })
      .from(issues)
      .where(sql`${issues.deletedAt} IS NOT NULL`)
      .get()?.n ?? 0;
  return { mirrored, deleted };
}

/** Sizes of the file and of its `-wal` (0 when absent). */
export function fileSizes(path: string): FileSizes {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return { db: size(path), wal: size(`${path}-wal`) };
}
