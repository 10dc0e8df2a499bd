/**
 * The run lock identifies its holding by a random token, not by pid and host: two processes with the
 * same pid and hostname (two containers, both pid 1, sharing a volume) do not both hold it; a holder
 * whose lease was taken over loses it at its next heartbeat; `last_listed_run` never moves backwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssueStore, sqlitePorts, type IssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T00:30:00.000Z';
const twin = { pid: 1, host: 'container' };

let dir: string;
const handles: DatabaseHandle[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-lock-token-'));
});
afterEach(() => {
  for (const h of handles.splice(0)) h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A store on its own connection to the shared file, posing as `identity`. */
function processAs(identity: { pid: number; host: string }): IssueStore {
  const h = openDatabase(join(dir, 'mirror.db'));
  handles.push(h);
  return createIssueStore(h, identity);
}

describe('the run lock token', () => {
  it('two processes with the same pid and hostname: the second is refused while the first heartbeats', async () => {
    const a = sqlitePorts(processAs(twin)).lock;
    const b = sqlitePorts(processAs(twin)).lock;
    const first = await a.tryAcquire();
    expect(first.ok).toBe(true);
    const second = await b.tryAcquire();
    expect(second).toMatchObject({ ok: false, holder: { pid: 1, host: 'container' } });
    if (!first.ok) return;
    expect(await first.lease.heartbeat()).toBe(true);
    expect(first.lease.lost.aborted).toBe(false);
    // The first one's own re-acquire is still a re-acquire.
    expect((await a.tryAcquire()).ok).toBe(true);
  });

  it('a stale twin is taken over; the old holder loses the lease at its next heartbeat and cannot release the new one', async () => {
    const oldStore = processAs(twin);
    const newStore = processAs(twin);
    expect(oldStore.acquireLock({ now: T0 }).ok).toBe(true);
    const taken = newStore.acquireLock({ now: T1, staleAfterMs: 60_000 });
    expect(taken).toMatchObject({ ok: true, takenOver: { pid: 1, host: 'container' } });
    expect(oldStore.heartbeatLock(T1)).toBe(false);
    expect(oldStore.releaseLock()).toBe(false);
    expect(newStore.heartbeatLock(T1)).toBe(true);
    const token = (handles[0]!.sqlite.prepare('SELECT token FROM sync_lock').get() as { token: string }).token;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(token).toBe(newStore.lockToken());
  });

  it('the lease of a run whose lock was taken over aborts `lost` at the next heartbeat', async () => {
    const oldStore = processAs(twin);
    const got = await sqlitePorts(oldStore).lock.tryAcquire();
    if (!got.ok) throw new Error('not acquired');
    const far = new Date(Date.now() + 3_600_000).toISOString();
    expect(processAs(twin).acquireLock({ now: far, staleAfterMs: 60_000 }).ok).toBe(true);
    expect(await got.lease.heartbeat()).toBe(false);
    expect(got.lease.lost.aborted).toBe(true);
  });
});

describe('last_listed_run', () => {
  it("never moves backwards: an older run writing late leaves the newer run's sighting", () => {
    const store = processAs({ pid: 7, host: 'h' });
    const older = store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
    const newer = store.startRun({ trigger: 'manual', full: false, startedAt: T1 });
    store.saveIssues([toIssueRecord({ id: 1, updatedAt: T0, createdAt: T0 }, T0)], newer);
    store.markListed([1], newer, T1);
    // The older run's listing and write arrive after the newer run's.
    store.markListed([1], older, T1);
    store.saveIssues([toIssueRecord({ id: 1, updatedAt: T0, createdAt: T0 }, T0)], older);
    const row = handles[0]!.sqlite.prepare('SELECT last_listed_run FROM issue_sightings WHERE issue_id = 1').get();
    expect(row).toEqual({ last_listed_run: newer });
    expect(store.countMissing(newer)).toBe(0);
  });
});
