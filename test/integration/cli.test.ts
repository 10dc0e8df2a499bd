/**
 * The CLI as users run it: a child process of bin/speakup-sync.js with a clean environment. Exit codes,
 * the last line on stderr, what stays in the database after a fatal error, the daemon and the demo.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { lastLine, runCli, startCli } from '../helpers/cli.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('speakup-sync sync', () => {
  it('syncs, prints a one-line summary and exits 0', async () => {
    h = await harness({ issues: 40 });
    const r = await runCli(['sync'], h.env, h.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^sync succeeded \(run 1\): 40 listed, 40 fetched, 0 unchanged, 0 deleted, 0 failed; \d+ requests, 0 throttled, in [\d.]+ s\n$/,
    );
    // Not a TTY: logs are JSON lines.
    for (const line of r.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
    expect(statSync(h.dbPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(h.dir, 'data')).mode & 0o777).toBe(0o700);
  });

  const authCases = [
    [
      'wrong password',
      (x: Harness) => ({ SPEAKUP_PASSWORD: `${x.emu.password}-wrong` }),
      /login refused for "sync-bot" \(NotAuthorizedException\): wrong username or password.*check SPEAKUP_USERNAME and SPEAKUP_PASSWORD$/,
    ],
    [
      'unknown user',
      () => ({ SPEAKUP_USERNAME: 'nobody' }),
      /user "nobody" does not exist in user pool eu-west-1_SpeakUpEmu \(UserNotFoundException\); check SPEAKUP_USERNAME and SPEAKUP_USER_POOL_ID$/,
    ],
    [
      'unconfirmed user',
      (x: Harness) => ({
        SPEAKUP_USERNAME: x.emu.unconfirmedUser.username,
        SPEAKUP_PASSWORD: x.emu.unconfirmedUser.password,
      }),
      /user "pending-bot" is not confirmed \(UserNotConfirmedException\); confirm the service account/,
    ],
  ] as const;

  it.each(authCases)(
    '%s: clear last line on stderr, exit 1, mirror untouched, failed run recorded',
    async (_name, override, message) => {
      h = await harness({ issues: 20 });
      expect((await runCli(['sync'], h.env, h.dir)).code).toBe(0);
      const before = new Database(h.dbPath, { readonly: true });
      const snapshot = before.prepare('SELECT * FROM issues ORDER BY id').all();
      before.close();

      const r = await runCli(['sync'], { ...h.env, ...override(h) }, h.dir);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(new RegExp(`^speakup-sync: ${message.source}`));

      const db = new Database(h.dbPath, { readonly: true });
      expect(db.prepare('SELECT * FROM issues ORDER BY id').all()).toEqual(snapshot);
      const run = db.prepare('SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1').get() as {
        status: string;
        error: string;
      };
      db.close();
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(message);
    },
  );

  it('exits 2 when a detail is persistently broken, with everything else stored', async () => {
    h = await harness({ issues: 25 });
    const broken = h.emu.data.ids()[4]!;
    h.emu.knobs.failIds.add(broken);
    const r = await runCli(['sync'], h.env, h.dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^sync partial \(run 1\): 25 listed, 24 fetched, 0 unchanged, 0 deleted, 1 failed/);
    expect(lastLine(r.stderr)).toContain(`issue`);
    expect(lastLine(r.stderr)).toContain(`/v1/public/issues/${broken}`);
    expect(mirrorDiff(h).missing).toEqual([broken]);
  });

  it('exits 78 listing every configuration problem, without echoing secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const r = await runCli(['sync'], { SPEAKUP_PASSWORD: 'hunter2-secret', SPEAKUP_PAGE_SIZE: 'big' }, dir);
      expect(r.code).toBe(78);
      const line = lastLine(r.stderr);
      expect(line).toMatch(/^speakup-sync: invalid configuration: /);
      expect(line).toContain('SPEAKUP_API_URL: required');
      expect(line).toContain('SPEAKUP_PAGE_SIZE: expected an integer from 1 to 10000 (got "big")');
      expect(r.stderr + r.stdout).not.toContain('hunter2-secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 64 on an unknown command or option', async () => {
    expect((await runCli(['frobnicate'], {}, tmpdir())).code).toBe(64);
    expect((await runCli(['sync', '--frob'], {}, tmpdir())).code).toBe(64);
  });
});

describe('speakup-sync daemon', () => {
  it('runs on schedule, then stops cleanly on SIGTERM', async () => {
    h = await harness({ issues: 15 });
    const env = { ...h.env, SPEAKUP_SCHEDULE: '*/1 * * * * *', SPEAKUP_RUN_AT_START: '0' };
    const { child, result } = startCli(['daemon'], env, h.dir);
    const finishedRuns = () => {
      try {
        const db = new Database(h!.dbPath, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare("SELECT count(*) AS n FROM sync_runs WHERE status = 'succeeded'").get() as { n: number })
            .n;
        } finally {
          db.close();
        }
      } catch {
        return 0;
      }
    };
    const deadline = Date.now() + 20_000;
    while (finishedRuns() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(finishedRuns()).toBeGreaterThanOrEqual(2);
    child.kill('SIGTERM');
    const r = await result;
    expect(r.code).toBe(0);
    const db = new Database(h.dbPath);
    const runs = db.prepare('SELECT trigger, status FROM sync_runs ORDER BY id').all() as {
      trigger: string;
      status: string;
    }[];
    // The file is not left locked: a writer gets in at once.
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE; ROLLBACK');
    expect(db.prepare('SELECT count(*) AS n FROM sync_lock').get()).toEqual({ n: 0 });
    db.close();
    expect(runs.every((x) => x.trigger === 'scheduled')).toBe(true);
    expect(runs.filter((x) => x.status === 'running')).toEqual([]);
    expect(r.stderr).toContain('daemon stopped');
  });
});

describe('speakup-sync demo', () => {
  it('syncs the bundled emulator into ./data/demo.db and shows example queries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    try {
      const r = await runCli(['demo', '--issues', '120'], {}, dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/sync succeeded \(run 1\): 120 listed, 120 fetched/);
      expect(r.stdout).toContain('-- Open issues by domain and status');
      expect(r.stdout).toContain('domain_name');
      const db = new Database(join(dir, 'data', 'demo.db'), { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM current_issues').get()).toEqual({ n: 120 });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
