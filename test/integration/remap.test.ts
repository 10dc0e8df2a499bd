/**
 * The remap step: a mirror synced from the renamed dialect without a field map has empty columns; after
 * the map is set, `sync --remap` fills them from the stored detail JSON without a request to SpeakUp,
 * deleted issues included, leaving deletion marks, sightings and first-seen times alone; `sync --full`
 * remaps and refetches. A run with a changed map warns until the stored issues are remapped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RENAMED_MAP } from '../helpers/dialects.js';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
let mapEnv: Record<string, string>;

function query<T>(sql: string): T[] {
  const db = h.read();
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** What a remap must leave alone, per issue. */
const untouched = () =>
  query<Record<string, unknown>>(
    `SELECT i.id, i.deleted_at, i.first_seen_at, i.synced_at, i.data, s.last_listed_run, s.last_seen_at
     FROM issues i LEFT JOIN issue_sightings s ON s.issue_id = i.id ORDER BY i.id`,
  );

beforeAll(async () => {
  h = await harness({ issues: 30, seed: 5, knobs: { detailDialect: 'renamed' } });
  const file = join(h.dir, 'field-map.json');
  writeFileSync(file, JSON.stringify(RENAMED_MAP));
  mapEnv = { SPEAKUP_FIELD_MAP: file };
  expect((await h.sync()).status).toBe('succeeded');
  const ids = h.emu.data.ids();
  h.emu.data.remove(ids[0]!);
  expect((await h.sync()).status).toBe('succeeded');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('sync --remap', () => {
  it('fills the columns a new field map names from the stored JSON, without a request, deleted issues included', async () => {
    expect(query<{ n: number }>('SELECT count(*) AS n FROM issues WHERE status IS NOT NULL')[0]!.n).toBe(0);
    const before = untouched();
    const requests = h.emu.counters.total();

    // A sync with the changed map warns that the stored issues were mapped with another one.
    const warned = await runCli(['sync'], { ...h.env, ...mapEnv }, h.dir);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('FIELD_MAP_CHANGED');
    expect(warned.stderr).toContain('sync --remap');
    const afterSync = h.emu.counters.total();

    const res = await runCli(['sync', '--remap'], { ...h.env, ...mapEnv }, h.dir);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^run \d+: remapped 30 issue\(s\) from their stored detail JSON$/m);
    expect(h.emu.counters.total()).toBe(afterSync);
    expect(afterSync).toBeGreaterThan(requests);

    expect(
      query<{ n: number }>('SELECT count(*) AS n FROM issues WHERE status IS NULL OR received_at IS NULL')[0]!.n,
    ).toBe(0);
    expect(
      query<{ n: number }>('SELECT count(*) AS n FROM issues WHERE assignee_name IS NOT NULL')[0]!.n,
    ).toBeGreaterThan(0);
    expect(
      query<{ n: number }>('SELECT count(*) AS n FROM issues WHERE deleted_at IS NOT NULL AND status IS NOT NULL')[0]!
        .n,
    ).toBe(1);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM issue_field_values')[0]!.n).toBeGreaterThan(0);
    expect(
      query<{ n: number }>('SELECT count(*) AS n FROM issues_fts WHERE field_text IS NOT NULL')[0]!.n,
    ).toBeGreaterThan(0);
    // Deletion marks, sightings, first-seen and fetch times, the stored JSON: as before.
    const after = untouched().filter((r) => before.some((b) => b.id === r.id));
    expect(after.map((r) => ({ ...r, last_listed_run: undefined, last_seen_at: undefined }))).toEqual(
      before.map((r) => ({
        ...r,
        last_listed_run: undefined,
        last_seen_at: undefined,
        synced_at: after.find((a) => a.id === r.id)!.synced_at,
      })),
    );

    // The status every stored issue now has (it had none) is recorded as a change by the remap run.
    const run = query<{ id: number; remapped: number; requests: number; status: string }>(
      'SELECT id, remapped, requests, status FROM sync_runs ORDER BY id DESC LIMIT 1',
    )[0]!;
    expect(run).toMatchObject({ remapped: 30, requests: 0, status: 'succeeded' });
    expect(
      query<{ n: number }>(
        `SELECT count(*) AS n FROM issue_changes WHERE run_id = ${run.id} AND field = 'status' AND old_value IS NULL`,
      )[0]!.n,
    ).toBe(30);

    // The map is now the stored one: no warning, and a remap run does not count as a fresh sync.
    const quiet = await runCli(['sync'], { ...h.env, ...mapEnv }, h.dir);
    expect(quiet.stderr).not.toContain('FIELD_MAP_CHANGED');
    const status = JSON.parse((await runCli(['status', '--json'], h.env, h.dir)).stdout) as {
      lastSuccess: { runId: number };
    };
    expect(status.lastSuccess.runId).toBeGreaterThan(run.id);
  }, 90_000);

  it('sync --full remaps the stored issues, then refetches them', async () => {
    writeFileSync(join(h.dir, 'default-map.json'), '{}');
    const full = await runCli(
      ['sync', '--full'],
      { ...h.env, SPEAKUP_FIELD_MAP: join(h.dir, 'default-map.json') },
      h.dir,
    );
    expect(full.code, full.stderr).toBe(0);
    const run = query<{ remapped: number; fetched: number }>(
      'SELECT remapped, fetched FROM sync_runs ORDER BY id DESC LIMIT 1',
    )[0]!;
    expect(run).toMatchObject({ remapped: 30, fetched: 29 });
    // With the default map, the renamed dialect leaves status empty again, the deleted issue included.
    expect(query<{ n: number }>('SELECT count(*) AS n FROM issues WHERE status IS NOT NULL')[0]!.n).toBe(0);
  }, 90_000);
});
