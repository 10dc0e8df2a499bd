/**
 * `speakup-sync copy --to <postgres-url> [--schema NAME]`: moves the SQLite mirror SPEAKUP_DB names into
 * an empty PostgreSQL schema with everything the API cannot give back (history, first-seen and deletion
 * dates, the run log), verified per table by row count and checksum (db/postgres/copy.ts). It holds the
 * SQLite mirror's run lock meanwhile, so no sync writes to the source while it is read. Afterwards, point
 * SPEAKUP_DB (and SPEAKUP_DB_SCHEMA) at the target: the next sync continues incrementally.
 */
import type { Logger } from 'pino';
import type { DbConfig, PostgresDbConfig } from '../../config/types.js';
import { createIssueStore, sqlitePorts } from '../../db/issue-store.js';
import { openDatabase } from '../../db/open.js';
import { copySqliteToPostgres } from '../../db/postgres/copy.js';
import { openPgMirror } from '../../db/postgres/store.js';
import { UsageError } from '../../errors.js';
import { formatElapsed } from '../../format.js';
import { withRunLock } from '../../sync/run-lock.js';
import { EXIT } from '../exit-codes.js';

export interface CopyArgs {
  /** The target, validated as SPEAKUP_DB would be (TLS rule, schema name). */
  target: PostgresDbConfig;
  quiet: boolean;
}

/** Copies; prints one line per verified table and a closing line on stdout unless quiet. */
export async function copyCommand(source: DbConfig, log: Logger, args: CopyArgs): Promise<number> {
  if (source.postgres) {
    throw new UsageError(
      'copy reads an SQLite mirror: set SPEAKUP_DB to its file, and give the PostgreSQL URL with --to',
    );
  }
  const started = Date.now();
  const handle = openDatabase(source.dbPath, { mustExist: true });
  const { target, schema } = args.target;
  try {
    const { lock } = sqlitePorts(createIssueStore(handle));
    const copied = await withRunLock(lock, { wait: false, log }, async () => {
      const mirror = await openPgMirror({ connectionString: target.connectionString, schema });
      try {
        return await copySqliteToPostgres(handle.sqlite, mirror.pool, schema);
      } finally {
        await mirror.close();
      }
    });
    if (!args.quiet) {
      const width = Math.max(...copied.map((t) => t.table.length));
      for (const t of copied) {
        process.stdout.write(
          `${t.table.padEnd(width)}  ${String(t.rows).padStart(9)} rows  sha256 ${t.checksum}  verified\n`,
        );
      }
      process.stdout.write(
        `copied ${source.dbPath} into schema "${schema}" of ${target.redacted} in ${formatElapsed(Date.now() - started)}: row counts and checksums verified; set SPEAKUP_DB to that URL (and SPEAKUP_DB_SCHEMA=${schema}) to sync there\n`,
      );
    }
    return EXIT.OK;
  } finally {
    handle.close();
  }
}
