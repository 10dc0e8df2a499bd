/**
 * One writer per database across processes (the daemon, a manual `sync`, a second shell): a lease held
 * in the database itself, refreshed by a heartbeat while the run lasts, and taken over when its holder
 * is dead. node-cron's noOverlap only covers one process; this covers every process using the database.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LockedError, SyncError } from '../errors.js';
import type { Lease, LockHolder, RunLock } from './ports.js';

export interface RunLockOptions {
  /** Wait for the holder to finish instead of failing with LockedError. */
  wait: boolean;
  signal?: AbortSignal;
  log: Logger;
  pollMs?: number;
  heartbeatMs?: number;
}

/** Run `fn` holding the lease; throws LockedError naming the holder when it is taken and `wait` is off. */
export async function withRunLock<T>(
  lock: RunLock,
  opts: RunLockOptions,
  fn: (lease: Lease) => Promise<T>,
): Promise<T> {
  const lease = await acquire(lock, opts);
  const beat = setInterval(() => void heartbeat(lease, opts.log), opts.heartbeatMs ?? lock.heartbeatMs ?? 10_000);
  beat.unref();
  try {
    return await fn(lease);
  } finally {
    clearInterval(beat);
    await lease.release();
  }
}

/** Polls until the lock is ours, or fails at once when `wait` is off. */
async function acquire(lock: RunLock, opts: RunLockOptions): Promise<Lease> {
  let announced = false;
  for (;;) {
    const got = await lock.tryAcquire();
    if (got.ok) {
      if (got.takenOver) opts.log.warn({ holder: got.takenOver }, 'took over the sync lock of a process that is gone');
      return got.lease;
    }
    const who = describeHolder(got.holder);
    if (!opts.wait) {
      throw new LockedError(
        `another sync is running on this database (${who}); wait for it to finish, or run with --wait`,
      );
    }
    if (!announced) opts.log.info({ holder: got.holder }, `waiting for the sync held by ${who}`);
    announced = true;
    try {
      await sleep(opts.pollMs ?? 1000, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw new SyncError('ABORTED', 'stopped by signal while waiting for the lock', { cause: err });
    }
  }
}

async function heartbeat(lease: Lease, log: Logger): Promise<void> {
  try {
    if (!(await lease.heartbeat())) log.warn('the sync lock was taken over by another process');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'lock heartbeat failed');
  }
}

function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, since ${h.acquiredAt}`;
}
