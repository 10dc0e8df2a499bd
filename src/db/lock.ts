/**
 * The cross-process sync lease: one row in `sync_lock`, claimed inside BEGIN IMMEDIATE so two processes
 * cannot both see it free. node-cron's noOverlap guards one process only; this guards the file.
 * BI readers never touch the row, so the lease never blocks them.
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Lease, LockAttempt, LockHolder, RunLock } from '../sync/ports.js';
import { isProcessAlive, type ProcessIdentity } from './identity.js';
import type { AppDatabase } from './open.js';
import { syncLock } from './schema.js';
import { settled } from './settled.js';

export type { LockHolder };

/** Outcome of {@link SyncLockOps.acquireLock}; `takenOver` names a dead or stale holder that was replaced. */
export type LockResult = { ok: true; takenOver?: LockHolder } | { ok: false; holder: LockHolder };

/** Who asks for the lease (default: this process) and when a silent holder counts as gone. */
export interface AcquireLockInput {
  pid?: number;
  host?: string;
  runId?: number;
  /** ISO timestamp for acquired_at / heartbeat_at (default: now). */
  now?: string;
  /** A holder whose heartbeat is older than this is taken over, whatever its host (default 10 min). */
  staleAfterMs?: number;
}

/** Lease operations; heartbeat and release act only while this object's owner still holds the row. */
export interface SyncLockOps {
  acquireLock(input?: AcquireLockInput): LockResult;
  /** Refreshes heartbeat_at (and run_id when given); false when the lease was lost to another process. */
  heartbeatLock(now?: string, runId?: number): boolean;
  /** Deletes the row if still ours; false when it was not. */
  releaseLock(): boolean;
  /** The token of the holding, while this object holds (or held) the lease. */
  lockToken(): string | undefined;
}

/** Default lease: a holder silent this long is presumed gone (SPEAKUP_LOCK_STALE_AFTER). */
export const DEFAULT_LOCK_STALE_MS = 10 * 60_000;

/**
 * How often a holder refreshes a lease of this stale limit: six beats fit in it, so a late beat or two
 * (a busy disk, a slow event loop) never makes a live holder look gone; never rarer than every 10 s.
 */
export function lockHeartbeatMs(staleAfterMs: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(staleAfterMs / 6)));
}

/** Builds the lease operations over one connection; `me` is the default owner identity. */
export function createLockOps(db: AppDatabase, me: ProcessIdentity): SyncLockOps {
  // The holding's random token: pid and host alone do not tell two containers (both pid 1, same
  // hostname) apart, nor a holder from the process that took its lease over after a long pause.
  let owner: { token: string } | undefined;
  const P = sql.placeholder;
  const ours = sql`${syncLock.id} = 1 AND ${syncLock.token} = ${P('token')}`;
  const read = db.select().from(syncLock).where(eq(syncLock.id, 1)).prepare();
  const claim = db
    .insert(syncLock)
    .values({
      id: 1,
      pid: P('pid'),
      host: P('host'),
      runId: P('runId'),
      acquiredAt: P('now'),
      heartbeatAt: P('now'),
      token: P('token'),
    })
    .onConflictDoUpdate({
      target: syncLock.id,
      set: {
        pid: sql`excluded.pid`,
        host: sql`excluded.host`,
        runId: sql`excluded.run_id`,
        acquiredAt: sql`excluded.acquired_at`,
        heartbeatAt: sql`excluded.heartbeat_at`,
        token: sql`excluded.token`,
      },
    })
    .prepare();
  const beat = db
    .update(syncLock)
    .set({ heartbeatAt: sql`${P('now')}`, runId: sql`coalesce(${P('runId')}, ${syncLock.runId})` })
    .where(ours)
    .prepare();
  const drop = db.delete(syncLock).where(ours).prepare();

  return {
    acquireLock(input = {}) {
      const pid = input.pid ?? me.pid;
      const host = input.host ?? me.host;
      const now = input.now ?? new Date().toISOString();
      const staleAfterMs = input.staleAfterMs ?? DEFAULT_LOCK_STALE_MS;
      return db.transaction(
        (): LockResult => {
          const row = read.get();
          // Our own token: a re-acquire. Another holder with our pid and host is another process (a
          // container with the same hostname and pid) or an earlier incarnation: only staleness frees it.
          const same = row !== undefined && owner !== undefined && row.token === owner.token;
          if (row && !same) {
            const twin = row.pid === pid && row.host === host;
            const dead = !twin && row.host === host && !isProcessAlive(row.pid);
            const stale = Date.parse(now) - Date.parse(row.heartbeatAt) > staleAfterMs;
            if (!dead && !stale) return { ok: false, holder: holderOf(row) };
          }
          const token = same ? owner!.token : randomBytes(16).toString('hex');
          claim.run({ pid, host, runId: input.runId ?? null, now, token });
          owner = { token };
          return row && !same ? { ok: true, takenOver: holderOf(row) } : { ok: true };
        },
        { behavior: 'immediate' },
      );
    },
    heartbeatLock(now, runId) {
      if (!owner) return false;
      return beat.run({ ...owner, now: now ?? new Date().toISOString(), runId: runId ?? null }).changes === 1;
    },
    lockToken: () => owner?.token,
    releaseLock() {
      if (!owner) return false;
      const released = drop.run(owner).changes === 1;
      owner = undefined;
      return released;
    },
  };
}

/**
 * The core's run lock over these operations; the lease's token is the row's. A holder silent for
 * `staleAfterMs` is taken over, and holders beat at {@link lockHeartbeatMs} of it.
 */
export function runLockPort(ops: SyncLockOps, me: ProcessIdentity, staleAfterMs = DEFAULT_LOCK_STALE_MS): RunLock {
  return {
    heartbeatMs: lockHeartbeatMs(staleAfterMs),
    tryAcquire: () =>
      settled((): LockAttempt => {
        const got = ops.acquireLock({ staleAfterMs });
        if (!got.ok) return got;
        const lease = leaseOf(ops, ops.lockToken() ?? `${me.pid}@${me.host}`);
        return got.takenOver ? { ok: true, lease, takenOver: got.takenOver } : { ok: true, lease };
      }),
  };
}

function leaseOf(ops: SyncLockOps, token: string): Lease {
  const lost = new AbortController();
  return {
    token,
    lost: lost.signal,
    heartbeat: () =>
      settled(() => {
        const ours = ops.heartbeatLock();
        if (!ours) lost.abort(new Error('the sync lock was taken over by another process'));
        return ours;
      }),
    release: () => settled(() => void ops.releaseLock()),
  };
}

function holderOf(row: typeof syncLock.$inferSelect): LockHolder {
  return { pid: row.pid, host: row.host, runId: row.runId, acquiredAt: row.acquiredAt, heartbeatAt: row.heartbeatAt };
}
