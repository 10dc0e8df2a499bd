/** Shapes shared by the sync core and its callers. */
import type { PathSighting } from './detail-paths.js';

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';
/** How a run ended. */
export type FinalStatus = Exclude<RunStatus, 'running'>;
export type RunTrigger = 'manual' | 'scheduled' | 'startup' | 'reconcile';

export interface RunCounts {
  listed: number;
  fetched: number;
  unchanged: number;
  deleted: number;
  failed: number;
  requests: number;
  retries: number;
  throttled: number;
  /** Issues whose content the run erased because they were deleted at the source long enough. */
  purged?: number;
  /** Issues missing from a complete listing whose detail still answered (or could not be asked): kept. */
  unconfirmed?: number;
  /** Detail paths seen for the first time, and mapped paths that stopped appearing (drift.ts). */
  newPaths?: number;
  lostPaths?: number;
  /** Issues mapped again from their stored detail JSON (remap.ts). */
  remapped?: number;
}

/** One per-item problem, reported with the issue id when known. */
export interface ItemFailure {
  issueId: number | undefined;
  code: string;
  message: string;
}

export interface SyncResult {
  runId: number;
  status: FinalStatus;
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

/** A detail as fetched: its JSON text, not parsed yet. The writer parses, maps and stores it. */
export interface FetchedDetail {
  id: number;
  raw: string;
  /** The request path, for error messages. */
  path: string;
  syncedAt: string;
}

/** What one write of fetched details did. Plain data: it crosses a thread boundary. */
export interface WriteOutcome {
  stored: number;
  /** Details that could not be parsed, mapped or stored; the others are stored. */
  failures: ItemFailure[];
  /** The database itself failed (nothing of this write is stored): the run must stop. */
  fatal?: { code: string; message: string };
  /** The JSON paths of the details written, for schema drift (detail-paths.ts). */
  paths?: PathSighting;
}

/**
 * A detail as it comes off the wire: a large body stays the bytes it was read into, so it is decoded
 * once, by the writer that stores it, instead of being held as text by the thread that fetched it.
 */
export interface WireDetail extends Omit<FetchedDetail, 'raw'> {
  raw: string | Uint8Array;
}

/** Parses, maps and stores fetched details, in one transaction per call. Calls are answered in order. */
export interface DetailWriter {
  write(details: readonly FetchedDetail[], runId: number): Promise<WriteOutcome>;
  /** The same for details whose bodies may still be bytes; absent, they are decoded and given to write(). */
  writeWire?(details: readonly WireDetail[], runId: number): Promise<WriteOutcome>;
  /** True: takes a write before the previous one is answered (answers still come in order). */
  readonly concurrent?: boolean;
  /**
   * Told once every write of the run has been answered and no more will come, so a writer on threads of
   * its own can stop them while the run finishes its bookkeeping. Absent: nothing to do.
   */
  done?(): void;
}
