/**
 * Moving an SQLite mirror into an empty PostgreSQL schema with everything the API cannot give back:
 * history, first-seen and deletion dates, the run log, the erase audit, the detail paths seen and the
 * mirror's settings. One PostgreSQL transaction: each table is read from SQLite once, in rowid order a page at a time, and
 * inserted in large chunks (one array parameter per column) while the next chunk is read; each row's
 * checksum is taken from the values as they are sent. Then PostgreSQL computes the same checksum over the
 * rows it stored, one query per table, and any difference in a row count or a checksum rolls everything
 * back, so the target ends up either a verified copy or untouched. A target that holds mirror data is
 * refused. Memory stays bounded by two chunks, whatever the size of the mirror.
 */
import { createHash, hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { SyncError } from '../../errors.js';
import { withBulkLoad } from './bulk-load.js';
import { inTransaction } from './connect.js';
import { quoteSchema } from './names.js';
import { pgColumnText, recordText, ROW_TEXT_SETTINGS, sqliteValueText, type RowTextKind } from './row-text.js';

/** Tables in foreign-key order; sync_lock is a live process's lease and is not copied. */
const TABLES = [
  'sync_runs',
  'issues',
  'issue_sightings',
  'issue_field_values',
  'issue_changes',
  'issues_fts',
  'erase_log',
  'detail_paths',
  'settings',
];
/**
 * Rows per INSERT: enough that statement overhead vanishes, few enough (and few enough characters) that
 * memory stays bounded and little of it outlives a young-generation collection.
 */
const CHUNK_ROWS = 2000;
const CHUNK_CHARS = 1_000_000;
/** Rows per SQLite read. */
const PAGE_ROWS = 500;

interface Column {
  name: string;
  /** Element type of the array parameter. */
  type: string;
  /** Cast after unnest (jsonb travels as text). */
  cast?: string;
  kind: RowTextKind;
}

/** What was copied and verified, per table. */
export interface CopiedTable {
  table: string;
  rows: number;
  /** sha256 over the row count and the sums of the rows' md5s, equal on both sides. */
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
  await client.query(ROW_TEXT_SETTINGS);
  // Compresses large values (the issues' JSON) faster than the default pglz, where the server has lz4.
  await client.query(
    `SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
  );
  const tables: { table: string; columns: Column[]; sent: RowSums }[] = [];
  await withBulkLoad(client, schema, async () => {
    for (const table of TABLES) {
      const columns = await targetColumns(client, schema, table);
      tables.push({ table, columns, sent: await copyTable(source, client, q, table, columns) });
    }
  });
  const report: CopiedTable[] = [];
  for (const { table, columns, sent } of tables) {
    const stored = await storedSums(client, q, table, columns);
    if (sent.rows !== stored.rows || sent.checksum() !== stored.checksum()) {
      throw new SyncError(
        'DB_ERROR',
        `copy of table ${table} did not verify (SQLite ${sent.rows} rows, PostgreSQL ${stored.rows} rows, checksums ${sent.checksum().slice(0, 12)} vs ${stored.checksum().slice(0, 12)}); nothing was copied`,
      );
    }
    report.push({ table, rows: sent.rows, checksum: sent.checksum() });
  }
  // Identity columns continue after the copied ids.
  for (const t of ['sync_runs', 'issue_changes', 'erase_log']) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, 'id'), m) FROM (SELECT max(id) AS m FROM ${q}.${t}) x WHERE m IS NOT NULL`,
      [`${q}.${t}`],
    );
  }
  return report;
}

async function refuseNonEmpty(client: pg.ClientBase, q: string, schema: string): Promise<void> {
  const counts = TABLES.map((t) => `(SELECT count(*) FROM (SELECT 1 FROM ${q}.${t} LIMIT 1) x)`).join(' + ');
  const { rows } = await client.query<{ n: string }>(`SELECT (${counts})::text AS n`);
  if (rows[0]!.n !== '0') {
    throw new SyncError(
      'DB_ERROR',
      `PostgreSQL schema "${schema}" already holds mirror data; copy needs an empty schema: set SPEAKUP_DB_SCHEMA to a new one, or drop this one first`,
    );
  }
}

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

async function targetColumns(client: pg.ClientBase, schema: string, table: string): Promise<Column[]> {
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

/** Row count and two sums of 64-bit halves of each row's md5: the same whatever order rows come in. */
class RowSums {
  rows = 0;
  private high = 0n;
  private low = 0n;
  add(text: string): void {
    const d = hash('md5', text, 'buffer') as unknown as Buffer;
    this.high += d.readBigInt64BE(0);
    this.low += d.readBigInt64BE(8);
    this.rows++;
  }
  set(rows: number, high: string, low: string): this {
    this.rows = rows;
    this.high = BigInt(high);
    this.low = BigInt(low);
    return this;
  }
  checksum(): string {
    return createHash('sha256').update(`${this.rows}:${this.high}:${this.low}`).digest('hex');
  }
}

/** The SQLite column holding `column` (FTS5 keeps the issue id as its rowid). */
function sqliteColumn(table: string, column: string): string {
  return table === 'issues_fts' && column === 'issue_id' ? 'rowid' : `"${column}"`;
}

/**
 * SQLite rows of `table` in rowid order, a page at a time (rowid first, then the columns). No statement
 * stays open while the copy waits for PostgreSQL: the run lock's heartbeat writes to the same connection.
 */
function* sqlitePages(source: Database.Database, table: string, columns: Column[]): Generator<unknown[][]> {
  const page = source
    .prepare(
      `SELECT rowid, ${columns.map((c) => sqliteColumn(table, c.name)).join(', ')} FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_ROWS}`,
    )
    .raw(true);
  for (let after: unknown = Number.MIN_SAFE_INTEGER; ;) {
    const rows = page.all(after) as unknown[][];
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]![0];
  }
}

/** Streams `table` from SQLite into PostgreSQL once; returns the sums of the rows as sent. */
async function copyTable(
  source: Database.Database,
  client: pg.ClientBase,
  q: string,
  table: string,
  columns: Column[],
): Promise<RowSums> {
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const args = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const select = columns.map((c) => (c.cast ? `u."${c.name}"::${c.cast}` : `u."${c.name}"`)).join(', ');
  const insert = `INSERT INTO ${q}.${table} (${names}) SELECT ${select} FROM unnest(${args}) AS u(${names})`;
  const sums = new RowSums();
  const texts: (string | null)[] = new Array<string | null>(columns.length);
  let chunk: unknown[][] = columns.map(() => []);
  let chars = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  for (const rows of sqlitePages(source, table, columns)) {
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i]!;
        const v = row[i + 1];
        if (typeof v === 'string') chars += v.length;
        chunk[i]!.push(c.kind === 'bool' && typeof v === 'number' ? v !== 0 : v);
        texts[i] = sqliteValueText(v, c.kind);
      }
      sums.add(recordText(texts));
    }
    if (chunk[0]!.length >= CHUNK_ROWS || chars >= CHUNK_CHARS) {
      chars = 0;
      // The server inserts this chunk while the next one is read and hashed.
      await inFlight;
      inFlight = client.query(insert, chunk);
      inFlight.catch(() => undefined);
      chunk = columns.map(() => []);
    }
  }
  await inFlight;
  if (chunk[0]!.length > 0) await client.query(insert, chunk);
  return sums;
}

/** The sums PostgreSQL computes over the rows it holds, from its own text of each value. */
async function storedSums(client: pg.ClientBase, q: string, table: string, columns: Column[]): Promise<RowSums> {
  const row = columns.map((c) => pgColumnText(c.name, c.kind)).join(', ');
  const half = (from: number): string => `coalesce(sum(('x' || substr(h, ${from}, 16))::bit(64)::bigint), 0)::text`;
  const { rows } = await client.query<{ n: number; high: string; low: string }>(
    `SELECT count(*)::int AS n, ${half(1)} AS high, ${half(17)} AS low FROM (SELECT md5(ROW(${row})::text) AS h FROM ${q}.${table}) x`,
  );
  return new RowSums().set(rows[0]!.n, rows[0]!.high, rows[0]!.low);
}
