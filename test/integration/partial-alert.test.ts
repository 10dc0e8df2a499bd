/**
 * Monitoring that is not fooled: `partial` runs count as successes for freshness, so runs in a row that
 * end partial and store nothing (every detail failing) make `status` exit 1 and the daemon's /healthz
 * answer 503 with the reason, after SPEAKUP_PARTIAL_ALERT_AFTER of them (default 3).
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { runCli, startCli } from '../helpers/cli.js';
import { pgCli, type PgCli } from '../helpers/postgres-cli.js';

let h: Harness | undefined;
let c: PgCli | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await h?.close();
  h = undefined;
  await c?.close();
  c = undefined;
});

/**
 * A daemon started on a mirror (no run at start, none scheduled soon): its /healthz answer before it has
 * run anything, so only what it read from the database at start can make it unhealthy.
 */
async function healthAtStart(env: Record<string, string>, dir: string): Promise<{ status: number; body: unknown }> {
  const started = startCli(
    ['daemon'],
    { ...env, SPEAKUP_METRICS_PORT: '0', SPEAKUP_SCHEDULE: '0 0 1 1 *', SPEAKUP_RUN_AT_START: '0', ...STATUS_ENV },
    dir,
  );
  child = started.child;
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    started.child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(log);
      if (m) resolve(m[1]!);
    });
    void started.result.then(() => reject(new Error(`daemon exited:\n${log}`)));
  });
  const res = await fetch(`${url}/healthz`);
  const answer = { status: res.status, body: await res.json() };
  started.child.kill('SIGTERM');
  expect((await started.result).code).toBe(0);
  return answer;
}

const STATUS_ENV = { SPEAKUP_STALE_AFTER: '1h' };

describe('partial runs that store nothing', () => {
  it('every detail failing: each run is partial; the third in a row makes `status` exit 1 naming the reason', async () => {
    h = await harness({ issues: 6 });
    expect((await h.sync()).status).toBe('succeeded');
    for (const id of h.emu.data.ids()) h.emu.data.update(id);
    for (const id of h.emu.data.ids()) h.emu.knobs.failIds.add(id);
    const statusNow = () => runCli(['status'], { ...h!.env, ...STATUS_ENV }, h!.dir);
    for (let run = 1; run <= 3; run++) {
      const r = await h.sync();
      expect(r.status).toBe('partial');
      expect(r.counts.fetched).toBe(0);
      expect(r.error).toMatch(/none stored/);
      const status = await statusNow();
      expect(status.code, status.stderr).toBe(run < 3 ? 0 : 1);
    }
    const alert = await statusNow();
    expect(alert.stderr).toMatch(/the last 3 runs ended partial and stored no issue.*SPEAKUP_PARTIAL_ALERT_AFTER/);
    // The threshold is configurable.
    expect((await runCli(['status'], { ...h.env, ...STATUS_ENV, SPEAKUP_PARTIAL_ALERT_AFTER: '4' }, h.dir)).code).toBe(
      0,
    );
    // A run that stores issues again ends the streak.
    h.emu.knobs.failIds.clear();
    expect((await h.sync()).status).toBe('succeeded');
    expect((await statusNow()).code).toBe(0);
  }, 60_000);

  it('the daemon answers 503 on /healthz with the reason once the streak reaches SPEAKUP_PARTIAL_ALERT_AFTER', async () => {
    h = await harness({ issues: 5 });
    for (const id of h.emu.data.ids()) h.emu.knobs.failIds.add(id);
    const started = startCli(
      ['daemon'],
      {
        ...h.env,
        SPEAKUP_METRICS_PORT: '0',
        SPEAKUP_SCHEDULE: '0 0 1 1 *',
        SPEAKUP_STALE_AFTER: '1h',
        SPEAKUP_PARTIAL_ALERT_AFTER: '1',
      },
      h.dir,
    );
    child = started.child;
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      started.child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        const m = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(log);
        if (m) resolve(m[1]!);
      });
      void started.result.then(() => reject(new Error(`daemon exited:\n${log}`)));
    });
    const deadline = Date.now() + 30_000;
    while (!(await (await fetch(`${url}/metrics`)).text()).includes('speakup_sync_runs_total{status="partial"} 1\n')) {
      if (Date.now() > deadline) throw new Error(`no partial run in 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      reason: expect.stringMatching(/the last 1 runs ended partial and stored no issue/),
      lastRun: { status: 'partial' },
    });
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('speakup_sync_empty_partial_runs 1\n');
    started.child.kill('SIGTERM');
    expect((await started.result).code).toBe(0);
  }, 60_000);

  it('a restarted daemon keeps the streak: it reads it from the run log and answers 503 before any run', async () => {
    h = await harness({ issues: 4 });
    expect((await h.sync()).status).toBe('succeeded');
    for (const id of h.emu.data.ids()) h.emu.data.update(id);
    for (const id of h.emu.data.ids()) h.emu.knobs.failIds.add(id);
    for (let run = 1; run <= 3; run++) expect((await h.sync()).status).toBe('partial');
    const health = await healthAtStart(h.env, h.dir);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      reason: expect.stringMatching(/the last 3 runs ended partial and stored no issue/),
    });
    // Below the threshold the restarted daemon is healthy.
    expect((await healthAtStart({ ...h.env, SPEAKUP_PARTIAL_ALERT_AFTER: '4' }, h.dir)).status).toBe(200);
  }, 90_000);
});

describe('partial runs that store nothing, on PostgreSQL', () => {
  it('`status` exits 1 naming the streak, and a restarted daemon answers 503', async () => {
    c = await pgCli({ issues: 4 });
    const env = { ...c.env, ...STATUS_ENV };
    expect((await runCli(['sync'], env, c.h.dir)).code).toBe(0);
    for (const id of c.h.emu.data.ids()) c.h.emu.data.update(id);
    for (const id of c.h.emu.data.ids()) c.h.emu.knobs.failIds.add(id);
    for (let run = 1; run <= 3; run++) {
      const sync = await runCli(['sync'], env, c.h.dir);
      expect(sync.code, sync.stderr).toBe(2);
      const status = await runCli(['status'], env, c.h.dir);
      expect(status.code, status.stderr).toBe(run < 3 ? 0 : 1);
    }
    const alert = await runCli(['status'], env, c.h.dir);
    expect(alert.stderr).toMatch(/the last 3 runs ended partial and stored no issue.*SPEAKUP_PARTIAL_ALERT_AFTER/);
    const health = await healthAtStart(c.env, c.h.dir);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ reason: expect.stringMatching(/the last 3 runs ended partial/) });
    // A run that stores issues again ends the streak.
    c.h.emu.knobs.failIds.clear();
    expect((await runCli(['sync'], env, c.h.dir)).code).toBe(0);
    expect((await runCli(['status'], env, c.h.dir)).code).toBe(0);
  }, 120_000);
});
