/**
 * `speakup-sync erase` on a PostgreSQL mirror: the same erase, undo, audit and run lock as on SQLite
 * (erase.ts), through db/postgres/privacy.ts. PostgreSQL reclaims the old row versions at VACUUM.
 */
import type { Logger } from 'pino';
import type { PostgresDbConfig } from '../../config/types.js';
import { currentActor } from '../../db/erase.js';
import { createPgPrivacy } from '../../db/postgres/privacy.js';
import { openPgMirror } from '../../db/postgres/store.js';
import { withRunLock } from '../../sync/run-lock.js';
import { EXIT } from '../exit-codes.js';
import { describeErase, type EraseArgs } from './erase.js';

/** Erases (or un-erases) in the configured schema under the run lock; exit codes as on SQLite. */
export async function pgEraseCommand(pgConfig: PostgresDbConfig, log: Logger, args: EraseArgs): Promise<number> {
  const mirror = await openPgMirror({ connectionString: pgConfig.target.connectionString, schema: pgConfig.schema });
  try {
    const privacy = createPgPrivacy(mirror.pool, pgConfig.schema);
    const at = new Date().toISOString();
    const ids = await withRunLock(mirror.lock, { wait: false, log }, () =>
      args.undo ? privacy.undo(args.ids, at, currentActor()) : privacy.erase(args.ids, at, currentActor()),
    );
    if (!args.quiet) process.stdout.write(`${describeErase(ids, at, args.undo)}\n`);
    return EXIT.OK;
  } finally {
    await mirror.close();
  }
}
