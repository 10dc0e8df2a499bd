import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgRunLock } from '../../src/db/postgres/lock.js';
import { migratePostgres } from '../../src/db/postgres/migrate.js';
import type { Lease, LockAttempt, RunLock } from '../../src/sync/ports.js';
import { pgAdminUrl, testSchema, type TestSchema } from '../helpers/postgres.js';

const HOLDER = new URL('../helpers/postgres-lock-holder.ts', import.meta.url).pathname;

async function migrated(): Promise<TestSchema> {
  const s = testSchema('lock');
  const c = new pg.Client({ connectionString: s.url });
  await c.connect();
  await migratePostgres(c, s.schema);
  await c.end();
  return s;
}

function lockFor(s: TestSchema, pid: number, host = 'test-host'): RunLock {
  return createPgRunLock({ connection: { connectionString: s.url }, schema: s.schema, me: { pid, host } });
}

/** Tries until the lock is taken: waits for the server to notice a dead holder, without a fixed sleep. */
async function acquireEventually(lock: RunLock, timeoutMs = 20_000): Promise<Extract<LockAttempt, { ok: true }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = await lock.tryAcquire();
    if (attempt.ok) return attempt;
    if (Date.now() > deadline) throw new Error(`lock still held by ${JSON.stringify(attempt.holder)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the PostgreSQL run lock', () => {
  const schemas: TestSchema[] = [];
  const leases: Lease[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await Promise.all(leases.splice(0).map((l) => l.release()));
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });
  const schema = async (): Promise<TestSchema> => {
    const s = await migrated();
    schemas.push(s);
    return s;
  };

  it('admits one holder; the other learns who holds it; release frees it', async () => {
    const s = await schema();
    const first = await lockFor(s, 101, 'host-a').tryAcquire();
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    leases.push(first.lease);
    const second = await lockFor(s, 202, 'host-b').tryAcquire();
    expect(second).toMatchObject({ ok: false, holder: { pid: 101, host: 'host-a', runId: null } });
    expect(await first.lease.heartbeat()).toBe(true);
    await first.lease.release();
    const third = await lockFor(s, 202, 'host-b').tryAcquire();
    expect(third.ok && third.takenOver).toBe(undefined);
    if (third.ok) leases.push(third.lease);
    expect(third.ok).toBe(true);
  });

  it('is one lock per schema: two mirrors in one database do not block each other', async () => {
    const [a, b] = [await schema(), await schema()];
    const la = await lockFor(a, 1).tryAcquire();
    const lb = await lockFor(b, 2).tryAcquire();
    for (const l of [la, lb]) if (l.ok) leases.push(l.lease);
    expect([la.ok, lb.ok]).toEqual([true, true]);
  });

  it("is freed when the holder's connection is killed; the holder's lease reports it lost", async () => {
    const s = await schema();
    const first = await lockFor(s, 101).tryAcquire();
    if (!first.ok) throw new Error('first attempt should hold the lock');
    leases.push(first.lease);
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    const lost = once(first.lease.lost, 'abort');
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'speakup-sync run lock' AND pid IN
         (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = (hashtextextended('speakup-sync:run:' || $1, 0) & 4294967295)::oid)`,
      [s.schema],
    );
    await admin.end();
    await lost;
    expect(String(first.lease.lost.reason)).toMatch(
      /lost the PostgreSQL run lock of schema ".*": its connection closed/,
    );
    expect(await first.lease.heartbeat()).toBe(false);
    const next = await acquireEventually(lockFor(s, 202));
    leases.push(next.lease);
    expect(next.takenOver).toMatchObject({ pid: 101 });
  });

  it('kill -9 of a holding process frees the lock for the next run, which names the dead holder', async () => {
    const s = await schema();
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, s.url, s.schema], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(JSON.parse(line)).toMatchObject({ ok: true, pid: child.pid });
    const blocked = await lockFor(s, 303).tryAcquire();
    expect(blocked).toMatchObject({ ok: false, holder: { pid: child.pid, host: 'holder-host' } });
    child.kill('SIGKILL');
    await once(child, 'exit');
    const next = await acquireEventually(lockFor(s, 404));
    leases.push(next.lease);
    expect(next.takenOver).toMatchObject({ pid: child.pid, host: 'holder-host' });
  });
});
