/**
 * Schema drift as `status` shows it: how many detail paths the runs know, which appeared after the first
 * run that recorded paths, which mapped ones stopped appearing, and the newest run's counts. Names only.
 */
import type Database from 'better-sqlite3';

/** The drift part of `status` (stable field names: scripts read `status --json`). */
export interface DriftStatus {
  knownPaths: number;
  /** Paths first seen after the baseline run, newest first (at most 20). */
  newPaths: { path: string; firstSeenRun: number; firstSeenAt: string }[];
  /** Mapped paths reported missing and not seen since. */
  missingPaths: { path: string; missingSinceRun: number }[];
  /** The newest finished run's counts. */
  lastRun: { runId: number; newPaths: number; lostPaths: number } | null;
}

/** Reads the drift state; undefined for a mirror whose schema predates drift tracking. */
export function readDriftStatus(sqlite: Database.Database): DriftStatus | undefined {
  try {
    const knownPaths = (sqlite.prepare('SELECT count(*) FROM detail_paths').pluck().get() as number) ?? 0;
    const newPaths = sqlite
      .prepare(
        `SELECT path, first_seen_run AS firstSeenRun, first_seen_at AS firstSeenAt FROM detail_paths
        WHERE first_seen_run > (SELECT min(first_seen_run) FROM detail_paths) ORDER BY first_seen_run DESC, path LIMIT 20`,
      )
      .all() as DriftStatus['newPaths'];
    const missingPaths = sqlite
      .prepare(
        'SELECT path, missing_since_run AS missingSinceRun FROM detail_paths WHERE missing_since_run IS NOT NULL ORDER BY path',
      )
      .all() as DriftStatus['missingPaths'];
    const last = sqlite
      .prepare(
        `SELECT id AS runId, new_paths AS newPaths, lost_paths AS lostPaths FROM sync_runs
        WHERE status <> 'running' ORDER BY id DESC LIMIT 1`,
      )
      .get() as DriftStatus['lastRun'] | undefined;
    return { knownPaths, newPaths, missingPaths, lastRun: last ?? null };
  } catch {
    return undefined;
  }
}

/** One line for the text report. */
export function driftLine(d: DriftStatus | undefined): string {
  if (d === undefined) return 'not tracked by this database yet (run a sync)';
  if (d.knownPaths === 0) return 'no detail paths recorded yet';
  const list = (xs: string[]) => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')}, …` : xs.join(', '));
  const parts = [`${d.knownPaths} detail paths known`];
  if (d.newPaths.length > 0) parts.push(`new since the first run: ${list(d.newPaths.map((p) => p.path))}`);
  if (d.missingPaths.length > 0)
    parts.push(`mapped but missing: ${list(d.missingPaths.map((p) => p.path))} (see docs/inspect.md)`);
  if (d.newPaths.length === 0 && d.missingPaths.length === 0) parts.push('no change since the first run');
  return parts.join('; ');
}
