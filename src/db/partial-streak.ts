/** The streak of `partial` runs that stored no issue, read from the run log (`status`, the daemon's start). */
import type Database from 'better-sqlite3';
import { emptyPartialStreak as streakOf } from '../empty-partial-streak.js';

/** How many of the latest finished runs, in a row, ended `partial` with nothing stored (at most `limit`). */
export function emptyPartialStreak(sqlite: Database.Database, limit: number): number {
  const rows = sqlite
    .prepare("SELECT status, fetched FROM sync_runs WHERE status <> 'running' ORDER BY id DESC LIMIT ?")
    .all(limit) as { status: string; fetched: number }[];
  return streakOf(rows);
}
