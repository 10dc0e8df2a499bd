/**
 * The daemon's /healthz and /metrics: the pure state and Prometheus rendering, then the real daemon (a
 * child process) serving them on SPEAKUP_METRICS_PORT=0 (a free port, read from its log).
 */
import { createServer, type Server } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncMetrics, evaluateHealth, renderPrometheus } from '../../src/sync/metrics.js';
import type { SyncResult } from '../../src/sync/types.js';
import { harness, type Harness } from '../helpers/harness.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';

const HOUR = 3_600_000;

function result(status: SyncResult['status'], extra: Partial<SyncResult['counts']> = {}): SyncResult {
  const counts = {
    listed: 10,
    fetched: 4,
    unchanged: 6,
    deleted: 1,
    failed: 0,
    requests: 12,
    retries: 2,
    throttled: 3,
    ...extra,
  };
  return { runId: 7, status, counts, error: undefined, fatal: undefined, failures: [], durationMs: 2500 };
}

describe('metrics state and Prometheus text', () => {
  it('evaluates freshness against the threshold', () => {
    const now = Date.parse('2025-06-01T12:00:00.000Z');
    expect(evaluateHealth(undefined, HOUR, now)).toMatchObject({ ok: false, reason: 'no successful run yet' });
    expect(evaluateHealth('2025-06-01T11:30:00.000Z', HOUR, now)).toMatchObject({
      ok: true,
      ageSeconds: 1800,
      reason: 'last successful run ended 30 min ago (threshold 1 h)',
    });
    expect(evaluateHealth('2025-06-01T09:00:00.000Z', HOUR, now)).toMatchObject({
      ok: false,
      reason: 'last successful run ended 3 h ago, older than the 1 h threshold',
    });
  });

  it('counts runs and renders valid exposition text', () => {
    const m = createSyncMetrics({
      lastSuccessAt: '2025-06-01T10:00:00.000Z',
      issues: { mirrored: 5, deleted: 0 },
      now: new Date('2025-06-01T10:30:00.000Z'),
    });
    m.runStarted();
    expect(m.state().running).toBe(true);
    m.runFinished(result('partial', { failed: 2 }), new Date('2025-06-01T11:00:00.000Z'), { mirrored: 9, deleted: 1 });
    m.runFinished(result('failed'), new Date('2025-06-01T11:15:00.000Z'), { mirrored: 9, deleted: 1 });
    m.runSkipped();
    const s = m.state();
    expect(s).toMatchObject({
      running: false,
      lastSuccessAt: '2025-06-01T11:00:00.000Z',
      skipped: 1,
      runs: { succeeded: 0, partial: 1, failed: 1, interrupted: 0 },
    });
    const text = renderPrometheus(s, evaluateHealth(s.lastSuccessAt, HOUR, Date.parse('2025-06-01T11:20:00.000Z')));
    // Every sample line is `name{labels} number`, under its own HELP and TYPE.
    for (const line of text.trimEnd().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) speakup_sync_\w+ .+|speakup_sync_\w+(\{\w+="[\w-]+"\})? -?\d+(\.\d+)?)$/);
    expect(text).toContain('speakup_sync_healthy 1\n');
    expect(text).toContain(
      `speakup_sync_last_success_timestamp_seconds ${Date.parse('2025-06-01T11:00:00.000Z') / 1000}\n`,
    );
    expect(text).toContain('speakup_sync_last_run_duration_seconds 2.500\n');
    expect(text).toContain('speakup_sync_last_run_success 0\n');
    expect(text).toContain('speakup_sync_runs_total{status="partial"} 1\n');
    expect(text).toContain('speakup_sync_runs_total{status="failed"} 1\n');
    expect(text).toContain('speakup_sync_issues{state="mirrored"} 9\n');
    expect(text).toContain('speakup_sync_requests_total 24\n');
    expect(text).toContain('speakup_sync_throttled_total 6\n');
    expect(text).toContain('speakup_sync_issue_failures_total 2\n');
    expect(text).toContain('# TYPE speakup_sync_requests_total counter\n');
  });
});

let h: Harness | undefined;
let child: ChildProcess | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  blocker?.close();
  blocker = undefined;
  await h?.close();
  h = undefined;
});

/** Starts the daemon and resolves with the metrics URL it logs. */
async function startDaemon(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ url: string; stop: () => Promise<CliResult> }> {
  const started = startCli(['daemon', ...args], env, h!.dir);
  child = started.child;
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no metrics URL logged:\n${log}`)), 20_000);
    started.child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/metrics"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void started.result.then(() => reject(new Error(`daemon exited:\n${log}`)));
  });
  return { url, stop: () => (started.child.kill('SIGTERM'), started.result) };
}

/** Polls until `probe` is true (or fails the test after 20 s). */
async function until(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const DAEMON_ENV = { SPEAKUP_METRICS_PORT: '0', SPEAKUP_SCHEDULE: '0 0 1 1 *' };

describe('daemon /healthz and /metrics', () => {
  it('serves 200 and the run metrics on loopback after a successful run, and stops with the daemon', async () => {
    h = await harness({ issues: 30 });
    const d = await startDaemon({ ...h.env, ...DAEMON_ENV, SPEAKUP_STALE_AFTER: '1h' });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await until(async () => (await fetch(`${d.url}/healthz`)).status === 200);

    const health = await fetch(`${d.url}/healthz`);
    expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      staleAfterSeconds: 3600,
      running: false,
      issues: { mirrored: 30, deleted: 0 },
      lastRun: { runId: 1, status: 'succeeded' },
    });
    expect(Date.now() - Date.parse(body.lastSuccessAt as string)).toBeLessThan(60_000);

    const metrics = await fetch(`${d.url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    expect(text).toContain('speakup_sync_healthy 1\n');
    expect(text).toContain('speakup_sync_runs_total{status="succeeded"} 1\n');
    expect(text).toContain('speakup_sync_issues{state="mirrored"} 30\n');
    expect(text).toMatch(/^speakup_sync_requests_total (3[1-9]|[4-9]\d)$/m);
    expect(text).toContain('speakup_sync_throttled_total 0\n');
    expect(text).toMatch(/^speakup_sync_last_run_duration_seconds \d+\.\d{3}$/m);

    expect((await fetch(`${d.url}/`)).status).toBe(404);
    expect((await fetch(`${d.url}/healthz`, { method: 'POST' })).status).toBe(405);

    const exit = await d.stop();
    expect(exit.code).toBe(0);
    await expect(fetch(`${d.url}/healthz`)).rejects.toThrow();
  }, 60_000);

  it('answers 503 while no run has succeeded, and counts the failure', async () => {
    h = await harness({ issues: 10 });
    const d = await startDaemon({ ...h.env, ...DAEMON_ENV, SPEAKUP_PASSWORD: `${h.emu.password}-wrong` });
    await until(async () =>
      (await (await fetch(`${d.url}/metrics`)).text()).includes('speakup_sync_runs_total{status="failed"} 1\n'),
    );
    const health = await fetch(`${d.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'stale',
      reason: 'no successful run yet',
      lastSuccessAt: null,
      lastRun: { status: 'failed' },
    });
    expect(await (await fetch(`${d.url}/metrics`)).text()).toContain('speakup_sync_healthy 0\n');
    expect((await d.stop()).code).toBe(0);
  }, 60_000);

  it('reads the last success from the database at start: 200 when fresh, 503 when older than SPEAKUP_STALE_AFTER', async () => {
    h = await harness({ issues: 10 });
    expect((await h.sync()).status).toBe('succeeded');
    const fresh = await startDaemon({ ...h.env, ...DAEMON_ENV }, ['--no-run-at-start']);
    expect((await fetch(`${fresh.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${fresh.url}/metrics`)).text()).toContain(
      'speakup_sync_runs_total{status="succeeded"} 0\n',
    );
    expect((await fresh.stop()).code).toBe(0);

    const db = new Database(h.dbPath);
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR).toISOString();
    db.prepare('UPDATE sync_runs SET started_at = ?, finished_at = ?, heartbeat_at = ?').run(
      twoHoursAgo,
      twoHoursAgo,
      twoHoursAgo,
    );
    db.close();
    const stale = await startDaemon({ ...h.env, ...DAEMON_ENV, SPEAKUP_STALE_AFTER: '90m' }, ['--no-run-at-start']);
    const res = await fetch(`${stale.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'stale',
      staleAfterSeconds: 5400,
      reason: 'last successful run ended 2 h ago, older than the 1 h 30 min threshold',
    });
    expect((await stale.stop()).code).toBe(0);
  }, 60_000);

  it('exits 78 naming SPEAKUP_METRICS_PORT when the port is taken', async () => {
    h = await harness({ issues: 5 });
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const r = await runCli(['daemon'], { ...h.env, SPEAKUP_METRICS_PORT: String(port) }, h.dir);
    expect(r.code).toBe(78);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe(
      `speakup-sync: invalid configuration: SPEAKUP_METRICS_PORT: cannot listen on 127.0.0.1:${port} (EADDRINUSE); choose another port`,
    );
  }, 60_000);
});
