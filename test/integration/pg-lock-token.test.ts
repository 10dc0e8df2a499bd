/**
 * The PostgreSQL run lock identifies its holding by a random token stored in the `sync_lock` row, as on
 * SQLite: two processes with the same pid and hostname do not both hold it; a holder whose row another
 * process took over (as one that took the lock while this holder was cut off from the server would)
 * loses its lease at its next heartbeat and cannot remove its successor's row; a heartbeat the server
 * does not answer loses the lease; a run that lost its lease deletes nothing and ends `interrupted`,
 * and `status` names the holder only while the lock is held.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgRunLock, type PgRunLockOptions } from '../../src/db/postgres/lock.js';
import { migratePostgres } from '../../src/db/postgres/migrate.js';
import { openPgMirror } from '../../src/db/postgres/store.js';
import { createHold } from '../../src/emulator/api/hold.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import type { Lease, RunLock } from '../../src/sync/ports.js';
import { runCli, startCli } from '../helpers/cli.js';
import { pgCli, runLockHeld, until, type PgCli } from '../helpers/postgres-cli.js';
import { pgAdminUrl, testSchema, type TestSchema } from '../helpers/postgres.js';
import { waitFor } from '../helpers/reliability.js';

const twin = { pid: 1, host: 'container' };
const schemas: TestSchema[] = [];
const leases: Lease[] = [];
let c: PgCli | undefined;

afterEach(async () => {
  await Promise.all(leases.splice(0).map((l) => l.release()));
  await Promise.all(schemas.splice(0).map((s) => s.drop()));
  await c?.close();
  c = undefined;
});

async function migrated(): Promise<TestSchema> {
  const s = testSchema('locktoken');
  schemas.push(s);
  const client = new pg.Client({ connectionString: s.url });
  await client.connect();
  await migratePostgres(client, s.schema);
  await client.end();
  return s;
}

function lockFor(s: TestSchema, me: { pid: number; host: string }, extra: Partial<PgRunLockOptions> = {}): RunLock {
  return createPgRunLock({ connection: { connectionString: s.url }, schema: s.schema, me, ...extra });
}

async function acquired(lock: RunLock): Promise<Lease> {
  const got = await lock.tryAcquire();
  if (!got.ok) throw new Error(`lock held by ${JSON.stringify(got.holder)}`);
  leases.push(got.lease);
  return got.lease;
}

async function lockRow(s: TestSchema) {
  return (
    await s.query<{ pid: number; host: string; token: string }>(`SELECT pid, host, token FROM "${s.schema}".sync_lock`)
  ).rows[0];
}

/** Writes another holding into the row, as a process that took the lock over would. */
async function takeOver(s: TestSchema, pid: number, host: string): Promise<void> {
  await s.query(
    `UPDATE "${s.schema}".sync_lock SET pid = $1, host = $2, token = $3, heartbeat_at = now() WHERE id = 1`,
    [pid, host, 'f'.repeat(32)],
  );
}

describe('the PostgreSQL run lock token', () => {
  it('two processes with the same pid and hostname: the second is refused while the first heartbeats', async () => {
    const s = await migrated();
    const first = await acquired(lockFor(s, twin));
    const second = await lockFor(s, twin).tryAcquire();
    expect(second).toMatchObject({ ok: false, holder: { pid: 1, host: 'container' } });
    expect(await first.heartbeat()).toBe(true);
    expect(first.lost.aborted).toBe(false);
    const row = await lockRow(s);
    expect(row?.token).toMatch(/^[0-9a-f]{32}$/);
    expect(row?.token).toBe(first.token);
  });

  it('a holder whose row was taken over loses the lease at its next heartbeat and cannot release the new one', async () => {
    const s = await migrated();
    const old = await acquired(lockFor(s, twin));
    await takeOver(s, 202, 'host-b');
    expect(await old.heartbeat()).toBe(false);
    expect(old.lost.aborted).toBe(true);
    expect(String(old.lost.reason)).toMatch(
      /lost the PostgreSQL run lock of schema ".*": it was taken over by pid 202 on host-b$/,
    );
    await old.release();
    expect(await lockRow(s)).toEqual({ pid: 202, host: 'host-b', token: 'f'.repeat(32) });
    // Its session is closed: the lock itself is free for the next run.
    expect((await lockFor(s, { pid: 3, host: 'h' }).tryAcquire()).ok).toBe(true);
  });

  it('a heartbeat the server does not answer in time loses the lease and frees the lock', async () => {
    const s = await migrated();
    const lease = await acquired(lockFor(s, twin, { heartbeatTimeoutMs: 300 }));
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    try {
      // The heartbeat's UPDATE waits behind this lock, as it would on a connection that went silent.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${s.schema}".sync_lock IN ACCESS EXCLUSIVE MODE`);
      expect(await lease.heartbeat()).toBe(false);
      expect(String(lease.lost.reason)).toMatch(/did not answer a heartbeat within 300 ms/);
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
    }
    // Its session is closed once the server gets to it: the lock is free for the next run.
    await until(async () => !(await runLockHeld(s)), 'the silent holder to give the lock up');
  });
});

describe('deletions on a PostgreSQL mirror', () => {
  it("happen only while the lock row carries this process's token, checked in the deleting statement", async () => {
    const s = testSchema('locktoken');
    schemas.push(s);
    const mirror = await openPgMirror({ connectionString: s.url, schema: s.schema, identity: twin });
    try {
      const at = '2025-01-01T00:00:00.000Z';
      const first = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: at });
      await mirror.saveIssues(
        [1, 2].map((id) => toIssueRecord({ id, updatedAt: at, createdAt: at }, at)),
        first,
      );
      const lease = await acquired(mirror.lock);
      // A later run whose listing held neither issue, and whose lock row another process took over.
      const second = await mirror.store.startRun({ trigger: 'manual', full: false, startedAt: at });
      expect(await mirror.store.deletionCandidates(second)).toEqual({ missing: 2, active: 2 });
      await takeOver(s, 202, 'host-b');
      expect(await mirror.store.softDeleteMissing(second, at, [1])).toBe(0);
      expect(await mirror.store.softDeleteMissing(second, at)).toBe(0);
      await s.query(`UPDATE "${s.schema}".sync_lock SET token = $1`, [lease.token]);
      expect(await mirror.store.softDeleteMissing(second, at, [1])).toBe(1);
    } finally {
      await mirror.close();
    }
  });
});

describe('a run whose PostgreSQL lock row is taken over', () => {
  it('stops, deletes nothing, ends interrupted; status names the holder only while the lock is held', async () => {
    c = await pgCli({ issues: 20 });
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    const gone = c.h.emu.data.ids().slice(0, 2);
    for (const id of gone) c.h.emu.data.remove(id);
    c.h.emu.data.update(c.h.emu.data.ids()[5]!);
    const hold = createHold(['detail']);
    c.h.emu.knobs.hold = hold;
    const run = startCli(['sync'], c.env, c.h.dir);
    await waitFor(() => hold.waiting > 0, 'the run to be fetching details', 60_000);

    const during = JSON.parse((await runCli(['status', '--json'], c.env, c.h.dir)).stdout) as {
      running: { pid: number; runId: number } | null;
    };
    expect(during.running).toMatchObject({ pid: run.child.pid, runId: 2 });

    await takeOver(c.pg, 202, 'host-b');
    hold.release();
    const r = await run.result;
    expect(r.stdout + r.stderr).not.toContain(c.password);
    const last = (
      await c.rows<{ status: string; deleted: number; error: string }>(
        'SELECT status, deleted, error FROM $schema.sync_runs ORDER BY id DESC LIMIT 1',
      )
    )[0];
    expect(last).toMatchObject({ status: 'interrupted', deleted: 0 });
    expect(last!.error).toMatch(
      /^lost the PostgreSQL run lock of schema .*: it was taken over by pid \d+ on .*: this run stopped, kept what it had written and deleted nothing$/,
    );
    expect(await c.rows('SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL')).toEqual([]);

    // The row left behind names no holder: the lock itself is free.
    const after = JSON.parse((await runCli(['status', '--json'], c.env, c.h.dir)).stdout) as { running: unknown };
    expect(after.running).toBeNull();
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    const deleted = await c.rows<{ id: number }>(
      'SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL ORDER BY id',
    );
    expect(deleted.map((x) => x.id)).toEqual([...gone].sort((x, y) => x - y));
  }, 120_000);
});
