/**
 * `speakup-sync erase --issue ID [--issue ID …] [--undo]`: erases those issues' content from the mirror
 * at once, even while they are live at the source, and marks them so later runs store them without
 * content; `--undo` lifts the marker (the next run stores their content again). Every use is recorded in
 * the erase_log table (OS user, host, time, ids; never content). It takes the run lock like a sync, so
 * it never interleaves with a run's writes.
 */
import type { Logger } from 'pino';
import type { DbConfig } from '../../config/types.js';
import { createEraseOps, currentActor } from '../../db/erase.js';
import { createIssueStore, sqlitePorts } from '../../db/issue-store.js';
import { openDatabase } from '../../db/open.js';
import { UsageError } from '../../errors.js';
import { withRunLock } from '../../sync/run-lock.js';
import { EXIT } from '../exit-codes.js';

export interface EraseArgs {
  ids: number[];
  undo: boolean;
  quiet: boolean;
}

/** The `--issue` values as issue ids; UsageError for none or for one that is not a positive integer. */
export function parseIssueIds(values: readonly string[] | undefined): number[] {
  if (!values || values.length === 0) throw new UsageError('erase needs at least one --issue ID');
  return values.map((v) => {
    if (!/^\d{1,15}$/.test(v.trim()) || Number(v) <= 0)
      throw new UsageError(`--issue: expected a positive issue id (got ${JSON.stringify(v)})`);
    return Number(v);
  });
}

/** Erases (or un-erases) under the run lock; exit 0, 1 for an unknown id (nothing changed), 75 while a run holds the lock. */
export async function eraseCommand(config: DbConfig, log: Logger, args: EraseArgs): Promise<number> {
  if (config.postgres) {
    const { pgEraseCommand } = await import('./erase-postgres.js');
    return pgEraseCommand(config.postgres, log, args);
  }
  const handle = openDatabase(config.dbPath, { mustExist: true });
  try {
    const store = createIssueStore(handle);
    const { lock } = sqlitePorts(store);
    const ops = createEraseOps(handle);
    const at = new Date().toISOString();
    const result = await withRunLock(lock, { wait: false, log }, () =>
      Promise.resolve(args.undo ? ops.undo(args.ids, at, currentActor()) : ops.erase(args.ids, at, currentActor())),
    );
    if (!args.quiet) process.stdout.write(`${describeErase(result.ids, result.at, args.undo)}\n`);
    if (!result.walTruncated)
      log.warn(
        'another connection is reading the database: its -wal file is emptied at the next erase, purge or checkpoint',
      );
    return EXIT.OK;
  } finally {
    handle.close();
  }
}

/** The line `erase` prints. */
export function describeErase(ids: readonly number[], at: string, undo: boolean): string {
  const list = ids.join(', ');
  const s = ids.length === 1 ? '' : 's';
  return undo
    ? `erase undone for issue${s} ${list} at ${at}: the next run stores their content again`
    : `erased issue${s} ${list} at ${at}: content removed from the database; later runs keep them empty until \`speakup-sync erase --undo\``;
}
