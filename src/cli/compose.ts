/**
 * The composition root: the only place that builds concrete objects (token provider, HTTP API, database)
 * from configuration and hands them to the sync core as interfaces.
 */
import type { Logger } from 'pino';
import { createHttpIssuesApi, type IssuesApi } from '../api/issues-api.js';
import type { TokenProvider } from '../auth/token-provider.js';
import type { Config } from '../config/types.js';
import { startCheckpointer, WRITER_AUTOCHECKPOINT, type Checkpointer } from '../db/checkpointer.js';
import { openDatabase, type DatabaseHandle } from '../db/open.js';
import { emptyPartialStreak } from '../db/partial-streak.js';
import { countIssues, lastSuccessfulRun } from '../db/status.js';
import { createIssueStore, sqlitePorts } from '../db/issue-store.js';
import { describeError } from '../errors.js';
import { compileExclusion } from '../privacy/exclude.js';
import { createDetailWriter } from '../sync/detail-writer.js';
import { fieldMapOverrides } from '../sync/field-map.js';
import type { DetailWriter, RunLock, SyncStore } from '../sync/ports.js';
import type { WireDetail, WriteOutcome } from '../sync/types.js';
import { onThisThread, startWriterThread, type WriterThread } from './writer-thread.js';

// Built in a module of its own, which `sync` loads first to start its login early.
export { createTokenProvider } from './tokens.js';

export function createApi(config: Config, tokens: TokenProvider, log: Logger): IssuesApi {
  return createHttpIssuesApi(config.api, config.retry, tokens, log.child({ component: 'api' }));
}

export interface OpenStore {
  handle: DatabaseHandle;
  /** What a run reads and writes (issues and run log). */
  store: SyncStore;
  lock: RunLock;
  /** The detail writer on this thread (what withRunThreads falls back to). */
  writer: DetailWriter;
  /**
   * Runs `fn` (a sync run) with its writes and WAL checkpoints on worker threads (writer-thread.ts,
   * db/checkpointer.ts); the writer falls back to this thread if its thread cannot start.
   */
  withRunThreads<T>(fn: (writer: DetailWriter) => Promise<T>): Promise<T>;
  close(): void;
}

/** Open (and migrate) the database; log warnings such as a world-readable file. */
export function openStore(config: Config, log: Logger): OpenStore {
  const handle = openDatabase(config.dbPath);
  for (const w of handle.warnings) log.warn(w);
  const sqlite = createIssueStore(handle);
  const { store, lock } = sqlitePorts(sqlite, config.lockStaleAfterMs);
  const here = createDetailWriter(sqlite, config.fieldMap, compileExclusion(config.privacy.exclude));
  const fieldMap = config.fieldMap ? fieldMapOverrides(config.fieldMap) : undefined;
  const withRunThreads = async <T>(fn: (writer: DetailWriter) => Promise<T>): Promise<T> => {
    if (handle.path === ':memory:') return fn(here);
    const dbLog = log.child({ component: 'db' });
    const threads = startSoon(here, dbLog, () => ({
      checkpointer: startCheckpointer(handle, { log: dbLog }),
      thread: startWriterThread({
        dbPath: handle.path,
        autocheckpoint: WRITER_AUTOCHECKPOINT,
        fallback: here,
        log: dbLog,
        ...(fieldMap ? { fieldMap } : {}),
        exclude: config.privacy.exclude,
      }),
    }));
    try {
      return await fn(threads.writer);
    } finally {
      await threads.stop();
    }
  };
  return { handle, store, lock, writer: here, withRunThreads, close: () => handle.close() };
}

/**
 * A run's threads, started on the event loop's next turn instead of before the run: the run sends its
 * first request first, and the threads boot while it is answered (the first details come later still).
 * A write asked for before the start waits for it; a run over by then starts no thread.
 */
function startSoon(
  here: DetailWriter,
  log: Logger,
  start: () => { checkpointer: Checkpointer; thread: WriterThread },
): { writer: DetailWriter; stop(): Promise<void> } {
  let over = false;
  let checkpointer: Checkpointer | undefined;
  const started = new Promise<WriterThread>((resolve) =>
    setImmediate(() => {
      if (over) return resolve(onThisThread(here));
      try {
        const threads = start();
        checkpointer = threads.checkpointer;
        resolve(threads.thread);
      } catch (err) {
        log.warn({ reason: describeError(err) }, 'the writer thread did not start; writing on the main thread');
        resolve(onThisThread(here));
      }
    }),
  );
  const write = async (details: readonly WireDetail[], runId: number): Promise<WriteOutcome> =>
    (await started).writeWire(details, runId);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      over = true;
      await (await started).close();
      await checkpointer?.stop();
    })());
  // The run's last writes are answered: the threads stop while the run does its end-of-run work; a
  // failure to stop reaches the caller through stop().
  const done = (): void => void stop().catch(() => undefined);
  return { writer: { write, writeWire: write, done }, stop };
}

/** The mirror a run uses, on either database (SQLite file or PostgreSQL schema). */
export interface Mirror {
  store: SyncStore;
  lock: RunLock;
  /** Runs `fn` (a sync run) with the database's writer (SQLite: on its worker threads). */
  withRunThreads<T>(fn: (writer: DetailWriter) => Promise<T>): Promise<T>;
  /** Issues still listed and soft-deleted ones (the daemon's gauges). */
  countIssues(): Promise<{ mirrored: number; deleted: number }>;
  /** When the newest successful (or partial) run finished, if any. */
  lastSuccessAt(): Promise<string | undefined>;
  /** The latest finished runs, in a row, that ended `partial` with nothing stored (at most `limit`). */
  emptyPartialRuns?(limit: number): Promise<number>;
  close(): Promise<void>;
}

/** Opens (and migrates) the mirror SPEAKUP_DB names: a PostgreSQL URL or an SQLite file. */
export async function openMirror(config: Config, log: Logger): Promise<Mirror> {
  if (config.postgres) {
    const { openPgRunMirror } = await import('./compose-postgres.js');
    return openPgRunMirror(config, config.postgres, log);
  }
  const db = openStore(config, log);
  return {
    store: db.store,
    lock: db.lock,
    withRunThreads: (fn) => db.withRunThreads(fn),
    countIssues: () => Promise.resolve(countIssues(db.handle.db)),
    lastSuccessAt: () => Promise.resolve(lastSuccessfulRun(db.handle.db)?.finishedAt ?? undefined),
    emptyPartialRuns: (limit) => Promise.resolve(emptyPartialStreak(db.handle.sqlite, limit)),
    close: () => Promise.resolve(db.close()),
  };
}
