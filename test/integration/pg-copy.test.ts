/**
 * Copying a real SQLite mirror (built by syncs against the emulator: history, deletions, runs) into an
 * empty PostgreSQL schema, verified table by table; refused into a non-empty one; all or nothing.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copySqliteToPostgres } from '../../src/db/postgres/copy.js';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { harness, type Harness } from '../helpers/harness.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

const COPIED = ['sync_runs', 'issues', 'issue_sightings', 'issue_field_values', 'issue_changes', 'issues_fts'];

describe('copy of an SQLite mirror into PostgreSQL', () => {
  // One source mirror for all tests (they only read it); a fresh target schema each.
  let h: Harness;
  let s: TestSchema | undefined;
  let mirror: PgMirror | undefined;
  beforeAll(async () => {
    h = await sqliteMirror();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await mirror?.close();
    await s?.drop();
    s = undefined;
    mirror = undefined;
  });

  /** A mirror with three runs, status changes and two soft-deleted issues. */
  async function sqliteMirror(): Promise<Harness> {
    const hh = await harness({ issues: 30 });
    await hh.sync();
    const ids = hh.emu.data.ids();
    for (const id of ids.slice(0, 4)) hh.emu.data.update(id, { status: 'ON_HOLD' });
    for (const id of ids.slice(10, 12)) hh.emu.data.remove(id);
    await hh.sync();
    await hh.sync();
    return hh;
  }

  const target = async (): Promise<PgMirror> => {
    s = testSchema('copy');
    mirror = await openPgMirror({ connectionString: s.url, schema: s.schema });
    return mirror;
  };

  it('copies every table with history, first-seen and deletion dates, and verifies counts and checksums', async () => {
    const m = await target();
    const db = h.read();
    try {
      const report = await copySqliteToPostgres(db, m.pool, m.schema);
      expect(report.map((r) => r.table)).toEqual(COPIED);
      for (const r of report) {
        const lite = (db.prepare(`SELECT count(*) AS n FROM ${r.table}`).get() as { n: number }).n;
        expect({ table: r.table, rows: r.rows }).toEqual({ table: r.table, rows: lite });
        expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      }
      const deleted = (
        await m.pool.query(
          `SELECT id, deleted_at, first_seen_at FROM "${m.schema}".issues WHERE deleted_at IS NOT NULL ORDER BY id`,
        )
      ).rows;
      expect(deleted).toEqual(
        db.prepare('SELECT id, deleted_at, first_seen_at FROM issues WHERE deleted_at IS NOT NULL ORDER BY id').all(),
      );
      expect(deleted).toHaveLength(2);
      expect(
        (await m.pool.query(`SELECT count(*)::int AS n FROM "${m.schema}".issue_changes WHERE old_value IS NOT NULL`))
          .rows[0].n,
      ).toBeGreaterThanOrEqual(1);
      // Runs go on numbering after the copied ones.
      const next = await m.store.startRun({ trigger: 'manual', full: false, startedAt: new Date().toISOString() });
      expect(next).toBe((db.prepare('SELECT max(id) AS m FROM sync_runs').get() as { m: number }).m + 1);
    } finally {
      db.close();
    }
  });

  it('refuses a target schema that already holds mirror data, and leaves it as it was', async () => {
    const m = await target();
    const db = h.read();
    try {
      await m.store.startRun({ trigger: 'manual', full: false, startedAt: new Date().toISOString() });
      const err = await copySqliteToPostgres(db, m.pool, m.schema).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DB_ERROR' });
      expect((err as Error).message).toBe(
        `PostgreSQL schema "${m.schema}" already holds mirror data; copy needs an empty schema: set SPEAKUP_DB_SCHEMA to a new one, or drop this one first`,
      );
      expect((await m.pool.query(`SELECT count(*)::int AS n FROM "${m.schema}".issues`)).rows[0].n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('copies nothing when one row cannot go into PostgreSQL', async () => {
    // A copy of the mirror, so the shared source stays intact.
    const copyPath = join(h.dir, `bad-${Date.now()}.db`);
    const source = h.read();
    source.prepare('VACUUM INTO ?').run(copyPath);
    source.close();
    const db = new Database(copyPath);
    // A NUL character: SQLite text keeps it, PostgreSQL text cannot.
    db.prepare(
      "UPDATE issues SET summary = 'bad ' || char(0) || ' text' WHERE id = (SELECT max(id) FROM issues)",
    ).run();
    const m = await target();
    try {
      const err = await copySqliteToPostgres(db, m.pool, m.schema).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DB_ERROR' });
      expect((err as Error).message).toMatch(
        new RegExp(`^copy into PostgreSQL schema "${m.schema}" failed, nothing was copied: `),
      );
      for (const t of COPIED)
        expect({ t, n: (await m.pool.query(`SELECT count(*)::int AS n FROM "${m.schema}".${t}`)).rows[0].n }).toEqual({
          t,
          n: 0,
        });
    } finally {
      db.close();
    }
  });
});
