/**
 * The remap step on a PostgreSQL mirror, through the CLI: a mirror synced from the renamed dialect
 * without a field map has empty columns; after the map is set, `sync --remap` fills them from the stored
 * detail JSON without a request to SpeakUp, deleted issues included, leaving deletion marks, sightings
 * and first-seen times alone and recording the changes it makes; `sync --full` remaps and refetches. A
 * run with a changed map warns until the stored issues are remapped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RENAMED_MAP } from '../helpers/dialects.js';
import { pgCli, type PgCli } from '../helpers/postgres-cli.js';

let c: PgCli;
let mapEnv: Record<string, string>;
/** The run of the first `sync --remap`. */
let remapRun: number;

async function count(where: string, table = 'issues'): Promise<number> {
  return (await c.rows<{ n: number }>(`SELECT count(*)::int AS n FROM $schema.${table} WHERE ${where}`))[0]!.n;
}

/** What a remap must leave alone, per issue. */
const untouched = () =>
  c.rows<Record<string, unknown>>(
    `SELECT i.id, i.deleted_at, i.first_seen_at, i.synced_at, i.data, s.last_listed_run, s.last_seen_at
     FROM $schema.issues i LEFT JOIN $schema.issue_sightings s ON s.issue_id = i.id ORDER BY i.id`,
  );

async function sync(args: string[], env: Record<string, string> = {}) {
  return runCli(['sync', ...args], { ...c.env, ...env }, c.h.dir);
}

beforeAll(async () => {
  c = await pgCli({ issues: 30, seed: 5, knobs: { detailDialect: 'renamed' } });
  const file = join(c.h.dir, 'field-map.json');
  writeFileSync(file, JSON.stringify(RENAMED_MAP));
  mapEnv = { SPEAKUP_FIELD_MAP: file };
  expect((await sync([])).code).toBe(0);
  c.h.emu.data.remove(c.h.emu.data.ids()[0]!);
  expect((await sync([])).code).toBe(0);
}, 90_000);

afterAll(async () => {
  await c?.close();
});

describe('sync --remap on PostgreSQL', () => {
  it('fills the columns a new field map names from the stored JSON, without a request, deleted issues included', async () => {
    expect(await count('status IS NOT NULL')).toBe(0);
    const before = await untouched();

    // A sync with the changed map warns that the stored issues were mapped with another one.
    const warned = await sync([], mapEnv);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain('FIELD_MAP_CHANGED');
    expect(warned.stderr).toContain('sync --remap');
    const afterSync = c.h.emu.counters.total();

    const res = await sync(['--remap'], mapEnv);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^run \d+: remapped 30 issue\(s\) from their stored detail JSON$/m);
    expect(res.stdout + res.stderr).not.toContain(c.password);
    expect(c.h.emu.counters.total()).toBe(afterSync);

    expect(await count('status IS NULL OR received_at IS NULL')).toBe(0);
    expect(await count('assignee_name IS NOT NULL')).toBeGreaterThan(0);
    expect(await count('deleted_at IS NOT NULL AND status IS NOT NULL')).toBe(1);
    expect(await count('true', 'issue_field_values')).toBeGreaterThan(0);
    expect(await count('field_text IS NOT NULL', 'issues_fts')).toBeGreaterThan(0);
    // The full-text document follows the remapped text: an answer of a form field is found by a search.
    const word = (
      await c.rows<{ w: string }>(
        `SELECT split_part(value_text, ' ', 1) AS w FROM $schema.issue_field_values WHERE value_text ~ '^[A-Za-z]{4,}' LIMIT 1`,
      )
    )[0]!.w;
    expect(await count(`document @@ plainto_tsquery('simple', '${word}')`, 'issues_fts')).toBeGreaterThan(0);

    // Deletion marks, sightings, first-seen and fetch times, the stored JSON: as before.
    const after = (await untouched()).filter((r) => before.some((b) => b.id === r.id));
    const strip = (r: Record<string, unknown>) => ({ ...r, last_listed_run: undefined, last_seen_at: undefined });
    expect(after.map(strip)).toEqual(
      before.map((r) => strip({ ...r, synced_at: after.find((a) => a.id === r.id)!.synced_at })),
    );

    // The status every stored issue now has (it had none) is recorded as a change by the remap run.
    const run = (
      await c.rows<{ id: number; remapped: number; requests: number; status: string }>(
        'SELECT id, remapped, requests, status FROM $schema.sync_runs ORDER BY id DESC LIMIT 1',
      )
    )[0]!;
    expect(run).toMatchObject({ remapped: 30, requests: 0, status: 'succeeded' });
    expect(await count(`run_id = ${run.id} AND field = 'status' AND old_value IS NULL`, 'issue_changes')).toBe(30);
    remapRun = run.id;

    // A remap run does not count as a fresh sync.
    const remapOnly = JSON.parse((await runCli(['status', '--json'], c.env, c.h.dir)).stdout) as {
      lastSuccess: { runId: number };
    };
    expect(remapOnly.lastSuccess.runId).toBeLessThan(run.id);

    // The map is now the stored one: no warning.
    const quiet = await sync([], mapEnv);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('FIELD_MAP_CHANGED');
    const status = JSON.parse((await runCli(['status', '--json'], c.env, c.h.dir)).stdout) as {
      lastSuccess: { runId: number };
    };
    expect(status.lastSuccess.runId).toBeGreaterThan(run.id);
  }, 120_000);

  it('sync --full remaps the stored issues, then refetches them', async () => {
    writeFileSync(join(c.h.dir, 'default-map.json'), '{}');
    const full = await sync(['--full'], { SPEAKUP_FIELD_MAP: join(c.h.dir, 'default-map.json') });
    expect(full.code, full.stderr).toBe(0);
    const run = (
      await c.rows<{ remapped: number; fetched: number }>(
        'SELECT remapped, fetched FROM $schema.sync_runs ORDER BY id DESC LIMIT 1',
      )
    )[0]!;
    expect(run).toMatchObject({ remapped: 30, fetched: 29 });
    // With the default map, the renamed dialect leaves status empty again, the deleted issue included.
    expect(await count('status IS NOT NULL')).toBe(0);
    // Each remap is history: the earlier remap's changes stay, this one's record the way back.
    expect(await count(`run_id = ${remapRun} AND field = 'status'`, 'issue_changes')).toBe(30);
    expect(await count(`run_id > ${remapRun} AND field = 'status' AND new_value IS NULL`, 'issue_changes')).toBe(30);
  }, 120_000);
});
