/**
 * The `sync_runs` log: one row per run, counts kept current while it runs, so a crash leaves an honest
 * record and the next run can mark it interrupted.
 */
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { RunCounts, RunEnd, RunLog, RunStart, RunStatus, RunTrigger } from '../sync/ports.js';
import { isProcessAlive, type ProcessIdentity } from './identity.js';
import type { AppDatabase } from './open.js';
import { settled } from './settled.js';
import { syncLock, syncRuns, type SyncRunRow } from './schema.js';
import { RUN_COUNT_KEYS } from './run-counts.js';

/** What is known when a run starts; pid and host default to the store's process. */
export interface StartRunInput extends RunStart {
  pid?: number;
  host?: string;
}

/** The end of a run, as the core's run log port describes it. */
export type FinishRunInput = RunEnd;

/** How to tell a `running` row whose process is gone; pid and host default to the store's process. */
export interface StaleRunOptions {
  pid?: number;
  host?: string;
  /** A run whose last heartbeat is older than this is dead, whatever its host (default 1 h). */
  staleAfterMs?: number;
  /** The caller's own run, never touched. */
  exceptRunId?: number;
}

/** Run log operations on this connection, synchronous; {@link runLogPort} adapts them to the core's port. */
export interface RunLogOps {
  startRun(input: StartRunInput): number;
  /** Stores the counts given (absolute values) and refreshes the run's heartbeat (default: now). */
  updateRunProgress(id: number, counts: Partial<RunCounts>, at?: string): void;
  finishRun(id: number, input: FinishRunInput): void;
  /**
   * Marks `running` rows of vanished processes as interrupted; returns how many. Call it holding the
   * lease and before startRun: the caller then has no run in flight and no other process can have one.
   */
  interruptStaleRuns(at: string, options?: StaleRunOptions): number;
  getRun(id: number): SyncRunRow | undefined;
  /** Newest first. */
  listRuns(limit: number): SyncRunRow[];
}

// The schema's enum columns and the core's unions must name the same values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesAgree: Same<SyncRunRow['status'], RunStatus> = true;
const triggersAgree: Same<SyncRunRow['trigger'], RunTrigger> = true;
void statusesAgree;
void triggersAgree;

const MAX_ERROR_CHARS = 1000;
const DEFAULT_RUN_STALE_MS = 60 * 60_000;

/** Builds the run log over one connection; `me` is the default process identity. */
export function createRunLog(db: AppDatabase, me: ProcessIdentity): RunLogOps {
  const P = sql.placeholder;
  const insert = db
    .insert(syncRuns)
    .values({
      startedAt: P('startedAt'),
      heartbeatAt: P('startedAt'),
      status: 'running',
      trigger: P('trigger'),
      full: P('full'),
      pid: P('pid'),
      host: P('host'),
    })
    .returning({ id: syncRuns.id })
    .prepare();
  const byId = db
    .select()
    .from(syncRuns)
    .where(eq(syncRuns.id, P('id')))
    .prepare();
  const newest = db.select().from(syncRuns).orderBy(desc(syncRuns.id)).limit(P('limit')).prepare();
  const running = db
    .select({
      id: syncRuns.id,
      pid: syncRuns.pid,
      host: syncRuns.host,
      startedAt: syncRuns.startedAt,
      heartbeatAt: syncRuns.heartbeatAt,
    })
    .from(syncRuns)
    .where(and(eq(syncRuns.status, 'running'), ne(syncRuns.id, P('except'))))
    .prepare();
  const lease = db
    .select({ pid: syncLock.pid, host: syncLock.host })
    .from(syncLock)
    .where(eq(syncLock.id, 1))
    .prepare();

  return {
    startRun(input) {
      const row = insert.get({ ...input, pid: input.pid ?? me.pid, host: input.host ?? me.host });
      if (!row) throw new Error('sync_runs insert returned no id');
      return row.id;
    },
    updateRunProgress(id, counts, at) {
      db.update(syncRuns)
        .set({ ...pickCounts(counts), heartbeatAt: at ?? new Date().toISOString() })
        .where(eq(syncRuns.id, id))
        .run();
    },
    finishRun(id, input) {
      const write = () =>
        db
          .update(syncRuns)
          .set({
            ...pickCounts(input.counts ?? {}),
            status: input.status,
            finishedAt: input.finishedAt,
            heartbeatAt: input.finishedAt,
            error: oneLine(input.error),
          })
          .where(eq(syncRuns.id, id))
          .run();
      try {
        write();
      } catch (err) {
        // On a full disk the WAL may hold the only space left: fold it into the file and cut it back,
        // then try once more, so a run that failed for want of space can still record how it ended.
        if ((err as { code?: unknown } | null)?.code !== 'SQLITE_FULL') throw err;
        db.run(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
        write();
      }
    },
    interruptStaleRuns(at, options = {}) {
      const pid = options.pid ?? me.pid;
      const host = options.host ?? me.host;
      const staleAfterMs = options.staleAfterMs ?? DEFAULT_RUN_STALE_MS;
      const now = Date.parse(at);
      let count = 0;
      db.transaction(
        (tx) => {
          const holder = lease.get();
          const weHoldLease = holder !== undefined && holder.pid === pid && holder.host === host;
          for (const run of running.all({ except: options.exceptRunId ?? -1 })) {
            const lastSign = run.heartbeatAt ?? run.startedAt;
            const why = deathOf(run, {
              pid,
              host,
              weHoldLease,
              stale: now - Date.parse(lastSign) > staleAfterMs,
              lastSign,
            });
            if (why === undefined) continue;
            // finished_at = last sign of life, so durations stay truthful; the error says when we noticed.
            tx.update(syncRuns)
              .set({ status: 'interrupted', finishedAt: lastSign, error: `interrupted: ${why} (noticed ${at})` })
              .where(and(eq(syncRuns.id, run.id), eq(syncRuns.status, 'running')))
              .run();
            count++;
          }
        },
        { behavior: 'immediate' },
      );
      return count;
    },
    getRun: (id) => byId.get({ id }),
    listRuns: (limit) => newest.all({ limit }),
  };
}

/** The core's run log port over these operations (work done synchronously, answered as promises). */
export function runLogPort(ops: RunLogOps): RunLog {
  return {
    interruptStaleRuns: (at) => settled(() => ops.interruptStaleRuns(at)),
    startRun: (start) => settled(() => ops.startRun(start)),
    updateRunProgress: (id, counts, at) => settled(() => ops.updateRunProgress(id, counts, at)),
    finishRun: (id, end) => settled(() => ops.finishRun(id, end)),
  };
}

interface Judge {
  pid: number;
  host: string;
  weHoldLease: boolean;
  stale: boolean;
  lastSign: string;
}

/** Why a `running` row's process is gone, or undefined while it may still be alive. */
function deathOf(run: { pid: number | null; host: string | null }, j: Judge): string | undefined {
  const where = `process ${run.pid ?? '?'} on ${run.host ?? '?'}`;
  // Our own pid and host but not our run: an earlier incarnation (a restarted container reuses pids).
  if (run.pid === j.pid && run.host === j.host) return `${where} is an earlier run of this process id`;
  if (run.host === j.host && run.pid !== null && !isProcessAlive(run.pid)) return `${where} is gone`;
  // Every sync holds the lease while it runs: if the caller holds it, nobody else is running.
  if (j.weHoldLease) return `${where} no longer holds the sync lock`;
  if (j.stale) return `${where} sent no heartbeat since ${j.lastSign}`;
  return undefined;
}

/** Only the counter keys, so a caller's extra properties never reach the SET list. */
function pickCounts(c: Partial<RunCounts>): Partial<RunCounts> {
  const out: Partial<RunCounts> = {};
  for (const k of RUN_COUNT_KEYS) {
    const v = c[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function oneLine(error: string | null | undefined): string | null {
  if (error === undefined || error === null) return null;
  const line = error.split(/\r?\n/)[0] ?? '';
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 3)}...` : line;
}
