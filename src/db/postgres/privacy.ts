/**
 * Erasure and purge on a PostgreSQL mirror: the same operations and the same result as the SQLite ones
 * (db/erase.ts, db/purge.ts): the detail JSON becomes `{}`, summary and description NULL, field values
 * and the full-text row are deleted; id, custom id, dates, tracked columns and their history stay.
 * PostgreSQL keeps old row versions until VACUUM reclaims them; that is the database's business and the
 * privacy documentation says so.
 */
import type pg from 'pg';
import type { EraseActor } from '../erase.js';
import { UnknownIssueError } from '../erase.js';
import { inTransaction } from './connect.js';
import { quoteSchema } from './names.js';

/** Erase, undo, purge and the last erase's date for mirror `schema`. */
export interface PgPrivacy {
  erase(ids: readonly number[], at: string, actor: EraseActor): Promise<number[]>;
  undo(ids: readonly number[], at: string, actor: EraseActor): Promise<number[]>;
  /** Erases the content of issues deleted at or before `deletedUpTo` and not purged yet; returns how many. */
  purgeDeleted(deletedUpTo: string, at: string): Promise<number>;
  lastEraseAt(): Promise<string | undefined>;
}

export function createPgPrivacy(pool: pg.Pool, schema: string): PgPrivacy {
  const q = quoteSchema(schema);
  const empty = async (client: pg.ClientBase, ids: readonly number[], at: string): Promise<void> => {
    await client.query(
      `UPDATE ${q}.issues SET summary = NULL, description = NULL, data = '{}'::jsonb, purged_at = coalesce(purged_at, $2)
       WHERE id = ANY($1::bigint[])`,
      [ids, at],
    );
    await client.query(`DELETE FROM ${q}.issue_field_values WHERE issue_id = ANY($1::bigint[])`, [ids]);
    await client.query(`DELETE FROM ${q}.issues_fts WHERE issue_id = ANY($1::bigint[])`, [ids]);
  };
  const checkKnown = async (client: pg.ClientBase, ids: readonly number[]): Promise<void> => {
    // FOR UPDATE: a concurrent run cannot rewrite these rows between the check and the erase.
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${q}.issues WHERE id = ANY($1::bigint[]) FOR UPDATE`,
      [ids],
    );
    const found = new Set(rows.map((r) => Number(r.id)));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) throw new UnknownIssueError(unknown);
  };
  const audit = (client: pg.ClientBase, action: 'erase' | 'undo', ids: readonly number[], at: string, a: EraseActor) =>
    client.query(`INSERT INTO ${q}.erase_log (at, action, issue_ids, os_user, host) VALUES ($1, $2, $3, $4, $5)`, [
      at,
      action,
      JSON.stringify(ids),
      a.osUser,
      a.host,
    ]);
  return {
    async erase(ids, at, actor) {
      const list = [...new Set(ids)];
      await inTransaction(pool, async (client) => {
        await checkKnown(client, list);
        await empty(client, list, at);
        await client.query(`UPDATE ${q}.issues SET erased_at = $2 WHERE id = ANY($1::bigint[])`, [list, at]);
        await audit(client, 'erase', list, at, actor);
      });
      return list;
    },
    async undo(ids, at, actor) {
      const list = [...new Set(ids)];
      await inTransaction(pool, async (client) => {
        await checkKnown(client, list);
        await client.query(`UPDATE ${q}.issues SET erased_at = NULL WHERE id = ANY($1::bigint[])`, [list]);
        await audit(client, 'undo', list, at, actor);
      });
      return list;
    },
    purgeDeleted(deletedUpTo, at) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `SELECT id FROM ${q}.issues WHERE deleted_at IS NOT NULL AND deleted_at <= $1 AND purged_at IS NULL FOR UPDATE`,
          [deletedUpTo],
        );
        const ids = rows.map((r) => Number(r.id));
        if (ids.length > 0) await empty(client, ids, at);
        return ids.length;
      });
    },
    async lastEraseAt() {
      const { rows } = await pool.query<{ at: string | null }>(
        `SELECT max(at) AS at FROM ${q}.erase_log WHERE action = 'erase'`,
      );
      return rows[0]?.at ?? undefined;
    },
  };
}
