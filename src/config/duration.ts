/**
 * Durations as operators write them (`90s`, `15m`, `1h30m`, `2d`), and the default staleness threshold
 * derived from the schedule. Durations shown to people are formatted by format.ts.
 */
import cron from 'node-cron';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Milliseconds of "90s", "15m", "1h30m", "2d", "500ms"; undefined for anything else or for zero. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = PART.lastIndex;
  }
  return end === s.length && total > 0 ? Math.round(total) : undefined;
}

/** The floor of the default staleness threshold. */
export const MIN_STALE_AFTER_MS = 3_600_000;
const LOOKAHEAD_RUNS = 8;

/**
 * Default SPEAKUP_STALE_AFTER: twice the longest gap between the schedule's next runs, at least 1 h.
 * Twice, so one failed or skipped run is not an alarm; the longest gap, so a weekday-only schedule does
 * not alarm every Monday morning.
 */
export function defaultStaleAfterMs(expr: string, timezone: string): number {
  // createTask does not start the task; destroy() removes it from node-cron's registry again.
  const task = cron.createTask(expr, () => undefined, { timezone });
  try {
    const runs = task.getNextRuns(LOOKAHEAD_RUNS).map((d) => d.getTime());
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return Math.max(MIN_STALE_AFTER_MS, 2 * longest);
  } finally {
    void task.destroy();
  }
}
