/**
 * Schema drift over real syncs of the emulator: a field SpeakUp adds is reported once (in the run log,
 * `status` and its JSON), and the mapped paths of a detail whose shape changes under the mirror are
 * reported missing, once.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { runCli } from '../helpers/cli.js';

let h: Harness;

function lastRun(): { id: number; new_paths: number; lost_paths: number } {
  const db = h.read();
  try {
    return db.prepare('SELECT id, new_paths, lost_paths FROM sync_runs ORDER BY id DESC LIMIT 1').get() as never;
  } finally {
    db.close();
  }
}

function path(p: string): { first_seen_run: number; missing_since_run: number | null } | undefined {
  const db = h.read();
  try {
    return db.prepare('SELECT first_seen_run, missing_since_run FROM detail_paths WHERE path = ?').get(p) as never;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  h = await harness({ issues: 40, seed: 11 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('schema drift', () => {
  it('records the first run as the baseline: nothing is new', async () => {
    expect((await h.sync()).status).toBe('succeeded');
    expect(lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
    expect(path('assignee.name')).toMatchObject({ missing_since_run: null });
    // The stored details of the mirror's first run are that run's own: each is counted once.
    const db = h.read();
    try {
      const row = db.prepare("SELECT details_seen, details_total FROM detail_paths WHERE path = 'id'").get();
      expect(row).toEqual({ details_seen: 40, details_total: 40 });
    } finally {
      db.close();
    }
  });

  it('reports a field SpeakUp adds once, in the run log and in status', async () => {
    const ids = h.emu.data.ids();
    for (const id of ids.slice(0, 3)) h.emu.data.update(id, { riskScore: { level: 2 } });
    expect((await h.sync()).status).toBe('succeeded');
    const run = lastRun();
    expect(run).toMatchObject({ new_paths: 2, lost_paths: 0 });
    expect(path('riskScore')).toMatchObject({ first_seen_run: run.id });
    expect(path('riskScore.level')).toMatchObject({ first_seen_run: run.id });

    const status = await runCli(['status', '--json'], h.env, h.dir);
    const report = JSON.parse(status.stdout) as {
      drift: { newPaths: { path: string }[]; lastRun: { newPaths: number } };
    };
    expect(report.drift.newPaths.map((p) => p.path)).toEqual(['riskScore', 'riskScore.level']);
    expect(report.drift.lastRun.newPaths).toBe(2);
    const text = await runCli(['status'], h.env, h.dir);
    expect(text.stdout).toMatch(
      /schema drift\s+\d+ detail paths known; new since the first run: riskScore, riskScore\.level/,
    );

    // The same field on more issues, next run: known by now, not reported again.
    for (const id of ids.slice(3, 6)) h.emu.data.update(id, { riskScore: { level: 1 } });
    expect((await h.sync()).status).toBe('succeeded');
    expect(lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
  }, 60_000);

  it('reports the mapped paths missing once the detail changes shape, and only once', async () => {
    h.emu.knobs.detailDialect = 'renamed';
    expect((await h.sync({ full: true })).status).toBe('succeeded');
    const run = lastRun();
    expect(run.new_paths).toBeGreaterThan(0);
    expect(run.lost_paths).toBeGreaterThan(0);
    for (const p of ['status', 'assignee.name', 'domain.id', 'forms[].fields[].value']) {
      expect(path(p), p).toMatchObject({ missing_since_run: run.id });
    }
    // Not mapped: its absence is not reported (only the map's paths are).
    expect(path('riskScore')).toMatchObject({ missing_since_run: null });
    const status = await runCli(['status', '--json'], h.env, h.dir);
    const report = JSON.parse(status.stdout) as { drift: { missingPaths: { path: string }[] } };
    expect(report.drift.missingPaths.map((p) => p.path)).toContain('status');

    expect((await h.sync({ full: true })).status).toBe('succeeded');
    expect(lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
  }, 60_000);

  it('takes the baseline of a mirror that already holds issues from its stored details too', async () => {
    const db = new Database(h.dbPath);
    db.exec('DELETE FROM detail_paths');
    db.close();
    h.emu.data.update(h.emu.data.ids()[0]!);
    const result = await h.sync();
    expect(result.counts.fetched).toBe(1);
    expect(lastRun()).toMatchObject({ new_paths: 0, lost_paths: 0 });
    const reader = h.read();
    try {
      const row = reader.prepare("SELECT details_seen, details_total FROM detail_paths WHERE path = 'id'").get() as {
        details_seen: number;
        details_total: number;
      };
      // Every stored detail once: the one fetched is this run's own, counted as fetched and not read again.
      expect(row.details_total).toBe(h.emu.data.ids().length);
    } finally {
      reader.close();
    }
  }, 60_000);
});
