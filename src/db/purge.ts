/**
 * The purge of issues deleted at the source: once an issue has been deleted (deleted_at) for the
 * configured time, its content is erased the way `erase` does it (erase.ts), and purged_at records when.
 * Runs at the end of a sync run, after the run's own soft-deletions, so a retention of 0 purges in the
 * run that confirms the deletion.
 */
import type { DatabaseHandle } from './open.js';
import { emptyContent, scrubFile } from './erase.js';

/** What a purge did. */
export interface PurgeResult {
  purged: number;
  /** Whether the WAL could be truncated (false: a reader was active; the next purge or erase retries). */
  walTruncated: boolean;
}

/** Builds the purge over an open mirror: `purge(deletedUpTo, at)` erases issues deleted at or before `deletedUpTo`. */
export function createPurge(handle: DatabaseHandle): (deletedUpTo: string, at: string) => PurgeResult {
  const { db, sqlite } = handle;
  // ISO-8601 text in toISOString() form (a schema CHECK): text order is time order.
  const due = sqlite
    .prepare('SELECT id FROM issues WHERE deleted_at IS NOT NULL AND deleted_at <= ? AND purged_at IS NULL')
    .pluck();
  return (deletedUpTo, at) => {
    let ids: number[] = [];
    db.transaction(
      () => {
        ids = due.all(deletedUpTo) as number[];
        if (ids.length > 0) emptyContent(handle, ids, at);
      },
      { behavior: 'immediate' },
    );
    if (ids.length === 0) return { purged: 0, walTruncated: true };
    return { purged: ids.length, walTruncated: scrubFile(handle) };
  };
}
