/**
 * Applies the SQLite migrations so that no migration can destroy data the API cannot give back.
 *
 * Drizzle's own migrator runs every pending migration inside one transaction on a connection that has
 * foreign keys on. Inside a transaction `PRAGMA foreign_keys = OFF` is a no-op, so the table rebuild that
 * drizzle-kit generates for many schema changes (create `__new_issues`, copy, drop `issues`, rename)
 * cascades the drop into every child table: the change history and field values would be deleted. This
 * runner applies the same migrations, in the same bookkeeping table, with these differences:
 * - foreign keys are off, set on the connection before the transaction opens, and checked with
 *   `PRAGMA foreign_key_check` before the commit: a migration that leaves a dangling row is rolled back;
 * - `legacy_alter_table` is on while it runs, so the final rename of a rebuild does not fail on the
 *   views that name the rebuilt table (SQLite re-parses every view on a rename otherwise);
 * - the write lock is taken first (`BEGIN IMMEDIATE`) and the applied list is read inside it, so two
 *   processes starting together on one file apply each migration once;
 * - before a database that already holds data is migrated, a consistent copy is written beside it.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { SyncError } from '../errors.js';

/** One migration file as drizzle-kit writes it: statements split at its breakpoints. */
export interface MigrationFile {
  tag: string;
  /** The journal's `when`: Drizzle records it as `created_at` and compares by it. */
  folderMillis: number;
  hash: string;
  statements: string[];
}

export interface MigrationResult {
  applied: string[];
  /** The copy written before migrating, when the database held data. */
  backup: string | undefined;
}

interface MigrateLog {
  info(fields: Record<string, unknown>, msg: string): void;
}

/** Drizzle's bookkeeping table, created exactly as its migrator creates it so both can read it. */
const MIGRATIONS_TABLE = '__drizzle_migrations';
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
  id SERIAL PRIMARY KEY,
  hash text NOT NULL,
  created_at numeric
)`;
const BREAKPOINT = '--> statement-breakpoint';
const BACKUP_INFIX = '.before-';

/** Reads the journal and the SQL files of a drizzle-kit migrations folder, hashed as Drizzle hashes them. */
export function readMigrations(folder: string): MigrationFile[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map((entry) => {
    const text = readFileSync(join(folder, `${entry.tag}.sql`), 'utf8');
    return {
      tag: entry.tag,
      folderMillis: entry.when,
      hash: createHash('sha256').update(text).digest('hex'),
      statements: text.split(BREAKPOINT).filter((s) => s.trim() !== ''),
    };
  });
}

/**
 * Applies the pending migrations of `folder` to `sqlite`. `file` is the database path (':memory:' takes
 * no copy). Leaves foreign keys off: the caller turns them on for its own work.
 */
export function applyMigrations(
  sqlite: Database.Database,
  file: string,
  folder: string,
  log?: MigrateLog,
): MigrationResult {
  const migrations = readMigrations(folder);
  sqlite.exec(CREATE_MIGRATIONS_TABLE);
  const first = pendingOf(sqlite, migrations)[0];
  if (first === undefined) return { applied: [], backup: undefined };

  const backup = hasAppliedMigrations(sqlite) && file !== ':memory:' ? writeBackup(sqlite, file, first.tag) : undefined;
  if (backup !== undefined)
    log?.info({ backup, migration: first.tag }, 'wrote a copy of the database before migrating it');

  sqlite.pragma('foreign_keys = OFF');
  sqlite.pragma('legacy_alter_table = ON');
  try {
    const applied = applyInTransaction(sqlite, migrations, file, backup);
    if (applied.length > 0) log?.info({ migrations: applied }, 'applied database migrations');
    return { applied, backup };
  } finally {
    sqlite.pragma('legacy_alter_table = OFF');
  }
}

function pendingOf(sqlite: Database.Database, migrations: readonly MigrationFile[]): MigrationFile[] {
  const last = sqlite
    .prepare(`SELECT created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`)
    .pluck()
    .get();
  return last === undefined ? [...migrations] : migrations.filter((m) => Number(last) < m.folderMillis);
}

function hasAppliedMigrations(sqlite: Database.Database): boolean {
  return sqlite.prepare(`SELECT 1 FROM "${MIGRATIONS_TABLE}" LIMIT 1`).get() !== undefined;
}

function applyInTransaction(
  sqlite: Database.Database,
  migrations: readonly MigrationFile[],
  file: string,
  backup: string | undefined,
): string[] {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    // Read again under the write lock: another process may have migrated while we waited for it.
    const pending = pendingOf(sqlite, migrations);
    const record = sqlite.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of pending) {
      for (const statement of migration.statements) sqlite.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
    const violation = firstViolation(sqlite);
    if (violation !== undefined) {
      const tags = pending.map((m) => m.tag).join(', ');
      const kept = backup === undefined ? '' : `; a copy from before is at "${backup}"`;
      throw new SyncError(
        'DB_ERROR',
        `migration ${tags} of "${file}" would leave rows of "${violation.table}" pointing at missing rows of "${violation.parent}": not applied, the database is unchanged${kept}; report this as a bug of the migration`,
      );
    }
    sqlite.exec('COMMIT');
    return pending.map((m) => m.tag);
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw err;
  }
}

function firstViolation(sqlite: Database.Database): { table: string; parent: string } | undefined {
  const row = sqlite.prepare('PRAGMA foreign_key_check').get() as { table: string; parent: string } | undefined;
  return row === undefined ? undefined : { table: row.table, parent: row.parent };
}

/**
 * Writes `<file>.before-<tag>` (mode 0600) with `VACUUM INTO`: a consistent copy read in one transaction,
 * finished before this synchronous open goes on, without blocking readers or the WAL. Written under a
 * temporary name and renamed, so a crash never leaves half a copy under the final name. Earlier copies
 * are removed: only the copy from before the latest upgrade is kept.
 */
function writeBackup(sqlite: Database.Database, file: string, tag: string): string {
  const target = `${file}${BACKUP_INFIX}${tag}`;
  const temp = `${target}.tmp-${process.pid}`;
  try {
    rmSync(temp, { force: true });
    // SQLite would create the copy with the process umask; these are confidential reports.
    closeSync(openSync(temp, 'wx', 0o600));
    sqlite.prepare('VACUUM INTO ?').run(temp);
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new SyncError(
      'DB_ERROR',
      `cannot write a copy of "${file}" before migrating it: ${reason}; free disk space next to the database and start again`,
      { cause: err },
    );
  }
  removeOlderBackups(file, target);
  return target;
}

function removeOlderBackups(file: string, keep: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}${BACKUP_INFIX}`;
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const path = join(dir, name);
    if (name.startsWith(prefix) && path !== keep && !name.includes('.tmp-')) rmSync(path, { force: true });
  }
}
