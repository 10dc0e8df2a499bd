/**
 * One sync run, over interfaces only: list everything (cheap: ids and timestamps), fetch details for new,
 * changed or previously failed issues with bounded concurrency while listing goes on, write them in
 * batched transactions as they arrive, and soft-delete what a complete listing no longer holds.
 *
 * Failures of one issue are counted and reported, never fatal. Authentication failures and a failed
 * listing are fatal: the run stops, keeps what it stored, and deletes nothing.
 */
import type { Logger } from 'pino';
import { AuthError, SyncError } from '../errors.js';
import { finalStatus, lostReason, type ListingVerdict } from './decisions.js';
import { itemFailure } from './detail-writer.js';
import { startFetchPool } from './fetch-pool.js';
import { listIssues } from './lister.js';
import type {
  Clock,
  DetailWriter,
  Lease,
  IssuesSource,
  RunTrigger,
  SyncProgress,
  SyncResult,
  SyncStore,
  WriteOutcome,
} from './ports.js';
import { createRunStop, type RunStop } from './run-stop.js';
import { createTally, takeStats, type Tally } from './tally.js';
import { createWriteBatcher } from './write-batcher.js';
import { createPathTally, type PathTally } from './drift.js';
import { DEFAULT_FIELD_MAP, type FieldMap } from './field-map.js';
import { mapAtRunStart } from './remap.js';
import { applyDeletions, noteDrift, purgeDeleted, stopSignal } from './run-end.js';

export interface SyncDeps {
  api: IssuesSource;
  store: SyncStore;
  /** Where fetched details are parsed, mapped and stored. */
  writer: DetailWriter;
  log: Logger;
  now?: Clock;
  /** The field map the writer uses: a full run remaps with it, drift knows which paths it reads. */
  fieldMap?: FieldMap;
}

export interface SyncOptions {
  /** Refetch every detail, changed or not. */
  full: boolean;
  /** First map the stored issues again from their detail JSON with the current field map (remap.ts). */
  remap?: boolean;
  concurrency: number;
  trigger: RunTrigger;
  /** Refuse to soft-delete more than this share of active issues in one run… */
  maxDeleteShare: number;
  /** …unless this is set. */
  allowMassDelete: boolean;
  /**
   * Erase the content of issues deleted at the source at least this long ago (0: in the run that
   * confirms the deletion). Undefined: keep it.
   */
  purgeDeletedAfterMs?: number;
  signal?: AbortSignal;
  /**
   * The run lock's lease: losing it stops the run like the signal (it writes what it has, deletes
   * nothing, ends `interrupted`), and the lease is checked once more before any deletion.
   */
  lease?: Pick<Lease, 'lost' | 'heartbeat'>;
  /**
   * Issues per write transaction, and the longest a finished detail waits for its write. Small batches
   * keep each synchronous write short, so it does not stall the HTTP event loop.
   */
  batchSize?: number;
  flushMs?: number;
  onProgress?: (p: SyncProgress) => void;
  progressMs?: number;
}

/** Batches handed to the writer and not written yet, before fetch workers wait (bounds memory). */
const MAX_PENDING_WRITES = 4;
/** Characters of detail JSON per write, whatever the batch size (a few huge details make one write). */
const MAX_BATCH_CHARS = 16 * 1024 * 1024;

/** What the parts of one run share. */
export interface Run {
  runId: number;
  log: Logger;
  tally: Tally;
  stop: RunStop;
  now: Clock;
  started: number;
  /** The detail paths the run's writes saw (schema drift). */
  paths: PathTally;
  /** When the run began to fetch: the details it stores have a syncedAt from then on. */
  since: string;
}

/** Run one sync. Never throws for per-item problems; the result says what happened. */
export async function runSync(deps: SyncDeps, opts: SyncOptions): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const started = Date.now();
  const { runId, log } = await beginRun(deps, opts, now().toISOString());
  const outer = stopSignal(opts);
  const run: Run = {
    runId,
    log,
    tally: createTally(log),
    stop: createRunStop(outer),
    now,
    started,
    paths: createPathTally(),
    since: now().toISOString(),
  };
  const map = deps.fieldMap ?? DEFAULT_FIELD_MAP;
  await mapAtRunStart(deps.store, map, opts.remap === true, { ...run, counts: run.tally.counts });
  const verdict = await transfer(deps, opts, run);
  run.stop.dispose();
  const refusal = await applyDeletions(deps, opts, verdict, run).catch((err: unknown) => {
    run.stop.die(err);
    return undefined;
  });
  await purgeDeleted(deps.store, opts, run);
  await noteDrift(deps.store, map, run);

  const { counts, failures } = run.tally;
  takeStats(counts, deps.api.stats());
  const fatal = run.stop.fatal;
  const end = finalStatus({
    fatal,
    interrupted: outer?.aborted === true,
    lostLease: opts.lease?.lost.aborted === true,
    lostReason: lostReason(opts.lease?.lost),
    failed: counts.failed,
    fetched: counts.fetched,
    unconfirmed: counts.unconfirmed ?? 0,
    firstFailure: failures[0]?.message,
    refusal,
  });
  await deps.store.finishRun(runId, {
    status: end.status,
    finishedAt: now().toISOString(),
    counts,
    error: end.error ?? null,
  });
  const durationMs = Date.now() - started;
  log.info({ status: end.status, ...counts, durationMs }, 'sync finished');
  return { runId, status: end.status, counts, error: end.error, fatal, failures, durationMs };
}

/** Marks runs of dead processes interrupted, then records this run's start. */
async function beginRun(deps: SyncDeps, opts: SyncOptions, startedAt: string): Promise<{ runId: number; log: Logger }> {
  const interrupted = await deps.store.interruptStaleRuns(startedAt);
  if (interrupted > 0)
    deps.log.warn({ runs: interrupted }, 'marked runs left "running" by a dead process as interrupted');
  const runId = await deps.store.startRun({ trigger: opts.trigger, full: opts.full, startedAt });
  const log = deps.log.child({ runId });
  log.info({ trigger: opts.trigger, full: opts.full }, 'sync started');
  return { runId, log };
}

/**
 * Lists, fetches and writes, the three overlapping: the listing fills the fetch queue page by page,
 * fetched details go to the write batcher. Settles once every write is answered.
 */
async function transfer(deps: SyncDeps, opts: SyncOptions, run: Run): Promise<ListingVerdict> {
  const { tally, stop } = run;
  const batcher = createWriteBatcher({
    writer: deps.writer,
    runId: run.runId,
    batchSize: opts.batchSize ?? 100,
    maxChars: MAX_BATCH_CHARS,
    flushMs: opts.flushMs ?? 250,
    maxPending: MAX_PENDING_WRITES,
    onWritten: (out) => written(deps.store, run, out),
    onFatal: (err) => stop.die(err),
  });
  const pool = startFetchPool({
    source: deps.api,
    concurrency: opts.concurrency,
    signal: stop.signal,
    clock: run.now,
    deliver: (detail, reserved) => batcher.add(detail, reserved),
    room: () => batcher.room(),
    reserve: (bytes, signal) => batcher.reserve(bytes, signal),
    unreserve: (bytes) => batcher.unreserve(bytes),
    onError: (id, err) => (err instanceof AuthError ? stop.die(err) : tally.record(itemFailure(id, err))),
  });
  let listingDone = false;
  const progress = opts.onProgress;
  const timer =
    progress &&
    setInterval(() => progress(progressOf(deps.api, run, pool.pending, listingDone)), opts.progressMs ?? 500);
  let verdict: ListingVerdict = { complete: false, clean: true };
  try {
    const listing = {
      source: deps.api,
      store: deps.store,
      runId: run.runId,
      full: opts.full,
      signal: stop.signal,
      clock: run.now,
      tally,
    };
    verdict = await listIssues({ ...listing, enqueue: (id) => pool.push(id), pageDone: () => pool.wake() });
    run.log.debug({ end: verdict.end, listed: tally.counts.listed }, 'listing complete');
  } catch (err) {
    if (!stop.signal.aborted) stop.die(err);
  }
  listingDone = true;
  pool.end();
  await pool.done;
  if (timer) clearInterval(timer);
  await batcher.close();
  return verdict;
}

/** Counts a write's outcome and keeps the run log current; a failed database stops the run. */
function written(store: SyncStore, run: Run, out: WriteOutcome): Promise<void> | undefined {
  run.tally.counts.fetched += out.stored;
  run.paths.add(out.paths);
  for (const f of out.failures) run.tally.record(f);
  if (out.fatal) {
    run.stop.die(new SyncError('DB_ERROR', out.fatal.message));
    return undefined;
  }
  return store.updateRunProgress(run.runId, run.tally.counts, run.now().toISOString());
}

function progressOf(api: IssuesSource, run: Run, pending: number, listingDone: boolean): SyncProgress {
  takeStats(run.tally.counts, api.stats());
  return { counts: { ...run.tally.counts }, pending, listingDone, elapsedMs: Date.now() - run.started };
}
