/**
 * The write path of the SQLite mirror: one batch of mapped issues with their field values, FTS rows,
 * tracked-field changes and sightings, in one BEGIN IMMEDIATE transaction (WAL plus a deferred
 * read-then-write can fail with SQLITE_BUSY_SNAPSHOT, which the busy handler does not retry).
 */
import { eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { SQLiteInsertValue } from 'drizzle-orm/sqlite-core';
import { withoutContent } from '../privacy/content.js';
import type { MappedIssue } from '../sync/ports.js';
import { issuesFts } from './fts.js';
import { diffTracked, TRACKED_FIELDS, trackedValues, type TrackedValues } from './history.js';
import { prepareIssueUpdate, storedIssueColumns, type StoredIssue } from './issue-update.js';
import { nativeStatement } from './native.js';
import type { DatabaseHandle } from './open.js';
import { prepareRowDiff, readStored, sameText, writeFieldDiff, type StoredRows } from './row-diff.js';
import { issueChanges, issueFieldValues, issues, issueSightings, type TrackedField } from './schema.js';

// Keeps IN lists and their JSON parameter small; a listing page is normally below this anyway.
const ID_CHUNK = 500;
// Columns the store owns; every other issues column comes from the mapper (MappedIssueRow).
const STORE_OWNED = new Set(['firstSeenAt', 'deletedAt', 'purgedAt', 'erasedAt']);
const P = sql.placeholder;

/** `IN (SELECT value FROM json_each(?))`: one prepared statement for any list length. */
export const idIn = (col: typeof issues.id): SQL => sql`${col} IN (SELECT value FROM json_each(${P('ids')}))`;

/** The sightings upsert's conflict rule, shared by the write and the listing paths. */
export const sighted = {
  target: issueSightings.issueId,
  // Never backwards: a run that started earlier and writes later must not lower it below a newer run's
  // listing, or that newer run would see live issues as missing.
  set: {
    lastListedRun: sql`max(${sql.identifier('last_listed_run')}, excluded.last_listed_run)`,
    lastSeenAt: sql`excluded.last_seen_at`,
  },
};

/** Saves one batch of mapped issues in one transaction. */
export type SaveIssues = (records: readonly MappedIssue[], runId: number) => void;

/** Prepares the write path's statements once and returns the batch writer. */
export function createIssueWriter(handle: DatabaseHandle): SaveIssues {
  const st = prepareWrites(handle);
  const { db } = handle;
  return (records, runId) => {
    if (records.length === 0) return;
    db.transaction(() => saveBatch(st, records, runId), { behavior: 'immediate' });
  };
}

type WriteStatements = ReturnType<typeof prepareWrites>;

function prepareWrites(handle: DatabaseHandle) {
  return { ...prepareIssueWrites(handle), ...prepareRowWrites(handle), diff: prepareRowDiff(handle) };
}

/** The issue row itself (natively run, per issue), its previous tracked values and its sighting (per batch). */
function prepareIssueWrites(handle: DatabaseHandle) {
  const { db, sqlite } = handle;
  const columns = getTableColumns(issues);
  const mappedKeys = Object.keys(columns).filter((k) => !STORE_OWNED.has(k)) as (keyof typeof columns)[];
  // The per-issue statements run natively (native.ts); batch-level ones stay Drizzle prepared queries.
  const upsert = nativeStatement(
    sqlite,
    db
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
          ...Object.fromEntries(
            mappedKeys.filter((k) => k !== 'id').map((k) => [k, sql.raw(`excluded.${columns[k].name}`)]),
          ),
          deletedAt: sql`NULL`,
          // Fetched content clears a purge; an issue marked erased keeps its purge date.
          purgedAt: sql`CASE WHEN ${issues.erasedAt} IS NULL THEN NULL ELSE ${issues.purgedAt} END`,
        },
      }),
  );
  const readTracked = db
    .select({
      id: issues.id,
      status: issues.status,
      assigneeId: issues.assigneeId,
      labels: issues.labels,
      erasedAt: issues.erasedAt,
      // domainId and dueAt among them.
      ...storedIssueColumns,
    })
    .from(issues)
    .where(idIn(issues.id))
    .prepare();
  // Per batch, from the rows just written: one statement instead of one per issue.
  const sightSaved = db
    .insert(issueSightings)
    .select(sql`SELECT ${issues.id}, ${P('runId')}, ${issues.syncedAt} FROM ${issues} WHERE ${idIn(issues.id)}`)
    .onConflictDoUpdate(sighted)
    .prepare();
  return { upsert, update: prepareIssueUpdate(handle, mappedKeys), readTracked, sightSaved };
}

/** The rows that hang off an issue: field values, FTS text, tracked-field changes and first sightings. */
function prepareRowWrites({ db, sqlite }: DatabaseHandle) {
  const insertField = nativeStatement(
    sqlite,
    db.insert(issueFieldValues).values({
      issueId: P('issueId'),
      position: P('position'),
      formId: P('formId'),
      formName: P('formName'),
      fieldId: P('fieldId'),
      label: P('label'),
      type: P('type'),
      valueText: P('valueText'),
      valueNumber: P('valueNumber'),
      valueJson: P('valueJson'),
    }),
  );
  const deleteFts = nativeStatement(sqlite, db.delete(issuesFts).where(eq(issuesFts.rowid, P('id'))));
  const insertFts = nativeStatement(
    sqlite,
    db.insert(issuesFts).values({
      rowid: P('id'),
      summary: P('summary'),
      description: P('description'),
      fieldText: P('fieldText'),
    }),
  );
  const insertChange = nativeStatement(
    sqlite,
    db.insert(issueChanges).values({
      issueId: P('issueId'),
      runId: P('runId'),
      field: P('field'),
      oldValue: P('oldValue'),
      newValue: P('newValue'),
      observedAt: P('observedAt'),
    }),
  );
  // First sight of new issues, per batch and from the rows just written: the rows diffTracked(undefined, …)
  // gives (one per non-NULL tracked field), with one statement per batch instead of one INSERT per row.
  // CROSS JOIN fixes the loop order (SQLite does not reorder it): the ids as listed, each issue's row,
  // then the tracked fields in TRACKED_FIELDS order; so the rows come out in the order the per-row
  // INSERTs would write them, with no sort. test/integration/db-store.test.ts holds the two to the same result.
  const firstSight = db
    .insert(issueChanges)
    .select(
      sql`SELECT NULL, ${issues.id}, ${P('runId')}, f.column2, NULL, ${trackedCase()}, ${issues.syncedAt}
      FROM json_each(${P('ids')}) AS j CROSS JOIN ${issues}
        CROSS JOIN (VALUES ${sql.raw(TRACKED_FIELDS.map((f, i) => `(${i}, '${f}')`).join(', '))}) AS f
      WHERE ${issues.id} = j.value AND ${trackedCase()} IS NOT NULL`,
    )
    .prepare();
  return { insertField, deleteFts, insertFts, insertChange, firstSight };
}

/** The batch's statements, inside the caller's transaction. */
function saveBatch(st: WriteStatements, records: readonly MappedIssue[], runId: number): void {
  // One read of the previous tracked values per batch, not one SELECT per issue.
  const before = new Map<number, TrackedValues>();
  // Issues marked erased (`speakup-sync erase`) are stored without content, whatever the source sends.
  const erased = new Set<number>();
  // The stored rows as read, while no record of this batch has written over them.
  const current = new Map<number, StoredIssue>();
  const ids = records.map((r) => r.issue.id);
  for (const chunk of chunks(ids)) {
    for (const row of st.readTracked.all({ ids: JSON.stringify(chunk) })) {
      before.set(row.id, trackedValues(row));
      current.set(row.id, row);
      if (row.erasedAt !== null) erased.add(row.id);
    }
  }
  // The stored rows of the issues being changed, to write only their differences.
  const stored: StoredRows = { fields: new Map(), fts: new Map() };
  for (const chunk of chunks([...before.keys()])) readStored(st.diff, JSON.stringify(chunk), chunk, stored);
  // New issues whose first-sight rows are not written yet.
  const fresh = new Set<number>();
  const writeFirstSight = (): void => {
    for (const chunk of chunks([...fresh])) st.firstSight.run({ ids: JSON.stringify(chunk), runId });
    fresh.clear();
  };
  for (const record of records) {
    const isErased = erased.has(record.issue.id);
    const { issue, fields, fts } = isErased ? withoutContent(record) : record;
    const id = issue.id;
    const old = before.get(id);
    const now = trackedValues(issue);
    if (old === undefined) {
      // New: nothing to compare with or replace; the issue row supplies the FTS row's id.
      st.upsert.run(issue);
      for (const field of fields) st.insertField.run(field);
      if (!isErased) st.insertFts.run(fts, issue);
      fresh.add(id);
    } else {
      // A duplicate of a new issue in the same batch: its first sight must be read before it is overwritten.
      if (fresh.has(id)) writeFirstSight();
      // An issue already stored (or written earlier in this batch) is updated in place.
      st.update(issue, current.get(id));
      current.delete(id);
      const ctx = { id, issueId: id, runId, observedAt: issue.syncedAt };
      writeRows(st, stored, id, { fields, fts, erased: isErased }, ctx);
      for (const change of diffTracked(old, now)) st.insertChange.run(change, ctx);
      stored.fields.delete(id);
    }
    // A duplicate id later in the same batch compares against this version.
    before.set(id, now);
    if (isErased) stored.fts.delete(id);
    else stored.fts.set(id, fts);
  }
  writeFirstSight();
  for (const chunk of chunks(ids)) st.sightSaved.run({ ids: JSON.stringify(chunk), runId });
}

/** A stored issue's field values and full-text row, brought to `next` by writing only what differs. */
function writeRows(
  st: WriteStatements,
  stored: StoredRows,
  id: number,
  next: Pick<MappedIssue, 'fields' | 'fts'> & { erased: boolean },
  ctx: { id: number },
): void {
  writeFieldDiff(st.diff, st.insertField, id, stored.fields.get(id), next.fields);
  const text = stored.fts.get(id);
  // An erased issue has no full-text entry at all (not an empty one).
  if (next.erased) {
    if (text !== undefined) st.deleteFts.run(ctx);
    return;
  }
  if (sameText(text, next.fts)) return;
  if (text !== undefined) st.deleteFts.run(ctx);
  st.insertFts.run(next.fts, ctx);
}

/** The SQL twin of trackedValues(): the text of tracked field number `f.column1` (TRACKED_FIELDS order). */
function trackedCase(): SQL {
  const expr: Record<TrackedField, SQL> = {
    status: sql`${issues.status}`,
    assignee: sql`${issues.assigneeId}`,
    domain: sql`CAST(${issues.domainId} AS TEXT)`,
    due_at: sql`${issues.dueAt}`,
    labels: sql`${issues.labels}`,
  };
  return sql`CASE f.column1 ${sql.join(
    TRACKED_FIELDS.map((f, i) => sql`WHEN ${sql.raw(String(i))} THEN ${expr[f]}`),
    sql` `,
  )} END`;
}

/** The list in slices of at most ID_CHUNK ids. */
export function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += ID_CHUNK) yield items.slice(i, i + ID_CHUNK);
}
