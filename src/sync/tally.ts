/** A run's counters and per-item failures, each failure logged with its issue id and code. */
import type { Logger } from 'pino';
import { describeError, SyncError } from '../errors.js';
import type { ItemFailure, RunCounts, SourceStats } from './ports.js';

/** Failures kept for the result; the count goes on beyond it. */
export const MAX_REPORTED_FAILURES = 1000;

export interface Tally {
  readonly counts: RunCounts;
  /** The first {@link MAX_REPORTED_FAILURES} failures. */
  readonly failures: ItemFailure[];
  record(failure: ItemFailure): void;
  /** Records `err` as a failure of `issueId` (undefined: of the listing). */
  fail(issueId: number | undefined, err: unknown): void;
}

export function createTally(log: Logger): Tally {
  const counts: RunCounts = {
    listed: 0,
    fetched: 0,
    unchanged: 0,
    deleted: 0,
    failed: 0,
    requests: 0,
    retries: 0,
    throttled: 0,
  };
  const failures: ItemFailure[] = [];
  const record = (f: ItemFailure): void => {
    counts.failed++;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push(f);
    log.warn({ issueId: f.issueId, code: f.code }, f.message);
  };
  return {
    counts,
    failures,
    record,
    fail: (issueId, err) =>
      record({ issueId, code: err instanceof SyncError ? err.code : 'INTERNAL', message: describeError(err) }),
  };
}

/** Copies the source's request counters into `counts`. */
export function takeStats(counts: RunCounts, stats: SourceStats): void {
  counts.requests = stats.requests;
  counts.retries = stats.retries;
  counts.throttled = stats.throttled;
}
