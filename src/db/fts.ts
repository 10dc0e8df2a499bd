/**
 * Drizzle handle on the FTS5 table created by migrations/0001_fts.sql. Deliberately outside schema.ts:
 * drizzle-kit would otherwise emit a plain CREATE TABLE for it.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** `issues_fts`: one row per issue, rowid = issues.id. Query with `issues_fts MATCH '...'`. */
export const issuesFts = sqliteTable('issues_fts', {
  rowid: integer('rowid').notNull(),
  summary: text('summary'),
  description: text('description'),
  fieldText: text('field_text'),
});
