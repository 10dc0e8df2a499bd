/**
 * One sync run, over interfaces only: list everything (cheap: ids and timestamps), fetch details for new,
 * changed or previously failed issues with bounded concurrency while listing goes on, write them in
 * batched transactions as they arrive, and soft-delete what a complete listing no longer holds.
 *
 * Failures of one issue are counted and reported, never fatal. Authentication failures and a failed
 * listing are fatal: the run stops, keeps what it stored, and deletes nothing.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { AuthError, BadResponseError, SyncError, describeError } from '../errors.js';
import { Fifo } from './fifo.js';
import { itemFailure } from './detail-writer.js';
import type { Clock, DetailWriter, FetchedDetail, IssuesSource, ItemFailure, RunCounts, RunTrigger, SyncProgress, SyncResult, SyncStore } from './ports.js';
import { toIsoUtc } from './timestamps.js';

export interface SyncDeps {
  api: IssuesSource;
  store: SyncStore;
  /** Where fetched details are parsed, mapped and stored. */
  writer: DetailWriter;
  log: Logger;
  now?: Clock;
}

export interface SyncOptions {
  /** Refetch every detail, changed or not. */
  full: boolean;
  concurrency: number;
  trigger: RunTrigger;
  /** Refuse to soft-delete more than this share of active issues in one run… */
  maxDeleteShare: number;
  /** …unless this is set. */
  allowMassDelete: boolean;
  signal?: AbortSignal;
  /**
   * Issues per write transaction, and the longest a finished detail waits for its write. Small batches
   * keep each synchronous write short (~10 ms), so it does not stall the HTTP event loop.
   */
  batchSize?: number;
  flushMs?: number;
  onProgress?: (p: SyncProgress) => void;
  progressMs?: number;
}

const MAX_REPORTED_FAILURES = 1000;
/** Batches handed to the writer and not written yet, before fetch workers wait (bounds memory). */
const MAX_PENDING_WRITES = 4;

/** Run one sync. Never throws for per-item problems; the result says what happened. */
export async function runSync(deps: SyncDeps, opts: SyncOptions): Promise<SyncResult> {
  const { api, store, log } = deps;
  const writer = deps.writer;
  const now = deps.now ?? (() => new Date());
  const started = Date.now();
  const startedAt = now().toISOString();
  const batchSize = opts.batchSize ?? 100;
  const flushMs = opts.flushMs ?? 250;

  const interrupted = await store.interruptStaleRuns(startedAt);
  if (interrupted > 0) log.warn({ runs: interrupted }, 'marked runs left "running" by a dead process as interrupted');
  const runId = await store.startRun({ trigger: opts.trigger, full: opts.full, startedAt });
  const runLog = log.child({ runId });
  runLog.info({ trigger: opts.trigger, full: opts.full }, 'sync started');

  const counts: RunCounts = { listed: 0, fetched: 0, unchanged: 0, deleted: 0, failed: 0, requests: 0, retries: 0, throttled: 0 };
  const failures: ItemFailure[] = [];
  const recordFailure = (f: ItemFailure) => {
    counts.failed++;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push(f);
    runLog.warn({ issueId: f.issueId, code: f.code }, f.message);
  };
  const fail = (issueId: number | undefined, err: unknown) => {
    recordFailure({ issueId, code: err instanceof SyncError ? err.code : 'INTERNAL', message: describeError(err) });
  };

  // Internal stop: the caller's signal, or a fatal error of our own.
  const stop = new AbortController();
  // Every in-flight request listens on this signal: more than Node's default warning threshold of 10.
  setMaxListeners(0, stop.signal);
  const onOuterAbort = () => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let fatal: unknown;
  const die = (err: unknown) => {
    if (fatal === undefined && !stop.signal.aborted) fatal = err;
    stop.abort(err);
  };

  // Write buffer: details wait here at most flushMs or until batchSize have arrived. Writes are chained
  // (answered in order) and at most MAX_PENDING_WRITES batches wait, so fetching never outruns writing far.
  let buffer: FetchedDetail[] = [];
  let writes: Promise<void> = Promise.resolve();
  let pendingWrites = 0;
  const writeRoom: Array<() => void> = [];
  const flush = () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    pendingWrites++;
    writes = writes
      .then(() => writer.write(batch, runId))
      .then((out) => {
        counts.fetched += out.stored;
        for (const f of out.failures) recordFailure(f);
        if (out.fatal) die(new SyncError('DB_ERROR', out.fatal.message));
        else return store.updateRunProgress(runId, counts, now().toISOString());
      })
      .catch((err: unknown) => die(err instanceof SyncError ? err : new SyncError('DB_ERROR', `writing to the database failed: ${describeError(err)}`, { cause: err })))
      .finally(() => {
        pendingWrites--;
        for (const wake of writeRoom.splice(0)) wake();
      });
  };
  const flushTimer = setInterval(flush, flushMs);
  // A full buffer is written on the next loop turn, not by the worker that filled it: that worker's next
  // request (and any others started in this turn) is on the wire first, so the write overlaps them.
  let flushQueued = false;
  const flushSoon = () => {
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      flush();
    });
  };
  const progress = () => {
    const s = api.stats();
    Object.assign(counts, { requests: s.requests, retries: s.retries, throttled: s.throttled });
    opts.onProgress?.({ counts: { ...counts }, pending: queue.length + active, listingDone, elapsedMs: Date.now() - started });
  };
  const progressTimer = opts.onProgress ? setInterval(progress, opts.progressMs ?? 500) : undefined;

  // Detail queue and workers.
  const queue = new Fifo();
  let active = 0;
  let listingDone = false;
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  stop.signal.addEventListener('abort', notify, { once: true });
  const syncedAt = () => now().toISOString();

  const worker = async () => {
    for (;;) {
      if (stop.signal.aborted) return;
      const id = queue.shift();
      if (id === undefined) {
        if (listingDone) return;
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      active++;
      try {
        const { raw, path } = await api.getIssue(id, stop.signal);
        buffer.push({ id, raw, path, syncedAt: syncedAt() });
        if (buffer.length >= batchSize) flushSoon();
        // Backpressure: wait while enough batches are waiting for the writer.
        while (pendingWrites >= MAX_PENDING_WRITES && !stop.signal.aborted) await new Promise<void>((resolve) => writeRoom.push(resolve));
      } catch (err) {
        if (stop.signal.aborted) return;
        if (err instanceof AuthError) die(err);
        else recordFailure(itemFailure(id, err));
      } finally {
        active--;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, opts.concurrency) }, worker);

  // Listing, feeding the queue as pages arrive.
  let listingComplete = false;
  let listingClean = true;
  const seen = new Set<number>();
  try {
    const pages = api.listPages(stop.signal);
    for (;;) {
      const next = await pages.next();
      if (next.done) {
        runLog.debug({ end: next.value, listed: counts.listed }, 'listing complete');
        listingComplete = true;
        break;
      }
      const page = next.value;
      if (page.hole !== undefined) {
        listingClean = false;
        fail(undefined, new BadResponseError(page.hole));
      }
      for (const bad of page.invalid) {
        if (bad.id === undefined) listingClean = false;
        else seen.add(bad.id);
        fail(bad.id, new BadResponseError(`list page ${bad.page}, item ${bad.index}: ${bad.reason}`));
      }
      const fresh = page.items.filter((it) => !seen.has(it.id));
      for (const it of fresh) seen.add(it.id);
      const ids = fresh.map((it) => it.id);
      const badIds = page.invalid.flatMap((b) => (b.id === undefined ? [] : [b.id]));
      const versions = await store.recordListing([...ids, ...badIds], runId, syncedAt());
      for (const it of fresh) {
        const stored = versions.get(it.id);
        if (opts.full || stored === undefined || stored !== toIsoUtc(it.updatedAt)) queue.push(it.id);
        else counts.unchanged++;
      }
      counts.listed += fresh.length + badIds.length;
      notify();
    }
  } catch (err) {
    if (!stop.signal.aborted) die(err);
  }
  listingDone = true;
  notify();
  await Promise.all(workers);
  clearInterval(flushTimer);
  if (progressTimer) clearInterval(progressTimer);
  flush();
  await writes;
  opts.signal?.removeEventListener('abort', onOuterAbort);

  // Deletions: only after a complete, clean listing of a run that was not stopped.
  let runError: string | undefined;
  if (listingComplete && listingClean && !stop.signal.aborted) {
    const { missing, active: activeCount } = await store.deletionCandidates(runId);
    if (missing > 0 && missing > opts.maxDeleteShare * activeCount && !opts.allowMassDelete) {
      runError = `refused to soft-delete ${missing} of ${activeCount} issues (more than ${Math.round(opts.maxDeleteShare * 100)}%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete`;
      runLog.error({ code: 'MASS_DELETE_REFUSED', missing, active: activeCount }, runError);
    } else if (missing > 0) {
      counts.deleted = await store.softDeleteMissing(runId, syncedAt());
    }
  } else if (listingComplete && !listingClean) {
    runLog.warn('listing held unusable items: no issue is marked deleted this run');
  }

  const s = api.stats();
  Object.assign(counts, { requests: s.requests, retries: s.retries, throttled: s.throttled });
  let status: SyncResult['status'];
  if (fatal !== undefined) {
    status = 'failed';
    runError = describeError(fatal);
  } else if (opts.signal?.aborted) {
    status = 'interrupted';
    runError = 'stopped by signal before the run finished';
  } else if (counts.failed > 0 || runError) {
    status = 'partial';
    runError ??= `${counts.failed} issue${counts.failed === 1 ? '' : 's'} failed; they are retried next run (first: ${failures[0]?.message ?? ''})`;
  } else status = 'succeeded';

  await store.finishRun(runId, { status, finishedAt: now().toISOString(), counts, error: runError ?? null });
  const durationMs = Date.now() - started;
  runLog.info({ status, ...counts, durationMs }, 'sync finished');
  return { runId, status, counts, error: runError, fatal, failures, durationMs };
}
