/**
 * `speakup-sync snapshot <path>`: a consistent copy of the mirror for a BI host that cannot open the live
 * file (another machine: SQLite must not be shared over a network file system, https://sqlite.org/wal.html).
 * SQLite's online backup API (better-sqlite3 `db.backup`) copies every page in one step, so the copy is
 * one snapshot even while a sync writes and the sync is never blocked. The copy is mode 0600, uses the
 * rollback journal (no -wal/-shm: read-only consumers need no write access) and replaces `path` atomically.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { DbConfig } from '../../config/types.js';
import { countIssues, openReadOnly } from '../../db/status.js';
import { firstLine, SyncError, UsageError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, formatElapsed } from '../../format.js';

/** Arguments of `snapshot`. */
export interface SnapshotArgs {
  path: string;
  quiet: boolean;
}

// sqlite3_backup_step(N) with N < 0 copies everything at once; better-sqlite3 clamps to >= 0, so ask for 2^31-1 pages.
const ALL_PAGES = 0x7fffffff;
const SQLITE_HEADER = 'SQLite format 3\0';

/** Writes the snapshot; prints one line on stdout unless quiet. */
export async function snapshotCommand(config: DbConfig, args: SnapshotArgs): Promise<number> {
  if (config.postgres) {
    const { schema } = config.postgres;
    throw new UsageError(
      `snapshot copies an SQLite file; this mirror is in PostgreSQL: use pg_dump --schema=${schema} (or a replica) instead`,
    );
  }
  const source = resolve(config.dbPath);
  const target = resolve(args.path);
  const started = Date.now();
  const db = openReadOnly(source);
  let lastErase: string | undefined;
  try {
    checkTarget(source, target);
    await writeCopy(db.$client, target);
    lastErase = lastEraseAt(db.$client);
  } finally {
    db.$client.close();
  }
  if (!args.quiet) {
    const check = openReadOnly(target);
    const n = countIssues(check);
    check.$client.close();
    process.stdout.write(
      `snapshot written: ${target} (${n.mirrored} issues, ${formatBytes(statSync(target).size)}) in ${formatElapsed(Date.now() - started)}\n`,
    );
    // A copy is out of the erase command's reach: say which older copies still hold erased content.
    if (lastErase)
      process.stdout.write(
        `last erase: ${lastErase}; this snapshot contains it, snapshots written before it still hold the erased content: replace them\n`,
      );
  }
  return EXIT.OK;
}

/** When the newest `speakup-sync erase` was made (undefined: never, or a mirror from before erase existed). */
function lastEraseAt(db: Database.Database): string | undefined {
  try {
    const at = db.prepare("SELECT max(at) FROM erase_log WHERE action = 'erase'").pluck().get();
    return typeof at === 'string' ? at : undefined;
  } catch {
    return undefined;
  }
}

/** Backs up into a 0600 temp file next to `target`, switches it to the rollback journal, renames it over `target`. */
async function writeCopy(source: Database.Database, target: string): Promise<void> {
  const dir = dirname(target);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A reader of `target` never sees a half-written file: the rename is atomic on one file system.
  const temp = `${target}.tmp-${process.pid}`;
  try {
    // Created 0600 before SQLite opens it (SQLite would use the umask): these are confidential reports.
    closeSync(openSync(temp, 'wx', 0o600));
    await source.backup(temp, { progress: () => ALL_PAGES });
    const copy = new Database(temp);
    try {
      // The copy inherits WAL from the header; readers of a WAL file need write access to create -shm.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    chmodSync(temp, 0o600);
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new SyncError('DB_ERROR', `cannot write snapshot "${target}": ${firstLine(err)}`, { cause: err });
  }
}

/** Refuses the live database (same path or same file through a link) and files that are not SQLite databases. */
function checkTarget(source: string, target: string): void {
  const live = statSync(source);
  const sidecars = ['-wal', '-shm', '-journal'].map((s) => `${source}${s}`);
  if (target === source || sidecars.includes(target)) throw refuse(target, 'it is the live database');
  if (!existsSync(target)) return;
  const st = statSync(target);
  if (st.dev === live.dev && st.ino === live.ino) throw refuse(target, 'it is the live database');
  if (!st.isFile()) throw refuse(target, 'it is not a regular file');
  if (st.size > 0 && !hasSqliteHeader(target)) throw refuse(target, 'it exists and is not a SQLite database');
}

function refuse(target: string, why: string): SyncError {
  return new SyncError('DB_ERROR', `refusing to write a snapshot to "${target}": ${why}; give another path`);
}

function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_HEADER.length);
    readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('latin1') === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}
