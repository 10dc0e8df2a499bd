/**
 * Everything the sync core needs from outside, in one place. src/api implements the issues source; each
 * database implements the store, the run log, the run lock and a record sink; src/cli builds them and
 * passes them in. Nothing outside the core imports from src/sync except this file.
 *
 * The store, run log and lock answer with promises so a networked database (PostgreSQL) implements the
 * same ports as SQLite, which does its work synchronously and returns settled promises. Every method is
 * called once per page, batch or run, never once per issue.
 */
import type { MappedIssue } from './records.js';
import type { FinalStatus, RunCounts, RunTrigger } from './types.js';

export type {
  DetailWriter,
  FetchedDetail,
  FinalStatus,
  ItemFailure,
  RunCounts,
  RunStatus,
  RunTrigger,
  SyncProgress,
  SyncResult,
  WireDetail,
  WriteOutcome,
} from './types.js';
export type { FieldValueRecord, FtsText, MappedIssue, MappedIssueRow } from './records.js';
// ---------------------------------------------------------------------------------------------------
// The issues source

/** One entry of the issue list: enough to tell whether the stored copy is current. */
export interface ListedIssue {
  id: number;
  updatedAt: string;
}

/** A list entry that cannot be used, with the reason (reported per item, never a crash). */
export interface InvalidItem {
  page: number;
  index: number;
  /** The id when it is usable, so the issue is not mistaken for deleted. */
  id: number | undefined;
  reason: string;
}

/** One page of the listing: its usable entries and its problems. */
export interface ListPage {
  page: number;
  items: ListedIssue[];
  invalid: InvalidItem[];
  /**
   * Set on a page read a second time because it held fewer items than a later page, when the second
   * answer was still short: the listing has a hole, so it cannot justify soft-deletions.
   */
  hole?: string;
}

/**
 * Why the listing stopped. `repeated-page`: a page came back identical to the previous one (a server
 * that ignores the page parameter), which cannot prove the listing complete; `unpaged`: the server sent
 * the whole list, more than a page, every time.
 */
export type ListEnd = 'empty-page' | 'envelope-end' | 'repeated-page' | 'total-reached' | 'unpaged';

/**
 * A detail as the source answered it: JSON text, or for a large body its UTF-8 bytes (decoded and
 * parsed by the writer), and the request path.
 */
export interface FetchedBody {
  raw: string | Uint8Array;
  path: string;
}

/** Request counters of the source, copied into the run's counts. */
export interface SourceStats {
  requests: number;
  retries: number;
  throttled: number;
}

/** Where issues come from (the SpeakUp API, or a fake in a test). */
export interface IssuesSource {
  /** Pages of the issue list, in order; the generator's return value says how the list ended. */
  listPages(signal?: AbortSignal): AsyncGenerator<ListPage, ListEnd>;
  /**
   * One detail. `admit`, when given, is asked once the answer's headers are in and before its body is
   * read, with the body's announced size in bytes (0 when not announced); a promise it returns is
   * awaited first.
   */
  getIssue(
    id: number,
    signal?: AbortSignal,
    admit?: (bytes: number) => Promise<void> | undefined,
  ): Promise<FetchedBody>;
  /**
   * Whether an issue is gone at the source: true when its detail answers 404, false when it answers;
   * throws for any other failure (which confirms nothing).
   */
  isGone(id: number, signal?: AbortSignal): Promise<boolean>;
  stats(): SourceStats;
}

// ---------------------------------------------------------------------------------------------------
// The store: what a run reads and writes about issues

/** Issues still present and issues the current listing did not hold, for the mass-delete guard. */
export interface DeletionCandidates {
  missing: number;
  active: number;
}

/** The mirror's issue table as a run uses it. */
export interface MirrorStore {
  /**
   * Records that `runId`'s listing held `ids` (stored ones are sighted, and undeleted if they were
   * deleted) and returns the stored `updatedAt` of every id already stored; absent ids are new.
   */
  recordListing(ids: readonly number[], runId: number, at: string): Promise<ReadonlyMap<number, string | null>>;
  /** Only meaningful after a complete listing by `runId`. */
  deletionCandidates(runId: number): Promise<DeletionCandidates>;
  /** Ids of the issues `runId`'s listing did not hold (the ones {@link deletionCandidates} counts). */
  missingIds(runId: number): Promise<number[]>;
  /**
   * Soft-deletes those of `ids` that `runId`'s listing did not hold and that are not deleted yet (the
   * ones whose deletion the source confirmed); returns how many. Without `ids`: every one of them.
   */
  softDeleteMissing(runId: number, at: string, ids?: readonly number[]): Promise<number>;
  /**
   * Erases the content of issues deleted at or before `deletedUpTo` and not purged yet (purged_at = `at`);
   * returns how many. Absent: the store keeps deleted issues' content.
   */
  purgeDeleted?(deletedUpTo: string, at: string): Promise<number>;
}

/**
 * Where the core's detail writer puts mapped issues: one transaction per call, synchronous because it
 * runs on the writer's own thread. A destination with an asynchronous driver implements DetailWriter.
 */
export interface RecordSink {
  saveIssues(records: readonly MappedIssue[], runId: number): void;
  /**
   * Whether a failed save was caused by one of its records (a constraint, a value the database cannot
   * take) rather than by the database; such a batch is written again record by record. Absent: never.
   */
  isRecordError?(err: unknown): boolean;
}

// ---------------------------------------------------------------------------------------------------
// The run log

/** What is known when a run starts. */
export interface RunStart {
  trigger: RunTrigger;
  full: boolean;
  startedAt: string;
}

/** The end of a run: final status, counts (absolute values), one-line error. */
export interface RunEnd {
  status: FinalStatus;
  finishedAt: string;
  counts?: Partial<RunCounts>;
  error?: string | null;
}

/** One record per run, kept current while it runs, so a crash leaves an honest trace. */
export interface RunLog {
  /**
   * Marks runs left `running` by vanished processes as interrupted; returns how many. Called holding
   * the run lock and before startRun.
   */
  interruptStaleRuns(at: string): Promise<number>;
  startRun(start: RunStart): Promise<number>;
  /** Stores the counts (absolute values) and refreshes the run's heartbeat. */
  updateRunProgress(runId: number, counts: Partial<RunCounts>, at: string): Promise<void>;
  finishRun(runId: number, end: RunEnd): Promise<void>;
}

/** The store a run is handed: issues and run log, usually one database object. */
export type SyncStore = MirrorStore & RunLog & Partial<MappingStore>;

// ---------------------------------------------------------------------------------------------------
// The run lock: one writer per database, across processes

/** Who holds the lock. */
export interface LockHolder {
  pid: number;
  host: string;
  runId: number | null;
  acquiredAt: string;
  heartbeatAt: string;
}

/** A held lock, valid while heartbeats find it still ours. */
export interface Lease {
  /** Identifies this holding; a heartbeat succeeds only while the stored lease carries it. */
  readonly token: string;
  /** Aborts once a heartbeat finds the lease taken by another process. */
  readonly lost: AbortSignal;
  /** Refreshes the lease; false (and `lost` aborted) when another process holds it now. */
  heartbeat(): Promise<boolean>;
  /** Gives the lease up if it is still ours. */
  release(): Promise<void>;
}

/** An attempt to take the lock; `takenOver` names a dead or silent holder that was replaced. */
export type LockAttempt = { ok: true; lease: Lease; takenOver?: LockHolder } | { ok: false; holder: LockHolder };

export interface RunLock {
  tryAcquire(): Promise<LockAttempt>;
  /** How often a holder refreshes its lease (well inside the lock's stale limit); absent: every 10 s. */
  readonly heartbeatMs?: number;
}

// ---------------------------------------------------------------------------------------------------
// The clock

/** Wall-clock time for the timestamps a run records. */
export type Clock = () => Date;

// ---------------------------------------------------------------------------------------------------
// The field map: which detail path each typed column is read from (configuration reads and checks it)

export { readFieldMapFile } from './field-map.js';
export type { FieldMap, FieldMapOverrides } from './field-map.js';

// ---------------------------------------------------------------------------------------------------
// Remap and schema drift (optional: a store without them skips both)

/** A stored detail, as the remap reads it back. */
export interface StoredDetail {
  id: number;
  /** The detail JSON as stored. */
  data: string;
  syncedAt: string;
}

/** A detail path the runs have seen, and how common it was. */
export interface KnownPath {
  path: string;
  detailsSeen: number;
  detailsTotal: number;
  /** Set once the path was reported missing; cleared when it appears again. */
  missingSinceRun: number | null;
}

/** One run's detail paths, for the store to record. */
export interface PathRecord {
  runId: number;
  at: string;
  /** Details the run looked at. */
  details: number;
  /** [path, details holding it]. */
  seen: [string, number][];
  /** Paths to mark missing since this run. */
  lost: readonly string[];
}

/** What the remap step and drift reporting need from the store. */
export interface MappingStore {
  /**
   * Up to `limit` stored details with ids above `afterId`, by id; deleted issues included, erased ones not;
   * with `before` (ISO time), only those stored before it.
   */
  storedDetails(afterId: number, limit: number, before?: string): Promise<StoredDetail[]>;
  /**
   * Rewrites the mapped columns, field values and search text of stored issues and records tracked-field
   * changes (observed at `at`), in one transaction; deletion marks, sightings and first-seen times stay.
   */
  remapIssues(records: readonly MappedIssue[], runId: number, at: string): Promise<void>;
  knownPaths(): Promise<KnownPath[]>;
  recordPaths(record: PathRecord): Promise<void>;
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string, at: string): Promise<void>;
}
