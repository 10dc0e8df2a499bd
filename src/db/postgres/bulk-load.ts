/**
 * Loading many rows into an empty mirror schema the way PostgreSQL's manual advises ("Populating a
 * Database"): foreign keys and secondary indexes are dropped first and put back after the load, so the
 * keys are checked by one join per constraint and the indexes (the full-text GIN index above all) are
 * built in one pass instead of row by row. A table's indexes can be rebuilt as soon as that table is
 * loaded, while others still load. All of it runs inside the caller's transaction: if anything fails, the
 * rollback puts the schema back as it was. Primary keys and unique indexes stay (a foreign key needs its
 * referenced key, and the views may rely on them).
 */
import type pg from 'pg';

interface Dropped {
  foreignKeys: { table: string; name: string; def: string }[];
  indexes: { table: string; name: string; def: string }[];
}

/** The schema's tables as loaded: their keys and indexes dropped, or in place when the role may not. */
export interface BulkLoad {
  /** Whether the foreign keys are off, so tables may load in any order. */
  readonly dropped: boolean;
  /** The statements that rebuild `table`'s secondary indexes (none when nothing was dropped). */
  indexesOf(table: string): string[];
  /** The statements that put the foreign keys back (each checks every row), once every table is loaded. */
  foreignKeys(): string[];
}

/**
 * Server memory for the load, for this transaction only: the index builds sort in memory, and a chunk's
 * rows (unnest materialises them) stay in memory instead of spilling to a temporary file.
 */
export const BULK_LOAD_SETTINGS = ["SET LOCAL maintenance_work_mem = '256MB'", "SET LOCAL work_mem = '64MB'"];

async function droppable(client: pg.ClientBase, schema: string): Promise<Dropped> {
  const foreignKeys = await client.query<{ table: string; name: string; def: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS table, quote_ident(con.conname) AS name, pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'f' ORDER BY con.oid`,
    [schema],
  );
  // An index that backs a constraint (primary key, unique, or the key a foreign key references) stays.
  const indexes = await client.query<{ table: string; name: string; def: string }>(
    `SELECT tc.relname AS table, format('%I.%I', n.nspname, ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = ic.relnamespace
      WHERE n.nspname = $1 AND NOT i.indisunique AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
      ORDER BY i.indexrelid`,
    [schema],
  );
  return { foreignKeys: foreignKeys.rows, indexes: indexes.rows };
}

/**
 * Drops the foreign keys and secondary indexes of `schema` for a load; the caller runs the statements the
 * result gives to put them back. A role that may not alter the tables (not their owner) loads with them
 * in place.
 */
export async function startBulkLoad(client: pg.ClientBase, schema: string): Promise<BulkLoad> {
  const dropped = await droppable(client, schema);
  await client.query('SAVEPOINT bulk_load');
  try {
    for (const fk of dropped.foreignKeys) await client.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
    for (const ix of dropped.indexes) await client.query(`DROP INDEX ${ix.name}`);
    await client.query('RELEASE SAVEPOINT bulk_load');
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT bulk_load');
    return { dropped: false, indexesOf: () => [], foreignKeys: () => [] };
  }
  return {
    dropped: true,
    indexesOf: (table) => dropped.indexes.filter((ix) => ix.table === table).map((ix) => ix.def),
    foreignKeys: () => dropped.foreignKeys.map((fk) => `ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${fk.def}`),
  };
}
