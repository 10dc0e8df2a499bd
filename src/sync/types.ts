/** Shapes shared by the sync core and its callers. */
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';
export type RunTrigger = 'manual' | 'scheduled' | 'startup';

export interface RunCounts {
  listed: number;
  fetched: number;
  unchanged: number;
  deleted: number;
  failed: number;
  requests: number;
  retries: number;
  throttled: number;
}

/** One per-item problem, reported with the issue id when known. */
export interface ItemFailure {
  issueId: number | undefined;
  code: string;
  message: string;
}

export interface SyncResult {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  counts: RunCounts;
  /** The run-level error, one line, when the run did not succeed. */
  error: string | undefined;
  /** The run-level error object (fatal runs), for the exit code. */
  fatal: unknown;
  /** Per-item failures (the first 1000). */
  failures: ItemFailure[];
  durationMs: number;
}

export interface SyncProgress {
  counts: RunCounts;
  /** Issues queued for a detail fetch and not done yet. */
  pending: number;
  listingDone: boolean;
  elapsedMs: number;
}
