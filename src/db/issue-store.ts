/**
 * The SQLite mirror's operations over Drizzle, statements prepared once per store: the listing's
 * sightings and undeletes, the deletion queries, and (issue-writes.ts) the batch write path. Every
 * write is a BEGIN IMMEDIATE transaction: in WAL mode a deferred read-then-write transaction can fail
 * with SQLITE_BUSY_SNAPSHOT, which the busy handler does not retry.
 */
import { count, gte, isNull, sql } from 'drizzle-orm';
import { databaseFault } from './faults.js';
import type { FieldValueRecord, MappedIssue, MappedIssueRow, RecordSink, RunLock, SyncStore } from '../sync/ports.js';
import { processIdentity, type ProcessIdentity } from './identity.js';
import { chunks, createIssueWriter, idIn, sighted } from './issue-writes.js';
import { onFirstUse } from './prepared.js';
import { createLockOps, runLockPort, type SyncLockOps } from './lock.js';
import { createMappingOps, mappingPort, type MappingOps } from './mapping-store.js';
import type { DatabaseHandle } from './open.js';
import { createRunLog, runLogPort, type RunLogOps } from './run-log.js';
import { createPurge, type PurgeResult } from './purge.js';
import { settled } from './settled.js';
import { issues, issueSightings, type FieldValueRow, type IssueRow } from './schema.js';

export type { MappedIssue };

// The core's records and this schema's columns must agree both ways: a column added on one side only
// fails the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const issuesAgree: Same<MappedIssueRow, Omit<IssueRow, 'firstSeenAt' | 'deletedAt' | 'purgedAt' | 'erasedAt'>> = true;
const fieldsAgree: Same<FieldValueRecord, FieldValueRow> = true;
void issuesAgree;
void fieldsAgree;

// An issue whose content was purged, and is not marked erased, reads as never fetched: if the source
// lists it again, its content is fetched and stored again.
const storedVersion = sql<string | null>`CASE WHEN ${issues.purgedAt} IS NOT NULL AND ${issues.erasedAt} IS NULL
  THEN NULL ELSE ${issues.updatedAt} END`;

/** What the sync needs to know about a listed issue. */
export interface IssueState {
  updatedAt: string | null;
  deleted: boolean;
}

/**
 * The SQLite mirror's operations, synchronous: issues, run log, lease and the queries tests and tools
 * use. The sync core sees none of it directly: {@link sqlitePorts} hands it the narrow ports.
 */
export interface IssueStore extends RunLogOps, SyncLockOps, MappingOps, Required<RecordSink> {
  /** The process identity recorded in runs and the lease. */
  readonly identity: ProcessIdentity;
  /** Stored state of each id that exists (absent ids are new). */
  getStates(ids: readonly number[]): Map<number, IssueState>;
  /** Stored updatedAt of each id that exists (absent ids are new). */
  getVersions(ids: readonly number[]): Map<number, string | null>;
  /** Records that `runId`'s listing held these (stored) ids: last_listed_run, last_seen_at; clears deleted_at. */
  markListed(ids: readonly number[], runId: number, at: string): void;
  /** Upserts issues with their field values, FTS row and tracked-field changes, all in one transaction. */
  saveIssues(records: readonly MappedIssue[], runId: number): void;
  /** SQLite errors one record can cause (constraints, values it cannot bind), not a busy, full or broken database. */
  isRecordError(err: unknown): boolean;
  /** Issues not deleted and not held by `runId`'s listing. Only meaningful after a complete listing. */
  countMissing(runId: number): number;
  /** Ids of the issues {@link countMissing} counts. */
  missingIds(runId: number): number[];
  /** Soft-deletes the issues {@link countMissing} counts (only those of `ids`, when given); returns how many. */
  softDeleteMissing(runId: number, at: string, ids?: readonly number[]): number;
  countActive(): number;
  countDeleted(): number;
  /** Erases the content of issues deleted at or before `deletedUpTo` (purge.ts). */
  purgeDeleted(deletedUpTo: string, at: string): PurgeResult;
}

/** Builds the store over an open database; `identity` (default: this process) goes into runs and the lease. */
export function createIssueStore(handle: DatabaseHandle, identity: Partial<ProcessIdentity> = {}): IssueStore {
  const { db } = handle;
  const me = processIdentity(identity);
  const P = sql.placeholder;
  // Missing: not deleted, and no sighting by this run's listing (an issue without a sighting row counts too).
  const seenThisRun = db
    .select({ id: issueSightings.issueId })
    .from(issueSightings)
    .where(gte(issueSightings.lastListedRun, P('runId')));
  const missing = sql`${issues.deletedAt} IS NULL AND ${issues.id} NOT IN ${seenThisRun}`;

  const readStates = onFirstUse(() =>
    db
      .select({ id: issues.id, updatedAt: storedVersion, deletedAt: issues.deletedAt })
      .from(issues)
      .where(idIn(issues.id))
      .prepare(),
  );
  // Sightings only for ids already stored (new ones get theirs from saveIssues), one statement per page.
  const sightListed = onFirstUse(() =>
    db
      .insert(issueSightings)
      .select(sql`SELECT ${issues.id}, ${P('runId')}, ${P('at')} FROM ${issues} WHERE ${idIn(issues.id)}`)
      .onConflictDoUpdate(sighted)
      .prepare(),
  );
  // Touches only issues coming back from deletion, so an ordinary listing leaves `issues` unwritten.
  const undelete = onFirstUse(() =>
    db
      .update(issues)
      .set({ deletedAt: null })
      .where(sql`${issues.deletedAt} IS NOT NULL AND ${idIn(issues.id)}`)
      .prepare(),
  );
  const countMissingQ = onFirstUse(() => db.select({ n: count() }).from(issues).where(missing).prepare());
  const missingIdsQ = onFirstUse(() => db.select({ id: issues.id }).from(issues).where(missing).prepare());
  const softDeleteSome = onFirstUse(() =>
    db
      .update(issues)
      .set({ deletedAt: sql`${P('at')}` })
      .where(sql`${missing} AND ${idIn(issues.id)}`)
      .prepare(),
  );
  const softDelete = onFirstUse(() =>
    db
      .update(issues)
      .set({ deletedAt: sql`${P('at')}` })
      .where(missing)
      .prepare(),
  );
  const countActiveQ = onFirstUse(() =>
    db.select({ n: count() }).from(issues).where(isNull(issues.deletedAt)).prepare(),
  );
  const countDeletedQ = onFirstUse(() =>
    db
      .select({ n: count() })
      .from(issues)
      .where(sql`${issues.deletedAt} IS NOT NULL`)
      .prepare(),
  );

  return {
    ...createRunLog(db, me),
    ...createLockOps(db, me),
    ...createMappingOps(handle),
    identity: me,
    isRecordError,
    getStates(ids) {
      const out = new Map<number, IssueState>();
      for (const chunk of chunks(ids)) {
        for (const row of readStates.all({ ids: JSON.stringify(chunk) })) {
          out.set(row.id, { updatedAt: row.updatedAt, deleted: row.deletedAt !== null });
        }
      }
      return out;
    },
    getVersions(ids) {
      const out = new Map<number, string | null>();
      for (const chunk of chunks(ids)) {
        for (const row of readStates.all({ ids: JSON.stringify(chunk) })) out.set(row.id, row.updatedAt);
      }
      return out;
    },
    markListed(ids, runId, at) {
      if (ids.length === 0) return;
      db.transaction(
        () => {
          for (const chunk of chunks(ids)) {
            const list = JSON.stringify(chunk);
            sightListed.run({ ids: list, runId, at });
            undelete.run({ ids: list });
          }
        },
        { behavior: 'immediate' },
      );
    },
    saveIssues: preparedOnFirstWrite(() => createIssueWriter(handle)),
    countMissing: (runId) => countMissingQ.get({ runId })?.n ?? 0,
    missingIds: (runId) => missingIdsQ.all({ runId }).map((r) => r.id),
    softDeleteMissing(runId, at, ids) {
      if (ids === undefined) return softDelete.run({ runId, at }).changes;
      let n = 0;
      db.transaction(
        () => {
          for (const chunk of chunks(ids)) n += softDeleteSome.run({ runId, at, ids: JSON.stringify(chunk) }).changes;
        },
        { behavior: 'immediate' },
      );
      return n;
    },
    countActive: () => countActiveQ.get()?.n ?? 0,
    countDeleted: () => countDeletedQ.get()?.n ?? 0,
    purgeDeleted: createPurge(handle),
  };
}

/** The core's ports over a store: what a run reads and writes, and the run lock. */
export function sqlitePorts(store: IssueStore, lockStaleAfterMs?: number): { store: SyncStore; lock: RunLock } {
  return {
    store: {
      ...runLogPort(store),
      ...mappingPort(store),
      recordListing: (ids, runId, at) =>
        settled(() => {
          const versions = store.getVersions(ids);
          store.markListed(ids, runId, at);
          return versions;
        }),
      deletionCandidates: (runId) =>
        settled(() => ({ missing: store.countMissing(runId), active: store.countActive() })),
      missingIds: (runId) => settled(() => store.missingIds(runId)),
      softDeleteMissing: (runId, at, ids) => settled(() => store.softDeleteMissing(runId, at, ids)),
      purgeDeleted: (deletedUpTo, at) => settled(() => store.purgeDeleted(deletedUpTo, at).purged),
    },
    lock: runLockPort(store, store.identity, lockStaleAfterMs),
  };
}

function isRecordError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
  return err instanceof TypeError || err instanceof RangeError;
}

/**
 * The batch writer, its statements prepared on the first write (a sync writes on its writer thread, which
 * prepares its own), with database faults (full or failing disk) surfacing as one-line errors naming the fix.
 */
function preparedOnFirstWrite(make: () => IssueStore['saveIssues']): IssueStore['saveIssues'] {
  let write: IssueStore['saveIssues'] | undefined;
  return (records, runId) => {
    try {
      (write ??= make())(records, runId);
    } catch (err) {
      throw databaseFault(err) ?? err;
    }
  };
}
