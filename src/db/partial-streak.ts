/** The streak of `partial` runs that stored no issue, read from the run log (for `status`). */
import type Database from 'better-sqlite3';

/** How many of the latest finished runs, in a row, ended `partial` with nothing stored (at most `limit`). */
export function emptyPartialStreak(sqlite: Database.Database, limit: number): number {
  const rows = sqlite
    .prepare("SELECT status, fetched FROM sync_runs WHERE status <> 'running' ORDER BY id DESC LIMIT ?")
    .all(limit) as { status: string; fetched: number }[];
  // The daemon's metrics count the same runs (isEmptyPartial in the sync core).
  const broken = rows.findIndex((r) => !(r.status === 'partial' && r.fetched === 0));
  return broken === -1 ? rows.length : broken;
}
