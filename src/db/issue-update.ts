/**
 * Writing a changed issue's own row, as an UPDATE of the row already stored (the caller has read it in the
 * same transaction), not an INSERT … ON CONFLICT DO UPDATE that first tries the insert. Most edits leave
 * the issue's dates and domain alone; SQLite updates an index, and checks a CHECK constraint, only when the
 * statement assigns one of its columns, so when those columns hold the same values and the issue is
 * neither deleted nor purged, a narrower UPDATE leaves them out: the stored row ends up the same.
 */
import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { MappedIssueRow } from '../sync/ports.js';
import { nativeStatement } from './native.js';
import type { DatabaseHandle } from './open.js';
import { issues, type IssueRow } from './schema.js';

const P = sql.placeholder;

/** Indexed or CHECKed columns that an edit seldom changes: assigned only when they differ from the stored row. */
const STABLE = ['createdAt', 'receivedAt', 'acknowledgedAt', 'closedAt', 'domainId', 'dueAt'] as const;

/** What the narrow UPDATE needs to know of the stored row. */
export type StoredIssue = Pick<IssueRow, (typeof STABLE)[number] | 'deletedAt' | 'purgedAt'>;

/** The stored columns to read for it, for a select list. */
export const storedIssueColumns = {
  createdAt: issues.createdAt,
  receivedAt: issues.receivedAt,
  acknowledgedAt: issues.acknowledgedAt,
  closedAt: issues.closedAt,
  domainId: issues.domainId,
  dueAt: issues.dueAt,
  deletedAt: issues.deletedAt,
  purgedAt: issues.purgedAt,
};

/** Writes `issue` over its stored row; `stored` is that row as read in this transaction, if still current. */
export type UpdateIssue = (issue: MappedIssueRow, stored: StoredIssue | undefined) => void;

/** Prepares both UPDATEs; `mappedKeys` are the columns the mapper fills (as for the insert). */
export function prepareIssueUpdate({ db, sqlite }: DatabaseHandle, mappedKeys: readonly string[]): UpdateIssue {
  const columns = getTableColumns(issues);
  // Never `id`: assigning the primary key, even unchanged, makes SQLite check every child row's FK.
  const assigned = (keys: readonly string[]) =>
    Object.fromEntries(keys.filter((k) => k !== 'id' && k in columns).map((k) => [k, P(k)]));
  const full = nativeStatement(
    sqlite,
    db
      .update(issues)
      .set({
        ...assigned(mappedKeys),
        // As the insert's conflict rule: first_seen_at kept, deletion cleared, a purge cleared unless erased.
        deletedAt: sql`NULL`,
        purgedAt: sql`CASE WHEN ${issues.erasedAt} IS NULL THEN NULL ELSE ${issues.purgedAt} END`,
      })
      .where(eq(issues.id, P('id'))),
  );
  const stable = new Set<string>(STABLE);
  const narrow = nativeStatement(
    sqlite,
    db
      .update(issues)
      .set(assigned(mappedKeys.filter((k) => !stable.has(k))))
      .where(eq(issues.id, P('id'))),
  );
  return (issue, stored) => {
    if (stored !== undefined && sameStable(stored, issue)) narrow.run(issue);
    else full.run(issue);
  };
}

/** True when the narrow UPDATE gives the same row: nothing to clear and every stable column unchanged. */
function sameStable(stored: StoredIssue, issue: MappedIssueRow): boolean {
  if (stored.deletedAt !== null || stored.purgedAt !== null) return false;
  for (const k of STABLE) if (stored[k] !== issue[k]) return false;
  return true;
}
