/**
 * Faults of the database itself (a full disk, a disk that failed or turned read-only, a damaged file),
 * as one-line errors that name the cause and the fix. Anything else is left to the caller.
 */
import { firstLine, SyncError } from '../errors.js';

interface Fault {
  /** Matches SQLite's primary result code (extended codes such as SQLITE_IOERR_WRITE share its prefix). */
  prefix: string;
  cause: string;
  fix: string;
}

const FAULTS: readonly Fault[] = [
  {
    prefix: 'SQLITE_FULL',
    cause: 'the disk holding the database is full',
    fix: 'free disk space (or move SPEAKUP_DB to a larger disk) and sync again',
  },
  {
    prefix: 'SQLITE_IOERR',
    cause: 'the disk holding the database failed or turned read-only',
    fix: 'check the disk and its file system (mount options, kernel log), then sync again',
  },
  {
    prefix: 'SQLITE_READONLY',
    cause: 'the database became read-only',
    fix: 'make its file and file system writable by this user, then sync again',
  },
  {
    prefix: 'SQLITE_CORRUPT',
    cause: 'the database file is damaged',
    fix: 'restore a snapshot or move the file away and sync again',
  },
];

/**
 * The fault `err` reports, as a DB_ERROR whose message says what stored data is safe: every earlier
 * write transaction is committed, and this one rolled back whole. Undefined for any other error.
 */
export function databaseFault(err: unknown): SyncError | undefined {
  if (err instanceof SyncError) return undefined;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const fault = FAULTS.find((f) => code.startsWith(f.prefix));
  if (fault === undefined) return undefined;
  return new SyncError(
    'DB_ERROR',
    `${fault.cause} (${code}: ${firstLine(err)}); what was stored before is kept: ${fault.fix}`,
    { cause: err },
  );
}
