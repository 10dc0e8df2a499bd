/**
 * The PostgreSQL mirror behind the core's ports: the store (listing, deletions), the run log, the remap
 * and drift records (mapping.ts), the batch writer and the run lock, for one schema of one database.
 * What is PostgreSQL-specific lives in this folder; the core only sees the ports.
 */
import type pg from 'pg';
import { SyncError } from '../../errors.js';
import type { MappedIssue, MirrorStore, RunLock, SyncStore } from '../../sync/ports.js';
import { processIdentity, type ProcessIdentity } from '../identity.js';
import { createMirrorPool, inTransaction } from './connect.js';
import { createPgRunLock } from './lock.js';
import { createPgMappingStore } from './mapping.js';
import { migratePostgres } from './migrate.js';
import { quoteSchema } from './names.js';
import { createPgPrivacy } from './privacy.js';
import { redactUrl } from './url.js';
import { createPgRunLog } from './run-log.js';
import { createPgIssueWriter, isPgRecordError } from './writes.js';

/**
 * The mirror's issues as a run uses them, in mirror `schema`. `leaseToken` gives the token of the run
 * lock this process holds, if any: deletions then happen only while the lock row still carries it, in
 * the same statement, so a run whose lock was taken over after its last heartbeat deletes nothing.
 */
export function createPgMirrorStore(
  pool: pg.Pool,
  schema: string,
  leaseToken: () => string | undefined = () => undefined,
): MirrorStore {
  const q = quoteSchema(schema);
  const privacy = createPgPrivacy(pool, schema);
  // Missing: not deleted and not sighted by this run's listing (an issue without a sighting counts too).
  const missing = `deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${q}.issue_sightings s WHERE s.issue_id = i.id AND s.last_listed_run >= $1)`;
  return {
    purgeDeleted: (deletedUpTo, at) => privacy.purgeDeleted(deletedUpTo, at),
    async recordListing(ids, runId, at) {
      if (ids.length === 0) return new Map();
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: number; updated_at: string | null }>(
          // A purged issue not marked erased reads as never fetched: listed again, it is fetched again in full.
          `SELECT id, CASE WHEN purged_at IS NOT NULL AND erased_at IS NULL THEN NULL ELSE updated_at END AS updated_at
           FROM ${q}.issues WHERE id = ANY($1::bigint[])`,
          [ids],
        );
        // Sightings only for ids already stored; new ones get theirs when they are saved.
        await client.query(
          `INSERT INTO ${q}.issue_sightings (issue_id, last_listed_run, last_seen_at)
           SELECT id, $2, $3 FROM ${q}.issues WHERE id = ANY($1::bigint[])
           ON CONFLICT (issue_id) DO UPDATE SET last_listed_run = GREATEST(issue_sightings.last_listed_run, excluded.last_listed_run), last_seen_at = excluded.last_seen_at`,
          [ids, runId, at],
        );
        // Touches only issues coming back from deletion, so an ordinary listing leaves `issues` unwritten.
        await client.query(
          `UPDATE ${q}.issues SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND id = ANY($1::bigint[])`,
          [ids],
        );
        return new Map(rows.map((r) => [r.id, r.updated_at]));
      });
    },
    async deletionCandidates(runId) {
      const { rows } = await pool.query<{ missing: number; active: number }>(
        // Two counts rather than one scan with FILTER: NOT EXISTS inside an aggregate's FILTER is probed
        // row by row, in a WHERE clause it becomes one anti-join.
        `SELECT (SELECT count(*) FROM ${q}.issues i WHERE ${missing})::int AS missing,
           (SELECT count(*) FROM ${q}.issues WHERE deleted_at IS NULL)::int AS active`,
        [runId],
      );
      return rows[0]!;
    },
    async missingIds(runId) {
      const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${q}.issues i WHERE ${missing}`, [runId]);
      return rows.map((r) => Number(r.id));
    },
    async softDeleteMissing(runId, at, ids) {
      const params: unknown[] = [runId, at];
      let only = '';
      if (ids !== undefined) only += ` AND id = ANY($${params.push(ids)}::bigint[])`;
      const token = leaseToken();
      if (token !== undefined)
        only += ` AND EXISTS (SELECT 1 FROM ${q}.sync_lock l WHERE l.id = 1 AND l.token = $${params.push(token)})`;
      const res = await pool.query(`UPDATE ${q}.issues i SET deleted_at = $2 WHERE ${missing}${only}`, params);
      return res.rowCount ?? 0;
    },
  };
}

export interface PgMirrorOptions {
  /** The URL's full text (with its password): for the driver only. */
  connectionString: string;
  schema: string;
  identity?: Partial<ProcessIdentity>;
}

/** A migrated PostgreSQL mirror: the core's ports plus the batch writer; close() ends the pool. */
export interface PgMirror {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly store: SyncStore;
  readonly lock: RunLock;
  saveIssues(records: readonly MappedIssue[], runId: number): Promise<void>;
  isRecordError(err: unknown): boolean;
  close(): Promise<void>;
}

/** Connects, migrates `schema` (under the migration lock) and builds the ports. */
export async function openPgMirror(options: PgMirrorOptions): Promise<PgMirror> {
  quoteSchema(options.schema);
  const me = processIdentity(options.identity);
  const pool = createMirrorPool({ connectionString: options.connectionString });
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, options.schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    if (err instanceof SyncError) throw err;
    // The driver's message names the host, user or database at fault, never the password.
    throw new SyncError(
      'DB_ERROR',
      `cannot connect to PostgreSQL "${redactUrl(options.connectionString)}": ${(err as Error).message}; check SPEAKUP_DB`,
      { cause: err },
    );
  }
  // The token of the run lock this mirror's lock holds now (or held last): the store's deletions check it.
  let token: string | undefined;
  return {
    pool,
    schema: options.schema,
    store: {
      ...createPgMirrorStore(pool, options.schema, () => token),
      ...createPgRunLog(pool, options.schema, me),
      ...createPgMappingStore(pool, options.schema),
    },
    lock: createPgRunLock({
      connection: { connectionString: options.connectionString },
      schema: options.schema,
      me,
      onAcquired: (t) => (token = t),
    }),
    saveIssues: createPgIssueWriter(pool, options.schema),
    isRecordError: isPgRecordError,
    close: () => pool.end(),
  };
}
