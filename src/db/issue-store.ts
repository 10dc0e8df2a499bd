/**
 * The mirror's write and read operations over Drizzle. Every statement is prepared once per store;
 * batches are single BEGIN IMMEDIATE transactions (WAL + deferred read-then-write can fail with
 * SQLITE_BUSY_SNAPSHOT, which the busy handler does not retry: anchors §3).
 */
import { count, eq, getTableColumns, gte, isNull, sql, type SQL } from 'drizzle-orm';
import type { SQLiteInsertValue } from 'drizzle-orm/sqlite-core';
import type { FieldValueRecord, MappedIssue, MappedIssueRow, RecordSink, RunLock, SyncStore } from '../sync/ports.js';
import { issuesFts } from './fts.js';
import { diffTracked, TRACKED_FIELDS, trackedValues, type TrackedValues } from './history.js';
import { processIdentity, type ProcessIdentity } from './identity.js';
import { createLockOps, runLockPort, type SyncLockOps } from './lock.js';
import { nativeStatement } from './native.js';
import type { DatabaseHandle } from './open.js';
import { createRunLog, runLogPort, type RunLogOps } from './run-log.js';
import { issueChanges, issueFieldValues, issues, issueSightings, type FieldValueRow, type IssueRow, type TrackedField } from './schema.js';

export type { MappedIssue };

// The core's records and this schema's columns must agree both ways: a column added on one side only
// fails the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const recordsAgree: Same<MappedIssueRow, Omit<IssueRow, 'firstSeenAt' | 'deletedAt'>> & Same<FieldValueRecord, FieldValueRow> = true;
void recordsAgree;

/** What the sync needs to know about a listed issue. */
export interface IssueState {
  updatedAt: string | null;
  deleted: boolean;
}

/**
 * The SQLite mirror's operations, synchronous: issues, run log, lease and the queries tests and tools
 * use. The sync core sees none of it directly: {@link sqlitePorts} hands it the narrow ports.
 */
export interface IssueStore extends RunLogOps, SyncLockOps, Required<RecordSink> {
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
  /** Soft-deletes the issues {@link countMissing} counts; returns how many. */
  softDeleteMissing(runId: number, at: string): number;
  countActive(): number;
  countDeleted(): number;
}

// Keeps IN lists and their JSON parameter small; a listing page is normally below this anyway.
const ID_CHUNK = 500;
// Columns the store owns; every other issues column comes from the mapper (MappedIssueRow).
const STORE_OWNED = new Set(['firstSeenAt', 'deletedAt']);

/** Builds the store over an open database; `identity` (default: this process) goes into runs and the lease. */
export function createIssueStore(handle: DatabaseHandle, identity: Partial<ProcessIdentity> = {}): IssueStore {
  const { db, sqlite } = handle;
  const me = processIdentity(identity);
  const P = sql.placeholder;
  // `IN (SELECT value FROM json_each(?))`: one prepared statement for any list length.
  const idIn = (col: typeof issues.id): SQL => sql`${col} IN (SELECT value FROM json_each(${P('ids')}))`;
  // Missing: not deleted, and no sighting by this run's listing (an issue without a sighting row counts too).
  const seenThisRun = db.select({ id: issueSightings.issueId }).from(issueSightings).where(gte(issueSightings.lastListedRun, P('runId')));
  const missing = sql`${issues.deletedAt} IS NULL AND ${issues.id} NOT IN ${seenThisRun}`;

  const columns = getTableColumns(issues);
  const mappedKeys = Object.keys(columns).filter((k) => !STORE_OWNED.has(k)) as (keyof typeof columns)[];
  // The per-issue statements run natively (native.ts); batch-level ones stay Drizzle prepared queries.
  const upsert = nativeStatement(sqlite, db
    .insert(issues)
    .values({
      ...Object.fromEntries(mappedKeys.map((k) => [k, P(k)])),
      firstSeenAt: P('syncedAt'),
      deletedAt: null,
    } as SQLiteInsertValue<typeof issues>)
    .onConflictDoUpdate({
      target: issues.id,
      // first_seen_at is deliberately not in the list: it keeps the first sighting.
      set: {
        // Never `id`: assigning the primary key, even unchanged, makes SQLite check every child row's FK.
        ...Object.fromEntries(mappedKeys.filter((k) => k !== 'id').map((k) => [k, sql.raw(`excluded.${columns[k].name}`)])),
        deletedAt: sql`NULL`,
      },
    }));
  const readTracked = db
    .select({ id: issues.id, status: issues.status, assigneeId: issues.assigneeId, domainId: issues.domainId, dueAt: issues.dueAt, labels: issues.labels })
    .from(issues)
    .where(idIn(issues.id))
    .prepare();
  const readStates = db.select({ id: issues.id, updatedAt: issues.updatedAt, deletedAt: issues.deletedAt }).from(issues).where(idIn(issues.id)).prepare();
  const sighted = { target: issueSightings.issueId, set: { lastListedRun: sql`excluded.last_listed_run`, lastSeenAt: sql`excluded.last_seen_at` } };
  // Per batch, from the rows just written: one statement instead of one per issue.
  const sightSaved = db
    .insert(issueSightings)
    .select(sql`SELECT ${issues.id}, ${P('runId')}, ${issues.syncedAt} FROM ${issues} WHERE ${idIn(issues.id)}`)
    .onConflictDoUpdate(sighted)
    .prepare();
  // Sightings only for ids already stored (new ones get theirs from saveIssues), one statement per page.
  const sightListed = db
    .insert(issueSightings)
    .select(sql`SELECT ${issues.id}, ${P('runId')}, ${P('at')} FROM ${issues} WHERE ${idIn(issues.id)}`)
    .onConflictDoUpdate(sighted)
    .prepare();
  // Touches only issues coming back from deletion, so an ordinary listing leaves `issues` unwritten.
  const undelete = db
    .update(issues)
    .set({ deletedAt: null })
    .where(sql`${issues.deletedAt} IS NOT NULL AND ${idIn(issues.id)}`)
    .prepare();
  const deleteFields = nativeStatement(sqlite, db.delete(issueFieldValues).where(eq(issueFieldValues.issueId, P('id'))));
  const insertField = nativeStatement(sqlite, db.insert(issueFieldValues).values({
    issueId: P('issueId'), position: P('position'), formId: P('formId'), formName: P('formName'), fieldId: P('fieldId'),
    label: P('label'), type: P('type'), valueText: P('valueText'), valueNumber: P('valueNumber'), valueJson: P('valueJson'),
  }));
  const deleteFts = nativeStatement(sqlite, db.delete(issuesFts).where(eq(issuesFts.rowid, P('id'))));
  const insertFts = nativeStatement(sqlite, db.insert(issuesFts).values({
    rowid: P('id'), summary: P('summary'), description: P('description'), fieldText: P('fieldText'),
  }));
  const insertChange = nativeStatement(sqlite, db.insert(issueChanges).values({
    issueId: P('issueId'), runId: P('runId'), field: P('field'), oldValue: P('oldValue'), newValue: P('newValue'), observedAt: P('observedAt'),
  }));
  // First sight of new issues, per batch and from the rows just written: the rows diffTracked(undefined, …)
  // gives (one per non-NULL tracked field, in TRACKED_FIELDS order), at about half the cost of one INSERT
  // each. test/integration/db-store.test.ts holds the two to the same result.
  const firstSight = db
    .insert(issueChanges)
    .select(sql`SELECT NULL, id, ${P('runId')}, field, NULL, value, synced_at FROM (
      SELECT ${issues.id} AS id, f.column1 AS n, f.column2 AS field, ${trackedCase()} AS value, ${issues.syncedAt} AS synced_at
      FROM ${issues}, (VALUES ${sql.raw(TRACKED_FIELDS.map((f, i) => `(${i}, '${f}')`).join(', '))}) AS f
      WHERE ${idIn(issues.id)}
    ) WHERE value IS NOT NULL ORDER BY id, n`)
    .prepare();
  const countMissingQ = db.select({ n: count() }).from(issues).where(missing).prepare();
  const softDelete = db.update(issues).set({ deletedAt: sql`${P('at')}` }).where(missing).prepare();
  const countActiveQ = db.select({ n: count() }).from(issues).where(isNull(issues.deletedAt)).prepare();
  const countDeletedQ = db.select({ n: count() }).from(issues).where(sql`${issues.deletedAt} IS NOT NULL`).prepare();

  return {
    ...createRunLog(db, me),
    ...createLockOps(db, me),
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
      db.transaction(() => {
        for (const chunk of chunks(ids)) {
          const list = JSON.stringify(chunk);
          sightListed.run({ ids: list, runId, at });
          undelete.run({ ids: list });
        }
      }, { behavior: 'immediate' });
    },
    saveIssues(records, runId) {
      if (records.length === 0) return;
      db.transaction(() => {
        // One read of the previous tracked values per batch, not one SELECT per issue.
        const before = new Map<number, TrackedValues>();
        const ids = records.map((r) => r.issue.id);
        for (const chunk of chunks(ids)) {
          for (const row of readTracked.all({ ids: JSON.stringify(chunk) })) before.set(row.id, trackedValues(row));
        }
        // New issues whose first-sight rows are not written yet.
        const fresh = new Set<number>();
        const writeFirstSight = (): void => {
          for (const chunk of chunks([...fresh])) firstSight.run({ ids: JSON.stringify(chunk), runId });
          fresh.clear();
        };
        for (const { issue, fields, fts } of records) {
          const id = issue.id;
          const old = before.get(id);
          // A duplicate of a new issue in the same batch: its first sight must be read before it is overwritten.
          if (old && fresh.has(id)) writeFirstSight();
          upsert.run(issue);
          const ctx = { id, issueId: id, runId, observedAt: issue.syncedAt };
          if (old) {
            // New issues have nothing to replace: skip two index probes each.
            deleteFields.run(ctx);
            deleteFts.run(ctx);
          }
          for (const field of fields) insertField.run(field);
          insertFts.run(fts, ctx);
          const now = trackedValues(issue);
          if (old) for (const change of diffTracked(old, now)) insertChange.run(change, ctx);
          else fresh.add(id);
          // A duplicate id later in the same batch compares against this version.
          before.set(id, now);
        }
        writeFirstSight();
        for (const chunk of chunks(ids)) sightSaved.run({ ids: JSON.stringify(chunk), runId });
      }, { behavior: 'immediate' });
    },
    countMissing: (runId) => countMissingQ.get({ runId })?.n ?? 0,
    softDeleteMissing: (runId, at) => softDelete.run({ runId, at }).changes,
    countActive: () => countActiveQ.get()?.n ?? 0,
    countDeleted: () => countDeletedQ.get()?.n ?? 0,
  };
}

/** The core's ports over a store: what a run reads and writes, and the run lock. */
export function sqlitePorts(store: IssueStore): { store: SyncStore; lock: RunLock } {
  return {
    store: {
      ...runLogPort(store),
      async recordListing(ids, runId, at) {
        const versions = store.getVersions(ids);
        store.markListed(ids, runId, at);
        return versions;
      },
      deletionCandidates: async (runId) => ({ missing: store.countMissing(runId), active: store.countActive() }),
      softDeleteMissing: async (runId, at) => store.softDeleteMissing(runId, at),
    },
    lock: runLockPort(store, store.identity),
  };
}

function isRecordError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
  return err instanceof TypeError || err instanceof RangeError;
}

/** The SQL twin of trackedValues(): each tracked field's text from an `issues` row. */
function trackedCase(): SQL {
  const expr: Record<TrackedField, SQL> = {
    status: sql`${issues.status}`,
    assignee: sql`${issues.assigneeId}`,
    domain: sql`CAST(${issues.domainId} AS TEXT)`,
    due_at: sql`${issues.dueAt}`,
    labels: sql`${issues.labels}`,
  };
  return sql`CASE f.column2 ${sql.join(TRACKED_FIELDS.map((f) => sql`WHEN ${sql.raw(`'${f}'`)} THEN ${expr[f]}`), sql` `)} END`;
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += ID_CHUNK) yield items.slice(i, i + ID_CHUNK);
}
