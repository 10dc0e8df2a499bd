/**
 * The rule for the alert on `partial` runs that store nothing, in a neutral module: the sync core's
 * metrics, `status` on SQLite and PostgreSQL and a starting daemon all count the streak the same way.
 */

/** Whether a run adds to the streak of `partial` runs that stored nothing. */
export function isEmptyPartial(status: string, fetched: number): boolean {
  return status === 'partial' && fetched === 0;
}

/** The streak of `partial` runs that stored nothing, from finished runs newest first. */
export function emptyPartialStreak(newestFirst: readonly { status: string; fetched: number }[]): number {
  const broken = newestFirst.findIndex((r) => !isEmptyPartial(r.status, r.fetched));
  return broken === -1 ? newestFirst.length : broken;
}
