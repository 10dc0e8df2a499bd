/**
 * What a run does once its transfer has settled: the deletions a complete listing allows, the erasure of
 * content past its retention, and the comparison of the detail paths with those seen before.
 */
import { describeError, SyncError } from '../errors.js';
import { confirmDeletions } from './confirm-deletions.js';
import { decideDeletions, deletionGate, type ListingVerdict } from './decisions.js';
import { recordDrift } from './drift.js';
import type { FieldMap } from './field-map.js';
import type { SyncStore } from './ports.js';
import type { Run, SyncDeps, SyncOptions } from './run-sync.js';

/**
 * Erases the content of issues deleted long enough ago. It depends on no listing, so it runs after any
 * run the caller did not stop; a failure stops the run (a retention period is an obligation).
 */
export async function purgeDeleted(store: SyncStore, opts: SyncOptions, run: Run): Promise<void> {
  if (opts.purgeDeletedAfterMs === undefined || !store.purgeDeleted || opts.signal?.aborted) return;
  const now = run.now();
  const upTo = new Date(now.getTime() - opts.purgeDeletedAfterMs).toISOString();
  try {
    const purged = await store.purgeDeleted(upTo, now.toISOString());
    run.tally.counts.purged = purged;
    if (purged > 0) run.log.info({ purged, deletedUpTo: upTo }, 'erased the content of issues deleted at the source');
  } catch (err) {
    run.stop.die(new SyncError('DB_ERROR', `purging deleted issues failed: ${describeError(err)}`, { cause: err }));
  }
}

/** Soft-deletes what a complete, clean listing no longer holds, within the guard; returns the refusal, if any. */
export async function applyDeletions(
  { api: source, store }: Pick<SyncDeps, 'api' | 'store'>,
  opts: SyncOptions,
  verdict: ListingVerdict,
  run: Run,
): Promise<string | undefined> {
  const gate = deletionGate(verdict, run.stop.signal.aborted);
  if (gate === 'unclean')
    run.log.warn(verdict.warning ?? 'listing held unusable items: no issue is marked deleted this run');
  if (gate !== 'open') return verdict.warning;
  if (opts.lease && !(await opts.lease.heartbeat())) return undefined;
  const candidates = await store.deletionCandidates(run.runId);
  const decision = decideDeletions(candidates, opts);
  if (decision.kind === 'refuse') {
    run.log.error({ code: 'MASS_DELETE_REFUSED', missing: decision.missing, active: decision.active }, decision.error);
    return decision.error;
  }
  if (decision.kind !== 'delete') return undefined;
  const ids = await store.missingIds(run.runId);
  const signal = stopSignal(opts) ?? new AbortController().signal;
  const { gone, unconfirmed } = await confirmDeletions({
    source,
    ids,
    concurrency: opts.concurrency,
    signal,
    log: run.log,
  });
  run.tally.counts.unconfirmed = unconfirmed;
  // The lease is checked again: the confirmations took time, and another run may hold the lock now.
  if (signal.aborted || (opts.lease && !(await opts.lease.heartbeat()))) return undefined;
  if (gone.length > 0)
    run.tally.counts.deleted = await store.softDeleteMissing(run.runId, run.now().toISOString(), gone);
  return undefined;
}

/** The caller's signal and the lease's loss, as one. */
export function stopSignal(opts: SyncOptions): AbortSignal | undefined {
  const signals = [opts.signal, opts.lease?.lost].filter((x): x is AbortSignal => x !== undefined);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

/** Compares the run's detail paths with those seen before; a failure is logged, never fatal. */
export async function noteDrift(store: SyncStore, map: FieldMap, run: Run): Promise<void> {
  try {
    const at = run.now().toISOString();
    const drift = await recordDrift(store, run.paths.seen, run.paths.details, map, {
      runId: run.runId,
      at,
      log: run.log,
      since: run.since,
    });
    if (drift) Object.assign(run.tally.counts, drift);
  } catch (err) {
    run.log.warn({ code: 'DRIFT_FAILED' }, `recording the detail paths failed: ${describeError(err)}`);
  }
}
