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

/**
 * A stored field row as read: [issueId, position, ...values in VALUE_KEYS order]. Kept as the array the
 * driver returns, not turned into an object per row: a changed issue has ten of them and most are equal.
 */
export type StoredField = readonly unknown[];

/** What is stored for the changed issues of one batch, by issue id. */
export interface StoredRows {
  /** Absent: the issue was written earlier in this batch (its rows are then replaced whole). */
  fields: Map<number, StoredField[]>;
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
  const deleteFields = nativeStatement(
    sqlite,
    db.delete(issueFieldValues).where(eq(issueFieldValues.issueId, P('issueId'))),
  );
  return { readFields, readFts, updateField, deleteField, deleteFields };
}

export type RowDiff = ReturnType<typeof prepareRowDiff>;

/** Reads the stored field values and full-text rows of `idsJson` (a JSON array of issue ids). */
export function readStored(diff: RowDiff, idsJson: string, ids: readonly number[], into: StoredRows): void {
  // Every issue read has a list, even an empty one: no list means "replace whole".
  for (const id of ids) into.fields.set(id, []);
  for (const row of diff.readFields(idsJson)) into.fields.get(row[0] as number)?.push(row);
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
 * positions not stored, deletes the positions no longer sent; leaves equal rows untouched. Without stored
 * rows (an issue written earlier in the same batch) it replaces them all.
 */
export function writeFieldDiff(
  diff: RowDiff,
  insert: FieldInsert,
  issueId: number,
  stored: readonly StoredField[] | undefined,
  fields: readonly FieldValueRecord[],
): void {
  if (stored === undefined) {
    diff.deleteFields.run({ issueId });
    for (const field of fields) insert.run(field);
    return;
  }
  const byPosition = new Map<number, StoredField>();
  for (const row of stored) byPosition.set(row[1] as number, row);
  for (const field of fields) {
    const was = byPosition.get(field.position);
    if (was === undefined) insert.run(field);
    else if (!sameValues(was, field)) diff.updateField.run(field);
    byPosition.delete(field.position);
  }
  for (const position of byPosition.keys()) diff.deleteField.run({ issueId, position });
}

/** The stored row's values against the new record's, column by column (VALUE_KEYS order). */
function sameValues(row: StoredField, f: FieldValueRecord): boolean {
  return (
    row[2] === f.formId &&
    row[3] === f.formName &&
    row[4] === f.fieldId &&
    row[5] === f.label &&
    row[6] === f.type &&
    row[7] === f.valueText &&
    row[8] === f.valueNumber &&
    row[9] === f.valueJson
  );
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
