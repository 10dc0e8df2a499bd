/**
 * The PostgreSQL schema (Drizzle pg-core): the same tables, columns, views and indexes as the SQLite
 * schema (src/db/schema.ts) in PostgreSQL's own types. test/integration/pg-parity.test.ts holds the two
 * side by side, so a change to one without the other fails.
 *
 * Differences that come from the dialect, on purpose:
 * - dates are `timestamptz` (millisecond precision, what `toISOString()` carries), so no ISO CHECKs;
 * - the detail, the labels and a field's JSON value are `jsonb`; `sync_runs.full` is a boolean;
 * - ids are `bigint` (SQLite integers are 64-bit), run and change ids are identity columns;
 * - full text is a table `issues_fts` with a generated `tsvector` and a GIN index, where SQLite has FTS5.
 *
 * Every object lives in one schema whose name is configuration (several SpeakUp systems side by side in
 * one database), so the tables are built by {@link createPgTables}. Migrations are generated from the
 * instance named {@link DEFAULT_PG_SCHEMA} (schema-default.ts) and renamed when applied (migrate.ts).
 */
import { createPgBaseTables } from './schema-tables.js';
import { createPgViews } from './schema-views.js';

/** The schema name used when SPEAKUP_DB_SCHEMA is not set, and the one the migration files are written for. */
export const DEFAULT_PG_SCHEMA = 'speakup';

/** The tables and views of a mirror in the PostgreSQL schema `name`. */
export function createPgTables(name: string) {
  const tables = createPgBaseTables(name);
  return { ...tables, ...createPgViews(tables) };
}

/** The tables and views of one mirror schema. */
export type PgTables = ReturnType<typeof createPgTables>;
