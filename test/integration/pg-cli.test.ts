/**
 * The CLI as users run it, with SPEAKUP_DB a PostgreSQL URL and nothing else changed: sync (full and
 * incremental), status, snapshot's refusal, and bad URLs or passwords (one line, no secret anywhere).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, runCli } from '../helpers/cli.js';
import { pgCli, type PgCli } from '../helpers/postgres-cli.js';

let c: PgCli | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('speakup-sync with SPEAKUP_DB=postgres://…', () => {
  it('syncs in full, then incrementally, and status reports it in text and JSON', async () => {
    c = await pgCli({ issues: 40 });
    const first = await runCli(['sync'], c.env, c.h.dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^sync succeeded \(run 1\): 40 listed, 40 fetched, 0 unchanged, 0 deleted, 0 failed/);
    const changed = c.h.emu.data.ids().find((id) => c!.h.emu.data.get(id)!.status !== 'ON_HOLD')!;
    c.h.emu.data.update(changed, { status: 'ON_HOLD' });
    c.h.emu.data.remove(c.h.emu.data.ids().find((id) => id !== changed)!);
    const second = await runCli(['sync'], c.env, c.h.dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^sync succeeded \(run 2\): 39 listed, 1 fetched, 38 unchanged, 1 deleted, 0 failed/);
    const stored = await c.rows<{ id: number; data: unknown }>(
      'SELECT id, data FROM $schema.issues WHERE deleted_at IS NULL ORDER BY id',
    );
    expect(stored.map((r) => r.id)).toEqual([...c.h.emu.data.ids()].sort((a, b) => a - b));
    for (const r of stored) expect(r.data).toEqual(c.h.emu.data.get(r.id));

    const text = await runCli(['status'], c.env, c.h.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^OK: /);
    expect(text.stdout).toContain(`(schema ${c.pg.schema})`);
    expect(text.stdout).toContain('39 mirrored, 1 deleted');
    const json = await runCli(['status', '--json'], c.env, c.h.dir);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      issues: unknown;
      running: unknown;
      runs: { id: number; status: string }[];
      lastSuccess: { runId: number };
    };
    expect(report).toMatchObject({
      ok: true,
      issues: { mirrored: 39, deleted: 1 },
      running: null,
      lastSuccess: { runId: 2 },
    });
    expect(report.runs.map((r) => [r.id, r.status])).toEqual([
      [2, 'succeeded'],
      [1, 'succeeded'],
    ]);
    for (const out of [first, second, text, json]) expect(out.stdout + out.stderr).not.toContain(c.password);
  }, 120_000);

  it('status of a schema that holds no mirror says so on one line and exits 1', async () => {
    c = await pgCli({ issues: 1 });
    const r = await runCli(['status'], c.env, c.h.dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(lastLine(r.stderr)).toContain(`no mirror in schema "${c.pg.schema}"`);
    expect(r.stderr).not.toContain(c.password);
  }, 120_000);

  it('snapshot on PostgreSQL points to pg_dump and exits 64', async () => {
    c = await pgCli({ issues: 1 });
    const r = await runCli(['snapshot', `${c.h.dir}/copy.db`], c.env, c.h.dir);
    expect(r.code).toBe(64);
    expect(lastLine(r.stderr)).toContain(`pg_dump --schema=${c.pg.schema}`);
  }, 120_000);

  it('a wrong password fails on one line, exit 1, naming neither password', async () => {
    c = await pgCli({ issues: 5 });
    expect((await runCli(['sync'], c.env, c.h.dir)).code).toBe(0);
    const url = new URL(c.pg.url);
    url.password = 'wrong-Pa55word-secret';
    const r = await runCli(['sync'], { ...c.env, SPEAKUP_DB: url.toString() }, c.h.dir);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      /^speakup-sync: cannot connect to PostgreSQL "postgres:\/\/speakup_test:\*\*\*@127\.0\.0\.1:\d+\/speakup_test": password authentication failed .*; check SPEAKUP_DB$/,
    );
    for (const secret of ['wrong-Pa55word-secret', c.password]) expect(r.stdout + r.stderr).not.toContain(secret);
    // What the database keeps of every run holds no password either.
    const runs = await c.rows('SELECT * FROM $schema.sync_runs');
    expect(runs.length).toBeGreaterThan(0);
    expect(JSON.stringify(runs)).not.toContain(c.password);
  }, 120_000);

  const badUrls = [
    ['an unparsable URL', 'postgres://u:Secret-pw1@[bad/db', 78, 'not a valid PostgreSQL URL'],
    ['a remote host without TLS', 'postgres://u:Secret-pw1@db.example.com/db', 78, 'does not require TLS'],
    ['an unknown sslmode', 'postgres://u:Secret-pw1@127.0.0.1/db?sslmode=sometimes', 78, 'unknown sslmode'],
    ['a port nobody listens on', 'postgres://u:Secret-pw1@127.0.0.1:1/db', 1, 'cannot connect to PostgreSQL'],
  ] as const;

  it.each(badUrls)(
    '%s (%s): exit %i, one line, no password',
    async (_name, dbUrl, code, message) => {
      c = await pgCli({ issues: 1 });
      for (const command of ['sync', 'status']) {
        const r = await runCli([command], { ...c.env, SPEAKUP_DB: dbUrl }, c.h.dir);
        expect(r.code).toBe(code);
        expect(lastLine(r.stderr)).toContain(message);
        expect(r.stdout + r.stderr).not.toContain('Secret-pw1');
        expect(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('speakup-sync:')),
        ).toHaveLength(1);
      }
    },
    120_000,
  );

  it('a schema name that is not a plain identifier is a configuration error', async () => {
    c = await pgCli({ issues: 1 });
    const r = await runCli(['sync'], { ...c.env, SPEAKUP_DB_SCHEMA: 'Speak"Up' }, c.h.dir);
    expect(r.code).toBe(78);
    expect(lastLine(r.stderr)).toContain('SPEAKUP_DB_SCHEMA: expected a lower-case identifier');
  }, 120_000);
});
