/**
 * The run lock on PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) keyed by the schema name,
 * held on a connection of its own for the whole run. A pooled connection would hand the lock to whoever
 * borrows it next; a dedicated one keeps it exactly as long as the holder lives: when the process dies or
 * its connection drops, the server ends the session and the lock is free for the next run, with no stale
 * lease to time out. The `sync_lock` row only says who holds it (for the loser's message and `status`).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SyncError } from '../../errors.js';
import type { Lease, LockAttempt, LockHolder, RunLock } from '../../sync/ports.js';
import type { ProcessIdentity } from '../identity.js';
import { quoteSchema } from './names.js';

/** Key of the run lock of the schema given as $1; distinct from the migration lock's. */
export const RUN_LOCK_KEY_SQL = `hashtextextended('speakup-sync:run:' || $1, 0)`;
const LOCK_KEY = RUN_LOCK_KEY_SQL;

export interface PgRunLockOptions {
  /** Connection settings of the lock's own connection (e.g. `{ connectionString }`). */
  connection: pg.ClientConfig;
  schema: string;
  me: ProcessIdentity;
  /** Clock for acquired_at / heartbeat_at (default: now). */
  now?: () => Date;
}

interface HolderRow {
  pid: number;
  host: string;
  run_id: string | null;
  acquired_at: Date;
  heartbeat_at: Date;
}

function toHolder(row: HolderRow): LockHolder {
  return {
    pid: row.pid,
    host: row.host,
    runId: row.run_id === null ? null : Number(row.run_id),
    acquiredAt: row.acquired_at.toISOString(),
    heartbeatAt: row.heartbeat_at.toISOString(),
  };
}

/** The run lock of one mirror schema; each successful tryAcquire holds one connection until release. */
export function createPgRunLock(options: PgRunLockOptions): RunLock {
  const q = quoteSchema(options.schema);
  const now = options.now ?? (() => new Date());
  const selectHolder = `SELECT pid, host, run_id, acquired_at, heartbeat_at FROM ${q}.sync_lock WHERE id = 1`;

  return {
    async tryAcquire(): Promise<LockAttempt> {
      // keepAlive: a holder whose host vanishes is noticed by TCP, not only when it next sends.
      const client = new pg.Client({
        ...options.connection,
        keepAlive: true,
        application_name: 'speakup-sync run lock',
      });
      // An error on an idle client (server restart, terminated session) must not crash the process.
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`, [
          options.schema,
        ]);
        if (!rows[0]!.ok) {
          const holder = await client.query<HolderRow>(selectHolder);
          await client.end();
          return { ok: false, holder: holder.rows[0] ? toHolder(holder.rows[0]) : unknownHolder() };
        }
        // We hold the lock, so a row left here belongs to a holder that died without releasing.
        const previous = await client.query<HolderRow>(selectHolder);
        const at = now().toISOString();
        await client.query(
          `INSERT INTO ${q}.sync_lock (id, pid, host, run_id, acquired_at, heartbeat_at) VALUES (1, $1, $2, NULL, $3, $3)
           ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, run_id = NULL,
             acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
          [options.me.pid, options.me.host, at],
        );
        const lease = createLease(client, q, options, now);
        return previous.rows[0] ? { ok: true, lease, takenOver: toHolder(previous.rows[0]) } : { ok: true, lease };
      } catch (err) {
        await client.end().catch(() => undefined);
        throw new SyncError(
          'DB_ERROR',
          `cannot take the PostgreSQL run lock of schema "${options.schema}": ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
  };
}

/** A holder that has the lock but has not written its row yet (it is between the two statements). */
function unknownHolder(): LockHolder {
  const at = new Date(0).toISOString();
  return { pid: 0, host: 'unknown', runId: null, acquiredAt: at, heartbeatAt: at };
}

function createLease(client: pg.Client, q: string, options: PgRunLockOptions, now: () => Date): Lease {
  const controller = new AbortController();
  let released = false;
  const lose = (): void => {
    if (released || controller.signal.aborted) return;
    controller.abort(
      new SyncError(
        'LOCKED',
        `lost the PostgreSQL run lock of schema "${options.schema}": its connection closed; the run stops without deleting anything`,
      ),
    );
  };
  // The lock lives and dies with this session: when it ends, the lease is gone.
  client.on('end', lose);
  client.on('error', lose);
  return {
    token: randomUUID(),
    lost: controller.signal,
    async heartbeat() {
      if (controller.signal.aborted) return false;
      try {
        await client.query(`UPDATE ${q}.sync_lock SET heartbeat_at = $1 WHERE id = 1`, [now().toISOString()]);
        return true;
      } catch {
        lose();
        return false;
      }
    },
    async release() {
      if (released) return;
      released = true;
      try {
        if (!controller.signal.aborted) {
          await client.query(`DELETE FROM ${q}.sync_lock WHERE id = 1 AND pid = $1 AND host = $2`, [
            options.me.pid,
            options.me.host,
          ]);
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [options.schema]);
        }
      } finally {
        // Closing the session frees the lock even if the statements above failed.
        await client.end().catch(() => undefined);
      }
    },
  };
}
