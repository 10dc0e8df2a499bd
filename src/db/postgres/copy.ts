/**
 * Moving an SQLite mirror into an empty PostgreSQL schema with everything the API cannot give back:
 * history, first-seen and deletion dates, the run log. One PostgreSQL transaction: rows are streamed from
 * SQLite in chunks and inserted with one array parameter per column; then every table is verified (row
 * count and a checksum over its rows read back from both databases in key order) before COMMIT, so the
 * target ends up either a verified copy or untouched. A target that holds any mirror data is refused.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { SyncError } from '../../errors.js';
import { inTransaction } from './connect.js';
import { quoteSchema } from './names.js';

/** Tables in foreign-key order, with their key; sync_lock is a live process's lease and is not copied. */
const TABLES: { name: string; key: string[] }[] = [
  { name: 'sync_runs', key: ['id'] },
  { name: 'issues', key: ['id'] },
  { name: 'issue_sightings', key: ['issue_id'] },
  { name: 'issue_field_values', key: ['issue_id', 'position'] },
  { name: 'issue_changes', key: ['id'] },
  { name: 'issues_fts', key: ['issue_id'] },
];
const CHUNK = 2000;

interface Column {
  name: string;
  /** PostgreSQL type of the array parameter element. */
  type: string;
  json: boolean;
  bool: boolean;
}

/** What was copied and verified, per table. */
export interface CopiedTable {
  table: string;
  rows: number;
  /** sha256 over the table's rows in key order, equal on both sides. */
  checksum: string;
}

/** Copies the SQLite mirror `source` into `schema` (migrated, empty); throws and leaves it untouched on any problem. */
export async function copySqliteToPostgres(
  source: Database.Database,
  pool: pg.Pool,
  schema: string,
): Promise<CopiedTable[]> {
  const q = quoteSchema(schema);
  try {
    return await inTransaction(pool, (client) => copyAll(source, client, q, schema));
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw new SyncError(
      'DB_ERROR',
      `copy into PostgreSQL schema "${schema}" failed, nothing was copied: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function copyAll(
  source: Database.Database,
  client: pg.ClientBase,
  q: string,
  schema: string,
): Promise<CopiedTable[]> {
  await refuseNonEmpty(client, q, schema);
  const report: CopiedTable[] = [];
  for (const table of TABLES) {
    const columns = await targetColumns(client, schema, table.name);
    await copyTable(source, client, q, table.name, columns);
    const lite = await checksumOf(sqliteRows(source, table.name, columns, table.key), columns, true);
    const target = await checksumOf(postgresRows(client, q, table.name, columns, table.key), columns, false);
    if (lite.rows !== target.rows || lite.checksum !== target.checksum) {
      throw new SyncError(
        'DB_ERROR',
        `copy of table ${table.name} did not verify (SQLite ${lite.rows} rows, PostgreSQL ${target.rows} rows, checksums ${lite.checksum.slice(0, 12)} vs ${target.checksum.slice(0, 12)}); nothing was copied`,
      );
    }
    report.push({ table: table.name, ...lite });
  }
  // Identity columns continue after the copied ids.
  for (const t of ['sync_runs', 'issue_changes']) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, 'id'), m) FROM (SELECT max(id) AS m FROM ${q}.${t}) x WHERE m IS NOT NULL`,
      [`${q}.${t}`],
    );
  }
  return report;
}

async function refuseNonEmpty(client: pg.ClientBase, q: string, schema: string): Promise<void> {
  const counts = TABLES.map((t) => `(SELECT count(*) FROM (SELECT 1 FROM ${q}.${t.name} LIMIT 1) x)`).join(' + ');
  const { rows } = await client.query<{ n: string }>(`SELECT (${counts})::text AS n`);
  if (rows[0]!.n !== '0') {
    throw new SyncError(
      'DB_ERROR',
      `PostgreSQL schema "${schema}" already holds mirror data; copy needs an empty schema: set SPEAKUP_DB_SCHEMA to a new one, or drop this one first`,
    );
  }
}

async function targetColumns(client: pg.ClientBase, schema: string, table: string): Promise<Column[]> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT column_name AS name, format_type(a.atttypid, NULL) AS type
       FROM information_schema.columns c
       JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
      WHERE c.table_schema = $1 AND c.table_name = $2 AND c.is_generated = 'NEVER' ORDER BY c.ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => ({
    name: r.name,
    type: r.type === 'jsonb' ? 'text' : r.type,
    json: r.type === 'jsonb',
    bool: r.type === 'boolean',
  }));
}

/** The SQLite column holding `column` (FTS5 keeps the issue id as its rowid). */
function sqliteColumn(table: string, column: string): string {
  return table === 'issues_fts' && column === 'issue_id' ? 'rowid AS issue_id' : `"${column}"`;
}

function sqliteRows(
  source: Database.Database,
  table: string,
  columns: Column[],
  key: string[],
): IterableIterator<Record<string, unknown>> {
  const order = key.map((k) => (table === 'issues_fts' && k === 'issue_id' ? 'rowid' : `"${k}"`)).join(', ');
  return source
    .prepare(`SELECT ${columns.map((c) => sqliteColumn(table, c.name)).join(', ')} FROM "${table}" ORDER BY ${order}`)
    .iterate() as IterableIterator<Record<string, unknown>>;
}

async function copyTable(
  source: Database.Database,
  client: pg.ClientBase,
  q: string,
  table: string,
  columns: Column[],
): Promise<void> {
  const args = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const select = columns.map((c) => (c.json ? `u."${c.name}"::jsonb` : `u."${c.name}"`)).join(', ');
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const insert = `INSERT INTO ${q}.${table} (${names}) SELECT ${select} FROM unnest(${args}) AS u(${names})`;
  let chunk: unknown[][] = columns.map(() => []);
  let n = 0;
  const flush = async (): Promise<void> => {
    if (n > 0) await client.query(insert, chunk);
    chunk = columns.map(() => []);
    n = 0;
  };
  for (const row of source
    .prepare(`SELECT ${columns.map((c) => sqliteColumn(table, c.name)).join(', ')} FROM "${table}"`)
    .iterate() as IterableIterator<Record<string, unknown>>) {
    columns.forEach((c, i) => chunk[i]!.push(c.bool ? row[c.name] === 1 : row[c.name]));
    if (++n >= CHUNK) await flush();
  }
  await flush();
}

async function* postgresRows(
  client: pg.ClientBase,
  q: string,
  table: string,
  columns: Column[],
  key: string[],
): AsyncGenerator<Record<string, unknown>> {
  const keys = key.map((k) => `"${k}"`).join(', ');
  const cols = columns.map((c) => `"${c.name}"`).join(', ');
  let last: unknown[] | undefined;
  for (;;) {
    const after = last ? `WHERE (${keys}) > (${key.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const { rows } = await client.query<Record<string, unknown>>(
      `SELECT ${cols} FROM ${q}.${table} ${after} ORDER BY ${keys} LIMIT ${CHUNK}`,
      last ?? [],
    );
    for (const r of rows) yield r;
    if (rows.length < CHUNK) return;
    last = key.map((k) => rows[rows.length - 1]![k]);
  }
}

/** JSON with object keys sorted: jsonb does not keep the original key order. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Row count and sha256 of rows in one spelling for both databases (JSON parsed, booleans as booleans). */
async function checksumOf(
  rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
  columns: Column[],
  fromSqlite: boolean,
): Promise<{ rows: number; checksum: string }> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const row of rows) {
    n++;
    hash.update(
      stable(
        columns.map((c) => {
          const v = row[c.name];
          // SQLite holds JSON as text; PostgreSQL's driver already parsed the jsonb.
          if (c.json && fromSqlite && typeof v === 'string') return JSON.parse(v) as unknown;
          if (c.bool && typeof v === 'number') return v === 1;
          return v;
        }),
      ),
    );
    hash.update('\n');
  }
  return { rows: n, checksum: hash.digest('hex') };
}
