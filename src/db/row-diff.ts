/**
 * Writing a changed issue's field values and full-text row as differences against what is stored: most
 * edits touch one or two fields, and rewriting every field row and re-tokenising the whole text for them
 * costs more than reading the stored rows back once per batch and comparing them. The stored result is the
 * same as deleting and re-inserting everything (test/integration/db-row-diff.test.ts holds the two to it).
 */
import { and, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { FieldValueRecord, FtsText } from '../sync/ports.js';
import { issuesFts } from './fts.js';
import { nativeStatement, type ToSql } from './native.js';
import type { DatabaseHandle } from './open.js';
import { issueFieldValues } from './schema.js';

const P = sql.placeholder;
const ids = (col: SQL | typeof issueFieldValues.issueId): SQL =>
  sql`${col} IN (SELECT value FROM json_each(${P('ids')}))`;

// Every column but the key (issue_id, position), in the order the read below returns them.
const VALUE_KEYS = ['formId', 'formName', 'fieldId', 'label', 'type', 'valueText', 'valueNumber', 'valueJson'] as const;

/** What is stored for the changed issues of one batch, by issue id. */
export interface StoredRows {
  fields: Map<number, FieldValueRecord[]>;
  /** Absent: the issue has no full-text row (an erased issue). */
  fts: Map<number, FtsText>;
}

/** A statement that returns rows as arrays of column values, bound to one JSON list of ids. */
function rowsOf(sqlite: Database.Database, query: ToSql): (idsJson: string) => unknown[][] {
  const stmt = sqlite.prepare(query.toSQL().sql).raw(true);
  return (idsJson) => stmt.all(idsJson) as unknown[][];
}

/** Prepares the reads of stored rows and the statements that write one difference. */
export function prepareRowDiff({ db, sqlite }: DatabaseHandle) {
  const columns = getTableColumns(issueFieldValues);
  const readFields = rowsOf(
    sqlite,
    db
      .select({
        issueId: columns.issueId,
        position: columns.position,
        ...Object.fromEntries(VALUE_KEYS.map((k) => [k, columns[k]])),
      })
      .from(issueFieldValues)
      .where(ids(issueFieldValues.issueId)),
  );
  const readFts = rowsOf(
    sqlite,
    db
      .select({ rowid: issuesFts.rowid, s: issuesFts.summary, d: issuesFts.description, f: issuesFts.fieldText })
      .from(issuesFts)
      .where(ids(sql`${issuesFts.rowid}`)),
  );
  const at = and(eq(issueFieldValues.issueId, P('issueId')), eq(issueFieldValues.position, P('position')));
  const updateField = nativeStatement(
    sqlite,
    db
      .update(issueFieldValues)
      .set(Object.fromEntries(VALUE_KEYS.map((k) => [k, P(k)])))
      .where(at),
  );
  const deleteField = nativeStatement(sqlite, db.delete(issueFieldValues).where(at));
  return { readFields, readFts, updateField, deleteField };
}

export type RowDiff = ReturnType<typeof prepareRowDiff>;

/** Reads the stored field values and full-text rows of `idsJson` (a JSON array of issue ids). */
export function readStored(diff: RowDiff, idsJson: string, into: StoredRows): void {
  for (const row of diff.readFields(idsJson)) {
    const [issueId, position, ...values] = row as [number, number, ...unknown[]];
    const record = { issueId, position } as Record<string, unknown>;
    VALUE_KEYS.forEach((k, i) => (record[k] = values[i]));
    const list = into.fields.get(issueId);
    if (list) list.push(record as unknown as FieldValueRecord);
    else into.fields.set(issueId, [record as unknown as FieldValueRecord]);
  }
  for (const [rowid, summary, description, fieldText] of diff.readFts(idsJson)) {
    into.fts.set(rowid as number, { summary, description, fieldText } as FtsText);
  }
}

/** The statements that write a whole field row, used for positions not stored before. */
export interface FieldInsert {
  run(values: FieldValueRecord): unknown;
}

/**
 * Brings the stored field rows of one issue to `fields`: updates the rows whose values differ, inserts the
 * positions not stored, deletes the positions no longer sent; leaves equal rows untouched.
 */
export function writeFieldDiff(
  diff: RowDiff,
  insert: FieldInsert,
  stored: readonly FieldValueRecord[],
  fields: readonly FieldValueRecord[],
): void {
  const byPosition = new Map<number, FieldValueRecord>();
  for (const row of stored) byPosition.set(row.position, row);
  for (const field of fields) {
    const was = byPosition.get(field.position);
    if (was === undefined) insert.run(field);
    else if (!sameValues(was, field)) diff.updateField.run(field);
    byPosition.delete(field.position);
  }
  for (const gone of byPosition.values()) diff.deleteField.run(gone);
}

function sameValues(a: FieldValueRecord, b: FieldValueRecord): boolean {
  for (const k of VALUE_KEYS) if (a[k] !== b[k]) return false;
  return true;
}

/** True when the stored full-text row already holds `fts` (then it is not re-tokenised). */
export function sameText(stored: FtsText | undefined, fts: FtsText): boolean {
  return (
    stored !== undefined &&
    stored.summary === fts.summary &&
    stored.description === fts.description &&
    stored.fieldText === fts.fieldText
  );
}
