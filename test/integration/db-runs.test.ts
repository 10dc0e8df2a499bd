import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/db/identity.js';
import { createIssueStore, type IssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';

const HOST = hostname();
const T0 = '2025-06-01T10:00:00.000Z';
const at = (ms: number): string => new Date(Date.parse(T0) + ms).toISOString();

let dir: string;
const handles: DatabaseHandle[] = [];
let deadPid: number;

/** A second, independent connection to the same file, posing as another process. */
function connect(identity: { pid?: number; host?: string } = {}): { h: DatabaseHandle; store: IssueStore } {
  const h = openDatabase(join(dir, 'runs.db'));
  handles.push(h);
  return { h, store: createIssueStore(h, identity) };
}

beforeAll(async () => {
  // A real pid that no longer exists: a child that has exited and been reaped.
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  deadPid = child.pid as number;
  expect(isProcessAlive(deadPid)).toBe(false);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-db-runs-'));
});
afterEach(() => {
  for (const h of handles.splice(0)) h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('run log', () => {
  it('records a run from start to finish with counts, heartbeat and a one-line error', () => {
    const { store } = connect();
    const id = store.startRun({ trigger: 'scheduled', full: true, startedAt: T0 });
    expect(store.getRun(id)).toMatchObject({
      status: 'running',
      trigger: 'scheduled',
      full: true,
      pid: process.pid,
      host: HOST,
      heartbeatAt: T0,
      listed: 0,
    });
    store.updateRunProgress(id, { listed: 10, fetched: 4, requests: 15 }, at(1000));
    expect(store.getRun(id)).toMatchObject({
      listed: 10,
      fetched: 4,
      requests: 15,
      heartbeatAt: at(1000),
      status: 'running',
    });
    store.finishRun(id, {
      status: 'partial',
      finishedAt: at(2000),
      counts: { listed: 10, fetched: 9, failed: 1, retries: 2, throttled: 1 },
      error: 'issue 7: [GET] "/v1/public/issues/7": 404\n    at stack frames',
    });
    expect(store.getRun(id)).toMatchObject({
      status: 'partial',
      finishedAt: at(2000),
      listed: 10,
      fetched: 9,
      failed: 1,
      retries: 2,
      throttled: 1,
      requests: 15,
      error: 'issue 7: [GET] "/v1/public/issues/7": 404',
    });
    expect(store.listRuns(5).map((r) => r.id)).toEqual([id]);
  });

  it('interrupts a running row whose process died on this host, keeping its last sign of life', () => {
    const { store: other } = connect({ pid: deadPid });
    const dead = other.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    other.updateRunProgress(dead, { listed: 3 }, at(5000));
    const { store } = connect();
    expect(store.interruptStaleRuns(at(60_000))).toBe(1);
    expect(store.getRun(dead)).toMatchObject({
      status: 'interrupted',
      finishedAt: at(5000),
      listed: 3,
      error: `interrupted: process ${deadPid} on ${HOST} is gone (noticed ${at(60_000)})`,
    });
    expect(store.interruptStaleRuns(at(70_000))).toBe(0);
  });

  it('leaves a live run of another process alone, until its heartbeat is older than the lease', () => {
    const { store: other } = connect({ pid: process.ppid, host: 'other-host' });
    const live = other.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    other.acquireLock({ now: T0 });
    const { store } = connect();
    expect(store.interruptStaleRuns(at(60_000), { staleAfterMs: 600_000 })).toBe(0);
    expect(store.getRun(live)?.status).toBe('running');
    expect(store.interruptStaleRuns(at(600_001), { staleAfterMs: 600_000 })).toBe(1);
    expect(store.getRun(live)?.error).toBe(
      `interrupted: process ${process.ppid} on other-host sent no heartbeat since ${T0} (noticed ${at(600_001)})`,
    );
  });

  it('interrupts a run of another process that does not hold the lock the caller now holds', () => {
    const { store: other } = connect({ pid: process.ppid, host: 'other-host' });
    const orphan = other.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    const { store } = connect();
    expect(store.acquireLock({ now: at(1000), staleAfterMs: 600_000 })).toEqual({ ok: true });
    expect(store.interruptStaleRuns(at(2000))).toBe(1);
    expect(store.getRun(orphan)?.error).toContain('no longer holds the sync lock');
  });

  it('treats a running row with our own pid and host as an earlier incarnation, except the run we name', () => {
    const { store } = connect();
    const earlier = store.startRun({ trigger: 'startup', full: false, startedAt: T0 });
    const mine = store.startRun({ trigger: 'manual', full: false, startedAt: at(1000) });
    expect(store.interruptStaleRuns(at(2000), { exceptRunId: mine })).toBe(1);
    expect(store.getRun(earlier)?.status).toBe('interrupted');
    expect(store.getRun(mine)?.status).toBe('running');
  });
});

describe('sync lock', () => {
  it('is acquired once; a second process is refused and told who holds it', () => {
    const { store: a } = connect({ pid: process.pid, host: HOST });
    const { store: b } = connect({ pid: process.ppid, host: HOST });
    expect(a.acquireLock({ now: T0, runId: 3 })).toEqual({ ok: true });
    expect(b.acquireLock({ now: at(1000), staleAfterMs: 600_000 })).toEqual({
      ok: false,
      holder: { pid: process.pid, host: HOST, runId: 3, acquiredAt: T0, heartbeatAt: T0 },
    });
    // Heartbeat and release by someone who does not hold it change nothing.
    expect(b.heartbeatLock(at(2000))).toBe(false);
    expect(b.releaseLock()).toBe(false);
    expect(a.heartbeatLock(at(3000))).toBe(true);
    expect(a.releaseLock()).toBe(true);
    expect(b.acquireLock({ now: at(4000) })).toEqual({ ok: true });
  });

  it('takes over a lock whose holder died on this host', () => {
    const { store: dead } = connect({ pid: deadPid, host: HOST });
    expect(dead.acquireLock({ now: T0 })).toEqual({ ok: true });
    const { store } = connect();
    const got = store.acquireLock({ now: at(1000), staleAfterMs: 600_000 });
    expect(got).toEqual({
      ok: true,
      takenOver: { pid: deadPid, host: HOST, runId: null, acquiredAt: T0, heartbeatAt: T0 },
    });
    // The dead holder's heartbeat now fails: the lease is not its own any more.
    expect(dead.heartbeatLock(at(2000))).toBe(false);
  });

  it('does not judge a pid on another host, but takes over once its heartbeat is stale', () => {
    const { store: remote } = connect({ pid: deadPid, host: 'other-host' });
    remote.acquireLock({ now: T0 });
    const { store } = connect();
    expect(store.acquireLock({ now: at(60_000), staleAfterMs: 600_000 })).toMatchObject({ ok: false });
    expect(remote.heartbeatLock(at(500_000), 9)).toBe(true);
    expect(store.acquireLock({ now: at(1_000_000), staleAfterMs: 600_000 })).toMatchObject({
      ok: false,
      holder: { heartbeatAt: at(500_000), runId: 9 },
    });
    expect(store.acquireLock({ now: at(1_100_001), staleAfterMs: 600_000 })).toMatchObject({
      ok: true,
      takenOver: { host: 'other-host' },
    });
  });

  it('lets the holder re-acquire its own lease; another process with the same pid and host (a restarted container) waits for the stale limit', () => {
    const { store: first } = connect();
    first.acquireLock({ now: T0 });
    expect(first.acquireLock({ now: at(1000) })).toEqual({ ok: true });
    const { store: again } = connect();
    expect(again.acquireLock({ now: at(2000), staleAfterMs: 600_000 })).toMatchObject({
      ok: false,
      holder: { pid: process.pid },
    });
    expect(again.acquireLock({ now: at(601_001), staleAfterMs: 600_000 })).toMatchObject({
      ok: true,
      takenOver: { pid: process.pid },
    });
  });

  it('never blocks a reader, even while the holder has a write transaction open', () => {
    const { h: writer, store } = connect();
    store.acquireLock({ now: T0, runId: 1 });
    const { h: reader } = connect({ pid: 1, host: 'reader' });
    reader.sqlite.pragma('busy_timeout = 0');
    const { h: other } = connect({ pid: 2, host: 'other' });
    other.sqlite.pragma('busy_timeout = 0');
    const lease = reader.sqlite.prepare('SELECT pid, heartbeat_at FROM sync_lock');

    writer.sqlite.exec('BEGIN IMMEDIATE');
    try {
      expect(store.heartbeatLock(at(5000), 1)).toBe(true);
      // The write transaction is really open: a second writer is refused at once...
      expect(() => other.sqlite.exec('BEGIN IMMEDIATE')).toThrow(/database is locked/);
      // ...while the reader, with no busy timeout either, reads the last committed lease without waiting.
      expect(lease.all()).toEqual([{ pid: process.pid, heartbeat_at: T0 }]);
      expect(reader.sqlite.prepare('SELECT count(*) AS n FROM sync_runs').get()).toEqual({ n: 0 });
    } finally {
      writer.sqlite.exec('COMMIT');
    }
    expect(lease.all()).toEqual([{ pid: process.pid, heartbeat_at: at(5000) }]);
  });
});
