import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockedError, SyncError } from '../../src/errors.js';
import type { Lease, LockAttempt, LockHolder, RunLock } from '../../src/sync/ports.js';
import { withRunLock } from '../../src/sync/run-lock.js';

const holder: LockHolder = {
  pid: 4242,
  host: 'box',
  runId: 7,
  acquiredAt: '2025-01-01T00:00:00.000Z',
  heartbeatAt: '2025-01-01T00:00:05.000Z',
};

/** A lock held by `holder` for the first `busyFor` attempts; records heartbeats and releases. */
function fakeLock(busyFor = 0, takenOver?: LockHolder) {
  const events: string[] = [];
  let attempts = 0;
  let ours = true;
  const lost = new AbortController();
  const lease: Lease = {
    token: 'test',
    lost: lost.signal,
    heartbeat() {
      events.push('heartbeat');
      if (!ours) lost.abort();
      return Promise.resolve(ours);
    },
    release() {
      events.push('release');
      return Promise.resolve();
    },
  };
  const lock: RunLock = {
    tryAcquire() {
      attempts++;
      events.push('tryAcquire');
      const got: LockAttempt =
        attempts <= busyFor ? { ok: false, holder } : takenOver ? { ok: true, lease, takenOver } : { ok: true, lease };
      return Promise.resolve(got);
    },
  };
  return { lock, lease, events, loseIt: () => void (ours = false) };
}

function capture() {
  const lines: Array<{ msg: string; level: number; holder?: LockHolder }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('withRunLock', () => {
  it('runs the work holding the lease and releases it after', async () => {
    const f = fakeLock();
    const { log } = capture();
    const seen: Lease[] = [];
    expect(await withRunLock(f.lock, { wait: false, log }, (lease) => Promise.resolve(seen.push(lease)))).toBe(1);
    expect(seen).toEqual([f.lease]);
    expect(f.events).toEqual(['tryAcquire', 'release']);
  });

  it('releases the lease when the work throws', async () => {
    const f = fakeLock();
    const { log } = capture();
    const boom = new SyncError('DB_ERROR', 'writing to the database failed: disk full');
    await expect(withRunLock(f.lock, { wait: false, log }, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(f.events).toEqual(['tryAcquire', 'release']);
  });

  it('fails at once with LockedError naming the holder when waiting is off', async () => {
    const f = fakeLock(1);
    const { log } = capture();
    const run = withRunLock(f.lock, { wait: false, log }, () => Promise.resolve('ran'));
    await expect(run).rejects.toBeInstanceOf(LockedError);
    await expect(run).rejects.toThrow(
      'another sync is running on this database (pid 4242 on box, since 2025-01-01T00:00:00.000Z); wait for it to finish, or run with --wait',
    );
    expect(f.events).toEqual(['tryAcquire']);
  });

  it('with wait, announces the holder once and retries until the lock is free', async () => {
    const f = fakeLock(3);
    const { log, lines } = capture();
    expect(await withRunLock(f.lock, { wait: true, log, pollMs: 1 }, () => Promise.resolve('ran'))).toBe('ran');
    expect(f.events).toEqual(['tryAcquire', 'tryAcquire', 'tryAcquire', 'tryAcquire', 'release']);
    expect(lines.filter((l) => l.msg.startsWith('waiting for the sync held by')).map((l) => l.msg)).toEqual([
      'waiting for the sync held by pid 4242 on box, since 2025-01-01T00:00:00.000Z',
    ]);
  });

  it('stops waiting with ABORTED when the signal aborts', async () => {
    const f = fakeLock(Number.POSITIVE_INFINITY);
    const { log } = capture();
    const abort = new AbortController();
    const run = withRunLock(f.lock, { wait: true, log, pollMs: 60_000, signal: abort.signal }, () =>
      Promise.resolve('ran'),
    );
    abort.abort();
    await expect(run).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'stopped by signal while waiting for the lock',
    });
  });

  it('logs a takeover of a dead holder', async () => {
    const f = fakeLock(0, holder);
    const { log, lines } = capture();
    await withRunLock(f.lock, { wait: false, log }, () => Promise.resolve());
    expect(lines.find((l) => l.msg === 'took over the sync lock of a process that is gone')?.holder).toEqual(holder);
  });

  it('heartbeats while the work runs, and warns once the lease is lost', async () => {
    vi.useFakeTimers();
    const f = fakeLock();
    const { log, lines } = capture();
    let finish!: () => void;
    const run = withRunLock(
      f.lock,
      { wait: false, log, heartbeatMs: 1000 },
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(f.events.filter((e) => e === 'heartbeat')).toHaveLength(2);
    expect(lines.some((l) => l.msg === 'the sync lock was taken over by another process')).toBe(false);
    f.loseIt();
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines.filter((l) => l.msg === 'the sync lock was taken over by another process')).toHaveLength(1);
    expect(f.lease.lost.aborted).toBe(true);
    finish();
    await run;
    await vi.advanceTimersByTimeAsync(5000);
    expect(f.events.filter((e) => e === 'heartbeat')).toHaveLength(3);
    expect(f.events.at(-1)).toBe('release');
  });
});
