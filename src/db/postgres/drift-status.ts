/**
 * Schema drift as `status` shows it, read from a PostgreSQL mirror in the shape the SQLite side returns
 * (db/drift-status.ts), so the report renders the same. Names only, never a value.
 */
import type pg from 'pg';
import type { DriftStatus } from '../drift-status.js';
import { quoteSchema } from './names.js';

/** Reads the drift state of mirror `schema`; undefined for a schema without drift tracking. */
export async function readPgDriftStatus(
  db: Pick<pg.ClientBase, 'query'>,
  schema: string,
): Promise<DriftStatus | undefined> {
  const q = quoteSchema(schema);
  try {
    const known = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${q}.detail_paths`);
    const added = await db.query<DriftStatus['newPaths'][number]>(
      `SELECT path, first_seen_run AS "firstSeenRun", first_seen_at AS "firstSeenAt" FROM ${q}.detail_paths
       WHERE first_seen_run > (SELECT min(first_seen_run) FROM ${q}.detail_paths) ORDER BY first_seen_run DESC, path LIMIT 20`,
    );
    const missing = await db.query<DriftStatus['missingPaths'][number]>(
      `SELECT path, missing_since_run AS "missingSinceRun" FROM ${q}.detail_paths
       WHERE missing_since_run IS NOT NULL ORDER BY path`,
    );
    const last = await db.query<NonNullable<DriftStatus['lastRun']>>(
      `SELECT id AS "runId", new_paths AS "newPaths", lost_paths AS "lostPaths" FROM ${q}.sync_runs
       WHERE status <> 'running' ORDER BY id DESC LIMIT 1`,
    );
    return {
      knownPaths: known.rows[0]?.n ?? 0,
      newPaths: added.rows,
      missingPaths: missing.rows,
      lastRun: last.rows[0] ?? null,
    };
  } catch (err) {
    // A schema older than drift tracking has no detail_paths: undefined_table (42P01).
    if ((err as { code?: unknown }).code === '42P01') return undefined;
    throw err;
  }
}
