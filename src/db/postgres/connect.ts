/**
 * Connections to a PostgreSQL mirror: a pool for the store and run log (the run lock opens its own
 * connection, lock.ts). Values come back in the shapes the SQLite side returns, so the core sees one
 * mirror: bigint as number (ids stay far below 2^53) and timestamptz as `toISOString()` text.
 */
import pg from 'pg';

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;
const defaultTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (v: string) => Date;

/** Type parsers of this project's connections only; other users of `pg` in the process keep the defaults. */
export const mirrorTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (v: string) => Number(v);
    if (oid === TIMESTAMPTZ_OID) return (v: string) => defaultTimestamptz(v).toISOString();
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgPoolOptions {
  connectionString: string;
  /** At most this many connections (default 6: the batch writer's lanes, the listing, the run log). */
  max?: number;
}

/** A pool for one mirror; an idle connection's error (server restart) is left to the next query to report. */
export function createMirrorPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 6,
    types: mirrorTypes,
    application_name: 'speakup-sync',
  });
  pool.on('error', () => undefined);
  // No JIT: the mirror's statements are short, and a table just filled (no statistics yet) makes the
  // planner overestimate them enough to compile one, which takes longer than running it. Set by a query
  // queued ahead of the connection's first (a startup option would be refused by PgBouncer).
  pool.on('connect', (client) => {
    client.query(`SELECT set_config('jit', 'off', false) FROM pg_settings WHERE name = 'jit'`).catch(() => undefined);
  });
  return pool;
}

/** Runs `fn` in one transaction on one pooled connection; rolls back and rethrows on error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
