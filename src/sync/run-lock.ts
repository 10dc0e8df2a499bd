/**
 * One writer per database across processes (the daemon, a manual `sync`, a second shell): a lease row in
 * the database itself, claimed in a write transaction, refreshed by a heartbeat while the run lasts, and
 * taken over when its holder is dead. node-cron's noOverlap only covers one process (anchors §4.1).
 * BI readers never touch the lease, and WAL lets them read while we write.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LockedError, SyncError } from '../errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
}

/** The lease as the core sees it; db/lock.ts implements it. */
export interface LockPort {
  tryAcquire(): { ok: true } | { ok: false; holder: LockHolder };
  heartbeat(): void;
  release(): void;
}

export interface RunLockOptions {
  /** Wait for the holder to finish instead of failing with LockedError. */
  wait: boolean;
  signal?: AbortSignal;
  log: Logger;
  pollMs?: number;
  heartbeatMs?: number;
}

/** Run `fn` holding the lease; throws LockedError naming the holder when it is taken and `wait` is off. */
export async function withRunLock<T>(lock: LockPort, opts: RunLockOptions, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    const got = lock.tryAcquire();
    if (got.ok) break;
    const who = `pid ${got.holder.pid} on ${got.holder.host}, since ${got.holder.acquiredAt}`;
    if (!opts.wait) {
      throw new LockedError(`another sync is running on this database (${who}); wait for it to finish, or run with --wait`);
    }
    if (!announced) opts.log.info({ holder: got.holder }, `waiting for the sync held by ${who}`);
    announced = true;
    try {
      await sleep(opts.pollMs ?? 1000, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw new SyncError('ABORTED', 'stopped by signal while waiting for the lock', { cause: err });
    }
  }
  const beat = setInterval(() => {
    try {
      lock.heartbeat();
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'lock heartbeat failed');
    }
  }, opts.heartbeatMs ?? 10_000);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    lock.release();
  }
}
