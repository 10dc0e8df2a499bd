/**
 * The copy's two ends described once: the target columns of a table (from PostgreSQL's catalog) and the
 * SQLite rows that fill them, read in rowid order a page at a time.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { RowTextKind } from './row-text.js';

/** A column the copy fills (generated columns are PostgreSQL's to compute). */
export interface Column {
  name: string;
  /** Element type of the array parameter. */
  type: string;
  /** Cast after unnest (jsonb travels as text). */
  cast?: string;
  kind: RowTextKind;
}

/** Rows per SQLite read. */
const PAGE_ROWS = 500;

const KINDS: Record<string, RowTextKind> = {
  bigint: 'int',
  integer: 'int',
  smallint: 'int',
  boolean: 'bool',
  'double precision': 'float',
  real: 'float',
  'timestamp with time zone': 'time',
  jsonb: 'json',
};

/** The columns of `schema`.`table` that the copy fills, in the table's order. */
export async function targetColumns(client: pg.ClientBase, schema: string, table: string): Promise<Column[]> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
      WHERE a.attrelid = format('%I.%I', $1::text, $2::text)::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attgenerated = '' ORDER BY a.attnum`,
    [schema, table],
  );
  return rows.map((r) =>
    r.type === 'jsonb'
      ? { name: r.name, type: 'text', cast: 'jsonb', kind: 'json' }
      : { name: r.name, type: r.type, kind: KINDS[r.type] ?? 'text' },
  );
}

/**
 * Where `table`'s rows are read from and how each target column is spelled there. The full-text table is
 * read from the FTS5 table's own content table where it has one: a scan of the virtual table from a rowid
 * on costs about as much as one from its first row, so reading it a page at a time takes time quadratic
 * in its size.
 */
function sqliteSelect(source: Database.Database, table: string, columns: Column[]): { from: string; cols: string[] } {
  const plain = { from: `"${table}"`, cols: ['rowid', ...columns.map((c) => `"${c.name}"`)] };
  if (table !== 'issues_fts') return plain;
  const indexed = plain.cols.map((c) => (c === '"issue_id"' ? 'rowid' : c));
  const content = source
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .get(`${table}_content`);
  if (!content) return { from: plain.from, cols: indexed };
  // FTS5 keeps a table's text in `<table>_content`: the rowid as `id`, the n-th column as `c<n>`.
  const names = (source.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
  const cols = ['id', ...columns.map((c) => (c.name === 'issue_id' ? 'id' : `c${names.indexOf(c.name)}`))];
  if (cols.includes('c-1')) return { from: plain.from, cols: indexed };
  return { from: `"${table}_content"`, cols };
}

/**
 * SQLite rows of `table` in rowid order, a page at a time (rowid first, then the columns). No statement
 * stays open while the copy waits for PostgreSQL: the run lock's heartbeat writes to the same connection.
 */
export function* sqlitePages(source: Database.Database, table: string, columns: Column[]): Generator<unknown[][]> {
  const { from, cols } = sqliteSelect(source, table, columns);
  const page = source
    .prepare(`SELECT ${cols.join(', ')} FROM ${from} WHERE ${cols[0]} > ? ORDER BY ${cols[0]} LIMIT ${PAGE_ROWS}`)
    .raw(true);
  for (let after: unknown = Number.MIN_SAFE_INTEGER; ;) {
    const rows = page.all(after) as unknown[][];
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]![0];
  }
}
