/**
 * Erasing issue content from the SQLite mirror: on request (`speakup-sync erase`), and by the purge of
 * issues deleted at the source (purge.ts). What goes: the detail JSON, summary, description, field values
 * and the full-text entry. What stays: the id, custom id, dates, tracked columns and their change history.
 *
 * "Gone" means gone from the bytes of the file: every connection runs with `secure_delete` on (open.ts),
 * so freed cells and pages are zeroed; FTS5 keeps its own copies of the text (the content table and the
 * terms in its index segments), which the 'optimize' command rewrites without the deleted rows; and the
 * WAL, which still holds earlier page images, is checkpointed and truncated to zero bytes.
 */
import { userInfo } from 'node:os';
import { sql } from 'drizzle-orm';
import { SyncError } from '../errors.js';
import { processIdentity } from './identity.js';
import { chunks } from './issue-writes.js';
import type { DatabaseHandle } from './open.js';
import { eraseLog, issues } from './schema.js';

/** Who asked for an erase, as the audit table records it. */
export interface EraseActor {
  osUser: string;
  host: string;
}

/** The current OS user and host. */
export function currentActor(): EraseActor {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry (some containers): the numeric uid still names the account.
    osUser = `uid ${process.getuid?.() ?? '?'}`;
  }
  return { osUser, host: processIdentity().host };
}

/** `erase` named ids the mirror does not hold: nothing was changed. */
export class UnknownIssueError extends SyncError {
  constructor(readonly ids: readonly number[]) {
    super(
      'ISSUE_UNKNOWN',
      `no issue ${ids.join(', ')} in the mirror; nothing was erased (check the id: \`speakup-sync status\` or the issues table)`,
    );
  }
}

/** What an erase or undo did. */
export interface EraseResult {
  ids: number[];
  at: string;
  /** Whether the WAL could be truncated (false: another connection was reading; it is retried next time). */
  walTruncated: boolean;
}

/** The erase operations on one connection, synchronous. */
export interface EraseOps {
  /** Erases the content of `ids` now and marks them so later runs store them without content. */
  erase(ids: readonly number[], at: string, actor: EraseActor): EraseResult;
  /** Lifts the marker: the next run fetches and stores the issues' content again. */
  undo(ids: readonly number[], at: string, actor: EraseActor): EraseResult;
  /** When the last erase was made (undefined: never). */
  lastEraseAt(): string | undefined;
}

/** Empties the content of `ids` inside the caller's transaction; `at` becomes purged_at where unset. */
export function emptyContent(handle: DatabaseHandle, ids: readonly number[], at: string): void {
  const { sqlite } = handle;
  const blank = sqlite.prepare(
    `UPDATE issues SET summary = NULL, description = NULL, data = '{}', purged_at = coalesce(purged_at, ?)
     WHERE id IN (SELECT value FROM json_each(?))`,
  );
  const fields = sqlite.prepare('DELETE FROM issue_field_values WHERE issue_id IN (SELECT value FROM json_each(?))');
  const fts = sqlite.prepare('DELETE FROM issues_fts WHERE rowid IN (SELECT value FROM json_each(?))');
  for (const chunk of chunks(ids)) {
    const list = JSON.stringify(chunk);
    blank.run(at, list);
    fields.run(list);
    fts.run(list);
  }
}

/**
 * Rewrites the full-text index without deleted rows and truncates the WAL. Call after the transaction
 * that emptied content has committed. Returns whether the WAL is now empty.
 */
export function scrubFile(handle: DatabaseHandle): boolean {
  const { sqlite } = handle;
  // 'optimize' merges every segment into one: terms of deleted rows are dropped, and the old segments'
  // pages are freed (and zeroed, secure_delete being on).
  sqlite.prepare("INSERT INTO issues_fts(issues_fts) VALUES('optimize')").run();
  if (handle.path === ':memory:') return true;
  const row = sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  return row[0]?.busy === 0;
}

/** Builds the erase operations over an open mirror. */
export function createEraseOps(handle: DatabaseHandle): EraseOps {
  const { db, sqlite } = handle;
  const known = sqlite.prepare('SELECT id FROM issues WHERE id IN (SELECT value FROM json_each(?))').pluck();
  const mark = sqlite.prepare('UPDATE issues SET erased_at = ? WHERE id IN (SELECT value FROM json_each(?))');
  const unmark = sqlite.prepare('UPDATE issues SET erased_at = NULL WHERE id IN (SELECT value FROM json_each(?))');
  const audit = (action: 'erase' | 'undo', ids: readonly number[], at: string, actor: EraseActor): void => {
    db.insert(eraseLog)
      .values({ at, action, issueIds: JSON.stringify(ids), osUser: actor.osUser, host: actor.host })
      .run();
  };
  const checkKnown = (ids: readonly number[]): void => {
    const found = new Set<number>();
    for (const chunk of chunks(ids)) for (const id of known.all(JSON.stringify(chunk)) as number[]) found.add(id);
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) throw new UnknownIssueError(unknown);
  };
  return {
    erase(ids, at, actor) {
      const list = [...new Set(ids)];
      db.transaction(
        () => {
          checkKnown(list);
          emptyContent(handle, list, at);
          for (const chunk of chunks(list)) mark.run(at, JSON.stringify(chunk));
          audit('erase', list, at, actor);
        },
        { behavior: 'immediate' },
      );
      return { ids: list, at, walTruncated: scrubFile(handle) };
    },
    undo(ids, at, actor) {
      const list = [...new Set(ids)];
      db.transaction(
        () => {
          checkKnown(list);
          for (const chunk of chunks(list)) unmark.run(JSON.stringify(chunk));
          audit('undo', list, at, actor);
        },
        { behavior: 'immediate' },
      );
      return { ids: list, at, walTruncated: true };
    },
    lastEraseAt() {
      const row = db
        .select({ at: sql<string | null>`max(${eraseLog.at})` })
        .from(eraseLog)
        .where(sql`${eraseLog.action} = 'erase'`)
        .get();
      return row?.at ?? undefined;
    },
  };
}

/** The issues still marked erased, for tests and `status`. */
export function erasedIds(handle: DatabaseHandle): number[] {
  return handle.db
    .select({ id: issues.id })
    .from(issues)
    .where(sql`${issues.erasedAt} IS NOT NULL`)
    .all()
    .map((r) => r.id);
}
