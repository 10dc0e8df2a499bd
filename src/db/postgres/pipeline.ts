/**
 * A transaction whose statements travel together: the batch writer sends BEGIN with its first read, and
 * every write with COMMIT, so a batch costs two round trips to the server instead of one per statement.
 * node-postgres (8.x) has a pipeline mode, chosen per client by its `pipeline` property, which it reads
 * each time it sends the queued queries; the mirror's pool is shared with the run log and the store, so
 * the mode is switched on for this transaction only, while the client is checked out and idle, and off
 * again before it goes back to the pool. In that mode each statement still ends with its own Sync, so a
 * failing statement fails alone and those behind it fail with "current transaction is aborted"; COMMIT
 * then rolls back, and the first error is the one reported.
 */
import type pg from 'pg';

type Pipelined = pg.PoolClient & { pipeline?: boolean };

const ignore = (): undefined => undefined;

/** Connections already set up for the batch writer (session settings survive across checkouts). */
const prepared = new WeakSet<pg.PoolClient>();

/**
 * Runs `fn` in one transaction with pipelined statements. `fn` may await reads; it returns the promises of
 * its last statements (not awaited), which are sent together with COMMIT. Rolls back and rethrows on error.
 */
export async function inPipelinedTransaction(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<Promise<unknown>[]>,
): Promise<void> {
  const client = (await pool.connect()) as Pipelined;
  const before = client.pipeline;
  client.pipeline = true;
  try {
    if (!prepared.has(client)) {
      // Compresses the large values (an issue's JSON) with lz4, much cheaper than the default pglz, where
      // the server has it. A session setting, so it is set once per connection, outside any transaction.
      client
        .query(
          `SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
        )
        .catch(ignore);
      prepared.add(client);
    }
    const begin = client.query('BEGIN');
    begin.catch(ignore);
    const last = await fn(client);
    await Promise.all([begin, ...last, client.query('COMMIT')]);
  } catch (err) {
    await client.query('ROLLBACK').catch(ignore);
    throw err;
  } finally {
    client.pipeline = before;
    client.release();
  }
}
