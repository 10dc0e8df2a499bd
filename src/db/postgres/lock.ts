/**
 * The run lock on PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) keyed by the schema name,
 * held on a connection of its own for the whole run. A pooled connection would hand the lock to whoever
 * borrows it next; a dedicated one keeps it exactly as long as the holder lives: when the process dies or
 * its connection drops, the server ends the session and the lock is free for the next run, with no stale
 * lease to time out. The `sync_lock` row says who holds it (for the loser's message and `status`) and
 * carries the holding's random token, which every heartbeat checks: a holder cut off from the server
 * whose session, and lock, the server ended meanwhile finds another token there and stops.
 */
import { randomBytes } from 'node:crypto';
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
  /** A heartbeat not answered within this long loses the lease (default 30 s). */
  heartbeatTimeoutMs?: number;
  /** Told the token of each holding taken (the store checks it before deleting). */
  onAcquired?: (token: string) => void;
}

/** Long enough for a busy server, short enough that a cut-off holder stops well before a stale run matters. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;

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

function selectHolderSql(q: string): string {
  return `SELECT pid, host, run_id, acquired_at, heartbeat_at FROM ${q}.sync_lock WHERE id = 1`;
}

/** The run lock of one mirror schema; each successful tryAcquire holds one connection until release. */
export function createPgRunLock(options: PgRunLockOptions): RunLock {
  const q = quoteSchema(options.schema);
  const now = options.now ?? (() => new Date());
  const selectHolder = selectHolderSql(q);

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
        // The holding's random token: pid and host alone do not tell two containers (both pid 1, same
        // hostname) apart, nor this holder from one that took the lock over while it was cut off.
        const token = randomBytes(16).toString('hex');
        await client.query(
          `INSERT INTO ${q}.sync_lock (id, pid, host, run_id, acquired_at, heartbeat_at, token) VALUES (1, $1, $2, NULL, $3, $3, $4)
           ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, run_id = NULL,
             acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, token = excluded.token`,
          [options.me.pid, options.me.host, at, token],
        );
        options.onAcquired?.(token);
        const lease = createLease(client, q, token, options, now);
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

/** Why a lease is lost, as the run reports it. */
function lostError(schema: string, why: string): SyncError {
  return new SyncError('LOCKED', `lost the PostgreSQL run lock of schema "${schema}": ${why}`);
}

function createLease(client: pg.Client, q: string, token: string, options: PgRunLockOptions, now: () => Date): Lease {
  const controller = new AbortController();
  let released = false;
  const lose = (why: string): void => {
    if (released || controller.signal.aborted) return;
    controller.abort(lostError(options.schema, why));
  };
  // The lock lives and dies with this session: when it ends, the lease is gone.
  client.on('end', () => lose('its connection closed'));
  client.on('error', () => lose('its connection closed'));
  const timeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  return {
    token,
    lost: controller.signal,
    async heartbeat() {
      if (controller.signal.aborted) return false;
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), timeoutMs)));
      try {
        // The row must still carry this holding's token: a process that took the lock over wrote its own.
        const beat = client.query(`UPDATE ${q}.sync_lock SET heartbeat_at = $1 WHERE id = 1 AND token = $2`, [
          now().toISOString(),
          token,
        ]);
        beat.catch(() => undefined);
        const res = await Promise.race([beat, silent]);
        if (res === 'silent') {
          // A connection that no longer answers (a host cut off from the server) may have lost its
          // session, and the lock with it, without knowing: the lease is given up and the session closed.
          lose(`its connection did not answer a heartbeat within ${timeoutMs} ms`);
          void client.end().catch(() => undefined);
          return false;
        }
        if (res.rowCount === 1) return !controller.signal.aborted;
        const holder = await client.query<HolderRow>(selectHolderSql(q));
        const who = holder.rows[0] ? `pid ${holder.rows[0].pid} on ${holder.rows[0].host}` : 'another process';
        lose(`it was taken over by ${who}`);
        return false;
      } catch {
        lose('its connection closed');
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async release() {
      if (released) return;
      released = true;
      try {
        if (!controller.signal.aborted) {
          // Only our own row: a holder that lost its lease never removes its successor's.
          await client.query(`DELETE FROM ${q}.sync_lock WHERE id = 1 AND token = $1`, [token]);
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [options.schema]);
        }
      } finally {
        // Closing the session frees the lock even if the statements above failed.
        await client.end().catch(() => undefined);
      }
    },
  };
}
