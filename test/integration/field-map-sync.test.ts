/**
 * A field map turns another dialect into the same mirror: two emulators serve the same data (same seed,
 * same mutations), one in the default shape, one renamed and nested with epoch-ms dates. Synced through
 * SPEAKUP_FIELD_MAP, the renamed one gives the same views, the same change history and the same answers
 * to every query of docs/bi.md as the default one. The only difference is the field the dialect lacks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { RENAMED_MAP } from '../helpers/dialects.js';

const DOC = readFileSync(new URL('../../docs/bi.md', import.meta.url), 'utf8');
const BLOCKS = [...DOC.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trim());
// When a row was fetched or first seen differs between two mirrors by the time between their syncs.
const SYNC_TIMES = new Set(['synced_at', 'first_seen_at', 'last_seen_at']);

let plain: Harness;
let renamed: Harness;
let unmapped: Harness;
let mapEnv: Record<string, string>;

/** The same mutations, in the same order, on a data set: updates, a second update, a deletion. */
async function history(h: Harness, env: Record<string, string>): Promise<void> {
  expect((await h.sync({}, env)).status).toBe('succeeded');
  const ids = h.emu.data.ids();
  for (const id of ids.slice(0, 60)) h.emu.data.update(id);
  for (const id of ids.slice(0, 25)) h.emu.data.update(id);
  h.emu.data.remove(ids[ids.length - 1]!);
  expect((await h.sync({}, env)).status).toBe('succeeded');
  for (const id of ids.slice(10, 40)) h.emu.data.update(id);
  expect((await h.sync({}, env)).status).toBe('succeeded');
}

/** Puts each run, and each change it observed, at a time given by the run's number: the same in both mirrors. */
function normalise(h: Harness): Database.Database {
  const reader = h.read();
  const db = new (reader.constructor as typeof Database)(h.dbPath);
  reader.close();
  const at = (run: string, offset = '+0 hours') =>
    `strftime('%Y-%m-%dT%H:%M:%fZ', '2025-07-01', '+' || ${run} || ' days', '${offset}')`;
  db.exec(`UPDATE issue_changes SET observed_at = ${at('run_id')}`);
  db.exec(
    `UPDATE sync_runs SET started_at = ${at('id')}, heartbeat_at = ${at('id')}, finished_at = ${at('id', '+1 hours')}`,
  );
  return db;
}

function rows(db: Database.Database, sql: string, drop: readonly string[] = []): Record<string, unknown>[] {
  return (db.prepare(sql).all() as Record<string, unknown>[]).map((r) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k) && !SYNC_TIMES.has(k))),
  );
}

let a: Database.Database;
let b: Database.Database;

beforeAll(async () => {
  [plain, renamed, unmapped] = await Promise.all([
    harness({ issues: 150, seed: 7 }),
    harness({ issues: 150, seed: 7, knobs: { detailDialect: 'renamed' } }),
    harness({ issues: 40, seed: 7, knobs: { detailDialect: 'renamed' } }),
  ]);
  const file = join(renamed.dir, 'field-map.json');
  writeFileSync(file, JSON.stringify(RENAMED_MAP));
  mapEnv = { SPEAKUP_FIELD_MAP: file };
  await history(plain, {});
  await history(renamed, mapEnv);
  a = normalise(plain);
  b = normalise(renamed);
}, 120_000);

afterAll(async () => {
  a?.close();
  b?.close();
  await Promise.all([plain?.close(), renamed?.close(), unmapped?.close()]);
});

describe('a field map over the renamed dialect', () => {
  it('fills current_issues like the default dialect, except the field the dialect lacks', () => {
    const q = 'SELECT * FROM current_issues ORDER BY id';
    const left = rows(a, q, ['issue_type']);
    expect(left.length).toBe(149);
    expect(rows(b, q, ['issue_type'])).toEqual(left);
    expect(rows(b, 'SELECT DISTINCT issue_type FROM current_issues')).toEqual([{ issue_type: null }]);
    // The mapped columns are really filled, not equal because both are empty.
    expect(
      rows(
        b,
        'SELECT count(*) AS n FROM current_issues WHERE status IS NOT NULL AND domain_id IS NOT NULL AND received_at IS NOT NULL',
      ),
    ).toEqual([{ n: 149 }]);
  });

  it('gives the same custom field rows, change history and deletions', () => {
    for (const q of [
      'SELECT * FROM issue_fields ORDER BY issue_id, position',
      'SELECT issue_id, run_id, field, old_value, new_value, observed_at FROM issue_changes ORDER BY issue_id, field, run_id, id',
      'SELECT id FROM issues WHERE deleted_at IS NOT NULL',
    ]) {
      const left = rows(a, q);
      expect(left.length, q).toBeGreaterThan(0);
      expect(rows(b, q), q).toEqual(left);
    }
  });

  it.each(BLOCKS.map((sql, i) => ({ n: i + 1, sql })))('docs/bi.md query $n gives the same answer', ({ sql }) => {
    expect(rows(b, sql)).toEqual(rows(a, sql));
  });

  it('without the map, the same dialect leaves the typed columns empty (what inspect warns about)', async () => {
    expect((await unmapped.sync()).status).toBe('succeeded');
    const db = unmapped.read();
    try {
      expect(
        db
          .prepare(
            'SELECT count(*) AS n, count(status) AS s, count(received_at) AS r, count(domain_id) AS d FROM issues',
          )
          .get(),
      ).toEqual({ n: 40, s: 0, r: 0, d: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM issue_field_values').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
