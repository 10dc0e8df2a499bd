/**
 * Schema drift on a PostgreSQL mirror, over real syncs of the emulator through the CLI: a field SpeakUp
 * adds is reported once (in the run log, `status` and its JSON), and the mapped paths of a detail whose
 * shape changes under the mirror are reported missing, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pgCli, type PgCli } from '../helpers/postgres-cli.js';

let c: PgCli;

async function sync(...args: string[]): Promise<void> {
  const r = await runCli(['sync', ...args], c.env, c.h.dir);
  expect(r.code, r.stderr).toBe(0);
}

async function lastRun(): Promise<{ id: number; new_paths: number; lost_paths: number }> {
  return (
    await c.rows<{ id: number; new_paths: number; lost_paths: number }>(
      'SELECT id, new_paths, lost_paths FROM $schema.sync_runs ORDER BY id DESC LIMIT 1',
    )
  )[0]!;
}

async function path(p: string) {
  return (
    await c.rows<{ first_seen_run: number; missing_since_run: number | null }>(
      'SELECT first_seen_run, missing_since_run FROM $schema.detail_paths WHERE path = $1',
      [p],
    )
  )[0];
}

async function statusJson<T>(): Promise<T> {
  const r = await runCli(['status', '--json'], c.env, c.h.dir);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  c = await pgCli({ issues: 40, seed: 11 });
}, 60_000);

afterAll(async () => {
  await c?.close();
});

describe('schema drift on PostgreSQL', () => {
  it('records the first run as the baseline: nothing is new', async () => {
    await sync();
    expect(await lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
    expect(await path('assignee.name')).toMatchObject({ missing_since_run: null });
    // Every detail has an id: the path was seen in every detail counted.
    const row = (
      await c.rows<{ details_seen: number; details_total: number }>(
        "SELECT details_seen, details_total FROM $schema.detail_paths WHERE path = 'id'",
      )
    )[0]!;
    expect(row.details_total).toBeGreaterThanOrEqual(40);
    expect(row.details_seen).toBe(row.details_total);
  }, 60_000);

  it('reports a field SpeakUp adds once, in the run log and in status', async () => {
    const ids = c.h.emu.data.ids();
    for (const id of ids.slice(0, 3)) c.h.emu.data.update(id, { riskScore: { level: 2 } });
    await sync();
    const run = await lastRun();
    expect(run).toMatchObject({ new_paths: 2, lost_paths: 0 });
    expect(await path('riskScore')).toMatchObject({ first_seen_run: run.id });
    expect(await path('riskScore.level')).toMatchObject({ first_seen_run: run.id });

    const report = await statusJson<{
      drift: { newPaths: { path: string }[]; lastRun: { newPaths: number } };
    }>();
    expect(report.drift.newPaths.map((p) => p.path)).toEqual(['riskScore', 'riskScore.level']);
    expect(report.drift.lastRun.newPaths).toBe(2);
    const text = await runCli(['status'], c.env, c.h.dir);
    expect(text.stdout).toMatch(
      /schema drift\s+\d+ detail paths known; new since the first run: riskScore, riskScore\.level/,
    );

    // The same field on more issues, next run: known by now, not reported again.
    for (const id of ids.slice(3, 6)) c.h.emu.data.update(id, { riskScore: { level: 1 } });
    await sync();
    expect(await lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
  }, 90_000);

  it('reports the mapped paths missing once the detail changes shape, and only once', async () => {
    c.h.emu.knobs.detailDialect = 'renamed';
    await sync('--full');
    const run = await lastRun();
    expect(run.new_paths).toBeGreaterThan(0);
    expect(run.lost_paths).toBeGreaterThan(0);
    for (const p of ['status', 'assignee.name', 'domain.id', 'forms[].fields[].value']) {
      expect(await path(p), p).toMatchObject({ missing_since_run: run.id });
    }
    // Not mapped: its absence is not reported (only the map's paths are).
    expect(await path('riskScore')).toMatchObject({ missing_since_run: null });
    const report = await statusJson<{ drift: { missingPaths: { path: string }[] } }>();
    expect(report.drift.missingPaths.map((p) => p.path)).toContain('status');

    await sync('--full');
    expect(await lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
  }, 90_000);

  it('takes the baseline of a mirror that already holds issues from its stored details too', async () => {
    await c.rows('DELETE FROM $schema.detail_paths');
    c.h.emu.data.update(c.h.emu.data.ids()[0]!);
    await sync();
    const run = (
      await c.rows<{ fetched: number; new_paths: number; lost_paths: number }>(
        'SELECT fetched, new_paths, lost_paths FROM $schema.sync_runs ORDER BY id DESC LIMIT 1',
      )
    )[0]!;
    expect(run).toEqual({ fetched: 1, new_paths: 0, lost_paths: 0 });
    const row = (
      await c.rows<{ details_seen: number; details_total: number }>(
        "SELECT details_seen, details_total FROM $schema.detail_paths WHERE path = 'id'",
      )
    )[0]!;
    // Every stored detail once: the one fetched is this run's own, counted as fetched and not read again.
    expect(row.details_total).toBe(c.h.emu.data.ids().length);
  }, 60_000);
});
