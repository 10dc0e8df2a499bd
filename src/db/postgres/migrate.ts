/**
 * Applies the PostgreSQL migrations (migrations/postgres/) to one mirror schema, at start.
 *
 * The files are generated for the schema "speakup" and renamed here to the configured one. Everything
 * runs in one transaction under a transaction-level advisory lock keyed by the schema name: processes
 * that start together queue on the lock, the first migrates, the others then find nothing to do; a
 * process that dies mid-way leaves nothing behind (PostgreSQL DDL is transactional) and frees the lock.
 * Applied migrations are recorded in `<schema>.__drizzle_migrations`, in drizzle's own layout.
 */
import { fileURLToPath } from 'node:url';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import type pg from 'pg';
import { SyncError } from '../../errors.js';
import { quoteSchema } from './names.js';
import { DEFAULT_PG_SCHEMA } from './schema.js';

// Resolved from this file, not the cwd, so `npx speakup-sync` works from any directory.
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations/postgres', import.meta.url));
const GENERATED_SCHEMA = `"${DEFAULT_PG_SCHEMA}"`;

/** The migrations of migrations/postgres/ with their SQL renamed to `schema`. */
export function migrationsFor(schema: string): MigrationMeta[] {
  const target = quoteSchema(schema);
  return readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => ({
    ...m,
    sql: m.sql.map((statement) => renameSchema(statement, target)),
  }));
}

function renameSchema(statement: string, target: string): string {
  // The schema is created (only if missing) before any migration runs, see ensureSchema.
  if (statement.trim() === `CREATE SCHEMA ${GENERATED_SCHEMA};`) return '';
  return statement.split(`${GENERATED_SCHEMA}.`).join(`${target}.`);
}

/**
 * Creates the schema unless it exists. Checked first because CREATE SCHEMA IF NOT EXISTS still needs the
 * CREATE privilege on the database, which a role given a schema made for it by a DBA need not have.
 */
async function ensureSchema(client: pg.ClientBase, schema: string, quoted: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (!rowCount) await client.query(`CREATE SCHEMA ${quoted}`);
}

/** The advisory lock key of migrations of `schema` (distinct from the run lock's key). */
export const MIGRATE_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtextextended('speakup-sync:migrate:' || $1, 0))`;

/** Outcome of {@link migratePostgres}: how many migrations this call applied (0 when up to date). */
export interface MigrateResult {
  applied: number;
}

/** Brings `schema` up to date on `client` (a connection not inside a transaction). */
export async function migratePostgres(client: pg.ClientBase, schema: string): Promise<MigrateResult> {
  const q = quoteSchema(schema);
  const migrations = migrationsFor(schema);
  try {
    await client.query('BEGIN');
    await client.query(MIGRATE_LOCK_SQL, [schema]);
    await ensureSchema(client, schema, q);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q}."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const { rows } = await client.query<{ created_at: string | null }>(
      `SELECT max(created_at)::text AS created_at FROM ${q}."__drizzle_migrations"`,
    );
    const last = rows[0]?.created_at == null ? -1 : Number(rows[0].created_at);
    let applied = 0;
    for (const m of migrations) {
      if (m.folderMillis <= last) continue;
      for (const statement of m.sql) if (statement.trim()) await client.query(statement);
      await client.query(`INSERT INTO ${q}."__drizzle_migrations" (hash, created_at) VALUES ($1, $2)`, [
        m.hash,
        m.folderMillis,
      ]);
      applied++;
    }
    await client.query('COMMIT');
    return { applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new SyncError(
      'DB_ERROR',
      `cannot migrate PostgreSQL schema "${schema}": ${(err as Error).message}; check the role's privileges (CREATE on the database or schema)`,
      { cause: err },
    );
  }
}
