/**
 * Opening the mirror database: private file permissions, connection pragmas, migrations.
 * The only place that runs DDL (through Drizzle's migrator) or sets pragmas.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { ConfigError, firstLine, SyncError } from '../errors.js';
import { applyMigrations } from './migrate.js';

/** The Drizzle database type used across src/db. */
export type AppDatabase = BetterSQLite3Database;

/** An open database: Drizzle on top of one better-sqlite3 connection. */
export interface DatabaseHandle {
  readonly db: AppDatabase;
  readonly sqlite: Database.Database;
  /** Absolute path, or ':memory:'. */
  readonly path: string;
  /** Problems worth telling the operator about that do not stop the program (e.g. a world-readable file). */
  readonly warnings: readonly string[];
  close(): void;
}

/** Options of {@link openDatabase}. `log.warn` also receives each warning as it is found. */
export interface OpenOptions {
  log?: {
    warn(msg: string, fields?: Record<string, unknown>): void;
    info?(msg: string, fields?: Record<string, unknown>): void;
  };
  /** Busy timeout in ms: how long a writer waits for another one (default 10000). */
  busyTimeoutMs?: number;
  /** Refuse to create the file: for second connections to a mirror another one has opened. */
  mustExist?: boolean;
}

// Resolved from this file, not the cwd, so `npx speakup-sync` works from any directory.
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
const PAGE_SIZE = 16_384;
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Opens (creating if needed) the SQLite file at `path`, sets pragmas and applies pending migrations. */
export function openDatabase(path: string, options: OpenOptions = {}): DatabaseHandle {
  const memory = path === ':memory:';
  const file = memory ? path : resolve(path);
  const warnings: string[] = [];
  const warn = (msg: string): void => {
    warnings.push(msg);
    options.log?.warn(msg, { path: file });
  };
  if (options.mustExist && !memory && !existsSync(file)) {
    throw new SyncError(
      'DB_ERROR',
      `cannot open database "${file}": it does not exist (moved or deleted while in use?); check SPEAKUP_DB`,
    );
  }
  const fresh = memory || prepareFile(file, warn);

  let sqlite: Database.Database;
  try {
    // `timeout` is the busy timeout from the very first statement (the WAL switch below can wait too).
    sqlite = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw dbError(file, err);
  }
  try {
    // Only an empty file can take a page size, and only before WAL. 16 KiB pages hold several issue rows
    // each instead of one, which makes writes faster (bench/write-path.ts measures it).
    if (fresh) sqlite.pragma(`page_size = ${PAGE_SIZE}`);
    // WAL is set per connection at open: SQLite cannot change the journal mode inside a transaction,
    // and the migrator runs in one.
    const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
    if (!memory && mode !== 'wal')
      warn(`database "${file}" could not switch to WAL (journal_mode=${String(mode)}); BI readers may block the sync`);
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    sqlite.pragma('synchronous = NORMAL');
    // Deleted and overwritten content is zeroed in the file, not left in free space: erased reports
    // must not be recoverable from the bytes (db/erase.ts).
    sqlite.pragma('secure_delete = ON');
    // A WAL that grew during a big run is cut back to this when it starts over, not kept at its peak.
    sqlite.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    migrateWithRetry(sqlite, file, options.log);
    // On only now: migrations run with foreign keys off, so a table rebuild cannot cascade into history.
    sqlite.pragma('foreign_keys = ON');
    const db = drizzle({ client: sqlite });
    return {
      db,
      sqlite,
      path: file,
      warnings,
      close: () => {
        if (!sqlite.open) return;
        try {
          // Keeps planner statistics fresh for every reader (https://sqlite.org/pragma.html#pragma_optimize).
          // Never wait for it: a shutdown must not hang behind another writer.
          sqlite.pragma('busy_timeout = 0');
          sqlite.pragma('optimize');
        } catch {
          // Housekeeping only; the next close will try again.
        }
        sqlite.close();
      },
    };
  } catch (err) {
    sqlite.close();
    throw err instanceof SyncError ? err : dbError(file, err);
  }
}

/**
 * Creates the directory (0700) and file (0600) before SQLite does, or warns about an exposed file.
 * Returns true when the file is new (empty).
 */
function prepareFile(file: string, warn: (msg: string) => void): boolean {
  const dir = dirname(file);
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700); // a umask cannot widen it, but be explicit about the leaf we own
    } catch (err) {
      throw new SyncError(
        'DB_ERROR',
        `cannot create database directory "${dir}": ${errCode(err)}; create it or set SPEAKUP_DB to a writable path`,
        { cause: err },
      );
    }
  }
  if (!existsSync(file)) {
    try {
      // SQLite would create the file with the process umask (often 0644); these are confidential reports.
      closeSync(openSync(file, 'a', 0o600));
    } catch (err) {
      throw dbError(file, err);
    }
    return true;
  }
  const st = statSync(file);
  if (st.isFile()) tightenMode(file, st, warn);
  return st.isFile() && st.size === 0;
}

/**
 * An existing mirror readable by group or others is made private (0600) when this user owns it, with
 * its -wal and -shm (SQLite gives those the main file's mode), and refused otherwise: the program must
 * not write confidential reports into a file others can read.
 */
function tightenMode(file: string, st: Stats, warn: (msg: string) => void): void {
  if ((st.mode & 0o077) === 0) return;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  if (st.uid !== process.getuid?.()) {
    throw new ConfigError([
      `SPEAKUP_DB: database file "${file}" is accessible by group/others (mode ${mode}) and owned by another user; have its owner run: chmod 600 "${file}"`,
    ]);
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
  warn(`database file "${file}" was accessible by group/others (mode ${mode}); made it private (mode 0600)`);
}

const MIGRATE_ATTEMPTS = 5;

/**
 * Migrations take the write lock first, so two processes starting together wait for each other; a busy
 * timeout that runs out (another process holding a long write) is retried a few times before giving up.
 */
function migrateWithRetry(sqlite: Database.Database, file: string, log: OpenOptions['log']): void {
  const info = (fields: Record<string, unknown>, msg: string): void => log?.info?.(msg, fields);
  for (let attempt = 1; ; attempt++) {
    try {
      applyMigrations(sqlite, file, MIGRATIONS_FOLDER, { info });
      return;
    } catch (err) {
      if (err instanceof SyncError) throw err;
      const busy = causes(err).some((e) => /^SQLITE_BUSY/.test(errCode(e)));
      if (!busy || attempt >= MIGRATE_ATTEMPTS) {
        throw new SyncError(
          'DB_ERROR',
          `cannot apply migrations to "${file}": ${oneLine(err)}; restore the copy written beside it (${file}.before-*) or move the file away and sync again`,
          { cause: err },
        );
      }
      sleepSync(25 * 2 ** attempt);
    }
  }
}

/** Maps an open failure to a one-line DB_ERROR naming the path and the fix. */
function dbError(file: string, err: unknown): SyncError {
  const code = errCode(err);
  let hint = 'check SPEAKUP_DB';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    hint = 'it is not a SQLite database: move it away or set SPEAKUP_DB to another file';
  else if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY')
    hint = 'make the file and its directory writable by this user, or set SPEAKUP_DB to a writable path';
  else if (code === 'EISDIR') hint = 'the path is a directory: set SPEAKUP_DB to a file path';
  return new SyncError('DB_ERROR', `cannot open database "${file}": ${oneLine(err)}; ${hint}`, { cause: err });
}

/** `err`, its cause, its cause's cause… (bounded). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && out.length < 8; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

function errCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}

function oneLine(err: unknown): string {
  return firstLine(err).slice(0, 300);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
