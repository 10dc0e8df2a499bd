/**
 * One runner among many on a PostgreSQL mirror, through the CLI: two daemons on one schema (one runs,
 * the other skips naming the holder), `sync` exiting 75 and `--wait` waiting, kill -9 of a holder and of
 * a run in flight (the next run takes the lock and completes the mirror), and a run whose lock connection
 * is cut (it stops, deleting nothing).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import { lastLine, runCli, startCli } from '../helpers/cli.js';
import { pgCli, runLockHeld, until, type PgCli } from '../helpers/postgres-cli.js';
import { pgAdminUrl } from '../helpers/postgres.js';
import { waitFor } from '../helpers/reliability.js';

const HOLDER = new URL('../helpers/postgres-lock-holder.ts', import.meta.url).pathname;
/** The daemon runs once at start and then not before next year. */
const ONE_TICK = { SPEAKUP_SCHEDULE: '0 0 1 1 *', SPEAKUP_RUN_AT_START: '1' };

let c: PgCli | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** A CLI child whose stderr can be watched while it runs. */
function watched(args: string[], env: Record<string, string>, cwd: string) {
  const started = startCli(args, env, cwd);
  let stderr = '';
  started.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { ...started, stderr: () => stderr };
}

async function runRows(x: PgCli) {
  return x.rows<{ id: number; status: string; pid: number; error: string | null; deleted: number }>(
    'SELECT id, status, pid, error, deleted FROM $schema.sync_runs ORDER BY id',
  );
}

describe('the PostgreSQL run lock through the CLI', () => {
  it('two daemons on one schema: one runs the tick, the other skips it naming the holder', async () => {
    c = await pgCli({ issues: 20 });
    const hold = createHold(['detail']);
    c.h.emu.knobs.hold = hold;
    const env = { ...c.env, ...ONE_TICK };
    const a = watched(['daemon'], env, c.h.dir);
    await waitFor(() => hold.waiting > 0, 'daemon A to be fetching details', 60_000);
    const b = watched(['daemon'], env, c.h.dir);
    await waitFor(() => b.stderr().includes('another sync is running'), 'daemon B to skip its tick', 60_000);
    const [running] = await runRows(c);
    expect(running).toMatchObject({ id: 1, status: 'running' });
    expect(b.stderr()).toContain(`pid ${running!.pid} on `);
    hold.release();
    await until(async () => (await runRows(c!))[0]?.status === 'succeeded', 'daemon A to finish its run');
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect((await runRows(c)).map((r) => r.status)).toEqual(['succeeded']);
    expect(ra.stderr + rb.stderr).not.toContain(c.password);
  }, 120_000);

  it('the daemon serves /healthz and /metrics from the PostgreSQL mirror, and a restarted one starts from it', async () => {
    c = await pgCli({ issues: 12 });
    const env = { ...c.env, ...ONE_TICK, SPEAKUP_METRICS_PORT: '0', SPEAKUP_STALE_AFTER: '1h' };
    for (const runAtStart of ['1', '0']) {
      const d = watched(['daemon'], { ...env, SPEAKUP_RUN_AT_START: runAtStart }, c.h.dir);
      await waitFor(() => /"url":"http:\/\/[^"]+\/metrics"/.test(d.stderr()), 'the metrics URL in the log', 60_000);
      const url = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(d.stderr())![1]!;
      // The first daemon runs once; the restarted one runs nothing and reads its state from the database.
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 'a healthy daemon');
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', issues: { mirrored: 12, deleted: 0 } });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('speakup_sync_healthy 1\n');
      expect(metrics).toContain('speakup_sync_issues{state="mirrored"} 12\n');
      d.child.kill('SIGTERM');
      const r = await d.result;
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain(c.password);
    }
    expect((await runRows(c)).map((r) => r.status)).toEqual(['succeeded']);
  }, 120_000);

  it('sync exits 75 while another process holds the lock; --wait waits, and kill -9 of the holder frees it', async () => {
    c = await pgCli({ issues: 10 });
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, c.pg.url, c.pg.schema], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    holder.stdout.on('data', (d: Buffer) => (said += d.toString()));
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await waitFor(() => said.includes('\n'), 'the holder to take the lock', 60_000);
      expect(JSON.parse(said)).toMatchObject({ ok: true });
      const refused = await runCli(['sync'], c.env, c.h.dir);
      expect(refused.code).toBe(75);
      expect(lastLine(refused.stderr)).toMatch(
        new RegExp(
          `^speakup-sync: another sync is running on this database \\(pid ${holder.pid} on holder-host, since .*--wait$`,
        ),
      );
      const waiting = watched(['sync', '--wait'], c.env, c.h.dir);
      await waitFor(() => waiting.stderr().includes('waiting for the sync held by'), 'sync --wait to wait', 60_000);
      holder.kill('SIGKILL');
      const r = await waiting.result;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^sync succeeded \(run 2\): 10 listed, 0 fetched, 10 unchanged/);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
  }, 120_000);

  it('kill -9 of a run in flight: the next run takes the lock, marks it interrupted and completes the mirror', async () => {
    c = await pgCli({ issues: 30 });
    const hold = createHold(['detail']);
    c.h.emu.knobs.hold = hold;
    const victim = startCli(['sync'], c.env, c.h.dir);
    await waitFor(() => hold.waiting > 0, 'the run to be fetching details', 60_000);
    victim.child.kill('SIGKILL');
    await victim.result;
    hold.release();
    // The server ends the dead process's session, and with it the lock.
    await until(async () => !(await runLockHeld(c!.pg)), "the server to free the dead holder's lock");
    const r = await runCli(['sync'], c.env, c.h.dir);
    expect(r.code).toBe(0);
    const runs = await runRows(c);
    expect(runs.map((x) => x.status)).toEqual(['interrupted', 'succeeded']);
    const stored = await c.rows<{ id: number; data: unknown }>(
      'SELECT id, data FROM $schema.issues WHERE deleted_at IS NULL ORDER BY id',
    );
    expect(stored.map((s) => s.id)).toEqual([...c.h.emu.data.ids()].sort((x, y) => x - y));
    for (const s of stored) expect(s.data).toEqual(c.h.emu.data.get(s.id));
  }, 120_000);

  it('a run whose lock connection is cut stops as a run that lost its lease, deleting nothing', async () => {
    c = await pgCli({ issues: 20 });
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    const ids = c.h.emu.data.ids();
    const gone = ids.slice(0, 2);
    for (const id of gone) c.h.emu.data.remove(id);
    const changed = ids.slice(5).find((id) => c!.h.emu.data.get(id)!.status !== 'ON_HOLD')!;
    c.h.emu.data.update(changed, { status: 'ON_HOLD' });
    const hold = createHold(['detail']);
    c.h.emu.knobs.hold = hold;
    const run = startCli(['sync'], c.env, c.h.dir);
    await waitFor(() => hold.waiting > 0, 'the run to be fetching details', 60_000);
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
           AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('speakup-sync:run:' || $1, 0)`,
        [c.pg.schema],
      );
      expect(cut.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    hold.release();
    const r = await run.result;
    expect(r.stdout + r.stderr).not.toContain(c.password);
    const last = (await runRows(c)).at(-1)!;
    expect(last).toMatchObject({ status: 'interrupted', deleted: 0 });
    const deleted = await c.rows('SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL');
    expect(deleted).toEqual([]);
    // The next run holds a lock again and does what the cut one could not.
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    expect(
      (await c.rows<{ id: number }>('SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL ORDER BY id')).map(
        (x) => x.id,
      ),
    ).toEqual([...gone].sort((x, y) => x - y));
  }, 120_000);
});
