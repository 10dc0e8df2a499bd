/**
 * Moving an SQLite mirror into an empty PostgreSQL schema with everything the API cannot give back:
 * history, first-seen and deletion dates, the run log, the erase audit, the detail paths seen and the
 * mirror's settings. One PostgreSQL transaction: each table is read from SQLite once, in rowid order a
 * page at a time, and inserted in large chunks (one array parameter per column) while the next chunk is
 * read; each row's checksum is taken from the values as they are sent. Then PostgreSQL computes the same
 * checksum over the rows it stored, one query per table, and any difference in a row count or a checksum
 * rolls everything back, so the target ends up either a verified copy or untouched. A target that holds
 * mirror data is refused. Memory stays bounded by a few chunks, whatever the size of the mirror.
 *
 * The client (reading, hashing) and the server (parsing, the full-text document, index builds, checksums)
 * work at the same time: statements are pipelined (copy-pipeline.ts), a table's indexes are rebuilt and its
 * checksum computed as soon as it is loaded, and the full-text table, cheap to read but costly for the
 * server, loads alongside the others when the foreign keys are off for the load.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { SyncError } from '../../errors.js';
import { BULK_LOAD_SETTINGS, startBulkLoad, type BulkLoad } from './bulk-load.js';
import { inPipelinedCopy, type Pipeline } from './copy-pipeline.js';
import { holdsMark, joinColumns, splitParam, type JoinValue } from './joined-text.js';
import { sqlitePages, targetColumns, type Column } from './copy-source.js';
import { RowSums, storedSumsQuery, type StoredSumsRow } from './copy-sums.js';
import { quoteSchema } from './names.js';
import { recordText, ROW_TEXT_SETTINGS, sqliteValueText } from './row-text.js';

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
/** Loaded alongside the other tables when the foreign keys are off: little to read, much for the server. */
const SIDE_TABLE = 'issues_fts';
/** The side table's chunk is sent when at most this many statements are in flight. */
const FILLER_QUEUE = 2;
/**
 * Rows per INSERT: enough that statement overhead vanishes, few enough (and few enough characters) that
 * memory stays bounded and little of it outlives a young-generation collection.
 */
const CHUNK_ROWS = 2000;
const CHUNK_CHARS = 500_000;

/** What was copied and verified, per table. */
export interface CopiedTable {
  table: string;
  rows: number;
  /** sha256 over the row count and the sums of the rows' md5s, equal on both sides. */
  checksum: string;
}

interface Prepared {
  columns: Map<string, Column[]>;
  load: BulkLoad;
}

/** A loaded table: the sums as sent, and the server's sums of what it stored (answered later). */
interface Loaded {
  table: string;
  sent: RowSums;
  stored: Promise<pg.QueryResult<StoredSumsRow>>;
}

/** Copies the SQLite mirror `source` into `schema` (migrated, empty); throws and leaves it untouched on any problem. */
export async function copySqliteToPostgres(
  source: Database.Database,
  pool: pg.Pool,
  schema: string,
): Promise<CopiedTable[]> {
  const q = quoteSchema(schema);
  try {
    return await inPipelinedCopy(
      pool,
      (client) => prepare(client, q, schema),
      (pipeline, prepared) => copyAll(source, pipeline, q, prepared),
    );
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw new SyncError(
      'DB_ERROR',
      `copy into PostgreSQL schema "${schema}" failed, nothing was copied: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function prepare(client: pg.ClientBase, q: string, schema: string): Promise<Prepared> {
  await refuseNonEmpty(client, q, schema);
  await client.query(ROW_TEXT_SETTINGS);
  for (const setting of BULK_LOAD_SETTINGS) await client.query(setting);
  // Compresses large values (the issues' JSON) faster than the default pglz, where the server has lz4.
  await client.query(
    `SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
  );
  const columns = new Map<string, Column[]>();
  for (const table of TABLES) columns.set(table, await targetColumns(client, schema, table));
  return { columns, load: await startBulkLoad(client, schema) };
}

async function copyAll(
  source: Database.Database,
  pipeline: Pipeline,
  q: string,
  { columns, load }: Prepared,
): Promise<CopiedTable[]> {
  const loaded: Loaded[] = [];
  const lane = async (tables: string[], filler: boolean): Promise<void> => {
    for (const table of tables) {
      const cols = columns.get(table)!;
      const sent = await copyTable(source, pipeline, q, table, cols, filler);
      for (const index of load.indexesOf(table)) void pipeline.send(index);
      loaded.push({ table, sent, stored: pipeline.send<StoredSumsRow>(storedSumsQuery(q, table, cols)) });
    }
  };
  const lanes = load.dropped ? [TABLES.filter((t) => t !== SIDE_TABLE), [SIDE_TABLE]] : [TABLES];
  const ended = await Promise.allSettled(lanes.map((tables, i) => lane(tables, i > 0)));
  for (const e of ended) if (e.status === 'rejected') throw e.reason;
  for (const key of load.foreignKeys()) void pipeline.send(key);
  // Identity columns continue after the copied ids.
  for (const t of ['sync_runs', 'issue_changes', 'erase_log']) {
    void pipeline.send(
      `SELECT setval(pg_get_serial_sequence($1, 'id'), m) FROM (SELECT max(id) AS m FROM ${q}.${t}) x WHERE m IS NOT NULL`,
      [`${q}.${t}`],
    );
  }
  await pipeline.settle();
  const report: CopiedTable[] = [];
  for (const table of TABLES) {
    const { sent, stored } = loaded.find((l) => l.table === table)!;
    const got = RowSums.of((await stored).rows[0]!);
    if (sent.rows !== got.rows || sent.checksum() !== got.checksum()) {
      throw new SyncError(
        'DB_ERROR',
        `copy of table ${table} did not verify (SQLite ${sent.rows} rows, PostgreSQL ${got.rows} rows, checksums ${sent.checksum().slice(0, 12)} vs ${got.checksum().slice(0, 12)}); nothing was copied`,
      );
    }
    report.push({ table, rows: sent.rows, checksum: sent.checksum() });
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

/** The INSERT of one chunk: one joined text per column after the two marks (joined-text.ts). */
function insertStatement(q: string, table: string, columns: Column[]): string {
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const args = columns.map((c, i) => splitParam(i + 3, c.type)).join(', ');
  const select = columns.map((c) => (c.cast ? `u."${c.name}"::${c.cast}` : `u."${c.name}"`)).join(', ');
  return `INSERT INTO ${q}.${table} (${names}) SELECT ${select} FROM unnest(${args}) AS u(${names})`;
}

/** The value of a column as it goes into its chunk. */
function chunkValue(table: string, c: Column, v: unknown): JoinValue {
  if (v === null || v === undefined) return null;
  if (c.kind === 'bool' && (typeof v === 'number' || typeof v === 'boolean')) return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string' && (c.kind !== 'json' || !holdsMark(v))) return v;
  const problem =
    typeof v !== 'string'
      ? 'is a blob, which no column of the mirror holds'
      : 'is not valid JSON (a raw control character)';
  throw new SyncError('DB_ERROR', `a value of ${table}.${c.name} ${problem}; nothing was copied`);
}

/** The parameters of one chunk: JSON columns, checked by chunkValue, are not searched for the marks. */
function chunkParams(columns: Column[], chunk: JoinValue[][]): unknown[] {
  return joinColumns(columns.map((c, i) => ({ values: chunk[i]!, json: c.kind === 'json' })));
}

/**
 * Streams `table` from SQLite into PostgreSQL once; returns the sums of the rows as sent. Two chunks are
 * in flight at most: the server inserts one and has the next at hand while a third is read and hashed.
 */
async function copyTable(
  source: Database.Database,
  pipeline: Pipeline,
  q: string,
  table: string,
  columns: Column[],
  filler: boolean,
): Promise<RowSums> {
  const insert = insertStatement(q, table, columns);
  const sums = new RowSums();
  const texts: (string | null)[] = new Array<string | null>(columns.length);
  let chunk: JoinValue[][] = columns.map(() => []);
  let chars = 0;
  const inFlight: Promise<unknown>[] = [];
  const send = async (): Promise<void> => {
    if (inFlight.length >= 2) await inFlight.shift();
    // The side table's chunks go to the server when it has little else queued, so that its work fills the
    // time the server would otherwise wait for the client, instead of taking turns with the other tables.
    if (filler) await pipeline.atMost(FILLER_QUEUE);
    inFlight.push(pipeline.send(insert, chunkParams(columns, chunk)));
    chunk = columns.map(() => []);
    chars = 0;
  };
  for (const rows of sqlitePages(source, table, columns)) {
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i]!;
        const v = row[i + 1];
        if (typeof v === 'string') chars += v.length;
        chunk[i]!.push(chunkValue(table, c, v));
        texts[i] = sqliteValueText(v, c.kind);
      }
      sums.add(recordText(texts));
    }
    if (chunk[0]!.length >= CHUNK_ROWS || chars >= CHUNK_CHARS) await send();
  }
  // The last chunks need no wait: what the caller sends next for this table runs after them.
  if (chunk[0]!.length > 0) await send();
  return sums;
}
