/**
 * Copying a real SQLite mirror (built by syncs against the emulator: history, deletions, runs) into an
 * empty PostgreSQL schema, verified table by table; refused into a non-empty one; all or nothing.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mirrorTypes } from '../../src/db/postgres/connect.js';
import { copySqliteToPostgres } from '../../src/db/postgres/copy.js';
import { openPgMirror, type PgMirror } from '../../src/db/postgres/store.js';
import { harness, type Harness } from '../helpers/harness.js';
import { pgAdminUrl, testSchema, type TestSchema } from '../helpers/postgres.js';

/** `url` with another role, whose password is its name. */
function withUser(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = role;
  return u.toString();
}

const COPIED = [
  'sync_runs',
  'issues',
  'issue_sightings',
  'issue_field_values',
  'issue_changes',
  'issues_fts',
  'erase_log',
  'detail_paths',
  'settings',
];

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

  /** The target's constraints and indexes, as definitions. */
  async function keysAndIndexes(m: PgMirror): Promise<string[]> {
    const { rows } = await m.pool.query<{ d: string }>(
      `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE connamespace = $1::text::regnamespace
       UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = $1::text ORDER BY 1`,
      [m.schema],
    );
    return rows.map((r) => r.d);
  }

  it('copies every table with history, first-seen and deletion dates, and verifies counts and checksums', async () => {
    const m = await target();
    const db = h.read();
    try {
      const before = await keysAndIndexes(m);
      const report = await copySqliteToPostgres(db, m.pool, m.schema);
      expect(report.map((r) => r.table)).toEqual(COPIED);
      // The load drops foreign keys and secondary indexes for speed: all of them are back.
      expect(await keysAndIndexes(m)).toEqual(before);
      expect(before.filter((d) => d.includes('FOREIGN KEY')).length).toBeGreaterThanOrEqual(5);
      for (const r of report) {
        const lite = (db.prepare(`SELECT count(*) AS n FROM ${r.table}`).get() as { n: number }).n;
        expect({ table: r.table, rows: r.rows }).toEqual({ table: r.table, rows: lite });
        expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      }
      // What only the mirror knows about the API's shape: the detail paths seen, and its settings.
      for (const [table, order] of [
        ['detail_paths', 'path'],
        ['settings', 'key'],
      ] as const) {
        const lite = db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all();
        expect(lite.length, table).toBeGreaterThan(0);
        expect((await m.pool.query(`SELECT * FROM "${m.schema}".${table} ORDER BY ${order}`)).rows).toEqual(lite);
      }
      // The full-text rows (read from FTS5's own storage) are SQLite's, each column in its place.
      expect(
        (
          await m.pool.query(
            `SELECT issue_id, summary, description, field_text FROM "${m.schema}".issues_fts ORDER BY issue_id`,
          )
        ).rows,
      ).toEqual(
        db.prepare('SELECT rowid AS issue_id, summary, description, field_text FROM issues_fts ORDER BY rowid').all(),
      );
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

  it('copies with the keys and indexes in place, one table after another, for a role that does not own the tables', async () => {
    const m = await target();
    const before = await keysAndIndexes(m);
    const role = `${m.schema}_loader`;
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    const pool = new pg.Pool({ connectionString: withUser(s!.url, role), types: mirrorTypes, max: 1 });
    const db = h.read();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}'`);
      await admin.query(
        `GRANT USAGE ON SCHEMA "${m.schema}" TO ${role}; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "${m.schema}" TO ${role}; GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA "${m.schema}" TO ${role}`,
      );
      const report = await copySqliteToPostgres(db, pool, m.schema);
      expect(report.map((r) => [r.table, r.rows])).toEqual(
        COPIED.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
      );
      expect(await keysAndIndexes(m)).toEqual(before);
    } finally {
      db.close();
      await pool.end();
      await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await admin.end();
    }
  });

  /** Copies `db` into a fresh target and expects it to fail with nothing copied and the schema as it was. */
  async function failedCopy(db: Database.Database): Promise<Error> {
    const m = await target();
    const before = await keysAndIndexes(m);
    const err = await copySqliteToPostgres(db, m.pool, m.schema).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_ERROR' });
    for (const t of COPIED)
      expect({ t, n: (await m.pool.query(`SELECT count(*)::int AS n FROM "${m.schema}".${t}`)).rows[0].n }).toEqual({
        t,
        n: 0,
      });
    expect(await keysAndIndexes(m)).toEqual(before);
    return err as Error;
  }

  it('copies nothing when a full-text row, loaded alongside the other tables, cannot go into PostgreSQL', async () => {
    const db = sourceCopy('bad-fts');
    try {
      db.prepare(
        "UPDATE issues_fts SET summary = 'bad ' || char(0) || ' text' WHERE rowid = (SELECT max(rowid) FROM issues_fts)",
      ).run();
      expect((await failedCopy(db)).message).toMatch(
        /^copy into PostgreSQL schema "[^"]+" failed, nothing was copied: /,
      );
    } finally {
      db.close();
    }
  });

  it('refuses a JSON value holding a raw control character, and copies nothing', async () => {
    const db = sourceCopy('bad-json');
    try {
      db.prepare(
        `UPDATE issues SET data = '{"a": "x' || char(30) || 'y"}' WHERE id = (SELECT max(id) FROM issues)`,
      ).run();
      expect((await failedCopy(db)).message).toBe(
        'a value of issues.data is not valid JSON (a raw control character); nothing was copied',
      );
    } finally {
      db.close();
    }
  });

  /** A private copy of the shared source mirror, to change freely. */
  function sourceCopy(name: string): Database.Database {
    const copyPath = join(h.dir, `${name}-${Date.now()}.db`);
    const source = h.read();
    source.prepare('VACUUM INTO ?').run(copyPath);
    source.close();
    return new Database(copyPath);
  }

  /** Copies into a target whose `table` alters what it is given (a lossy or broken target). */
  async function copyIntoTampered(table: string, body: string): Promise<unknown> {
    const m = await target();
    await m.pool.query(
      `CREATE FUNCTION "${m.schema}".tamper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} END $$`,
    );
    await m.pool.query(
      `CREATE TRIGGER tamper BEFORE INSERT ON "${m.schema}".${table} FOR EACH ROW EXECUTE FUNCTION "${m.schema}".tamper()`,
    );
    const db = h.read();
    try {
      const err = await copySqliteToPostgres(db, m.pool, m.schema).catch((e: unknown) => e);
      for (const t of COPIED)
        expect({ t, n: (await m.pool.query(`SELECT count(*)::int AS n FROM "${m.schema}".${t}`)).rows[0].n }).toEqual({
          t,
          n: 0,
        });
      return err;
    } finally {
      db.close();
    }
  }

  it('detects a value the target changed (checksum) and copies nothing', async () => {
    const err = await copyIntoTampered('detail_paths', 'NEW.details_seen := NEW.details_seen + 1; RETURN NEW;');
    expect(err).toMatchObject({ code: 'DB_ERROR' });
    expect((err as Error).message).toMatch(
      /^copy of table detail_paths did not verify \(SQLite (\d+) rows, PostgreSQL \1 rows, checksums [0-9a-f]{12} vs [0-9a-f]{12}\); nothing was copied$/,
    );
  });

  it('detects a row the target dropped (count) and copies nothing', async () => {
    const err = await copyIntoTampered('settings', 'RETURN NULL;');
    expect(err).toMatchObject({ code: 'DB_ERROR' });
    expect((err as Error).message).toMatch(
      /^copy of table settings did not verify \(SQLite [1-9]\d* rows, PostgreSQL 0 rows, /,
    );
  });

  it("verifies values whose PostgreSQL spelling differs from SQLite's (JSON, floats, quoting, empty text)", async () => {
    const db = sourceCopy('tricky');
    const id = (db.prepare('SELECT min(id) AS id FROM issues').get() as { id: number }).id;
    const data = '{"z": 1.50, "a": 1e2, "ä": "x\\u0001y\\/\\"", "nested": {"bb": [true, null, -0.0, 2E-7]}, "a": 7}';
    db.prepare(
      `UPDATE issues SET summary = 'a "quoted", (paren) back\\slash  two  spaces', description = '', data = ?, labels = '[ ]', closed_at = '2025-06-01T10:00:00.120Z' WHERE id = ?`,
    ).run(data, id);
    const setNumber = db.prepare(
      'UPDATE issue_field_values SET value_number = ?, value_json = ? WHERE issue_id = ? AND position = ?',
    );
    [1e-5, 1e20, 0.1 + 0.2, -3.5].forEach((n, i) => setNumber.run(n, i === 0 ? '[1.0, "ü", {}]' : null, id, i));
    const m = await target();
    try {
      const report = await copySqliteToPostgres(db, m.pool, m.schema);
      expect(report.map((r) => r.table)).toEqual(COPIED);
      const { rows } = await m.pool.query(
        `SELECT summary, description, data->>'z' AS z, data->>'a' AS a, data->'nested' AS nested, labels FROM "${m.schema}".issues WHERE id = $1`,
        [id],
      );
      expect(rows[0]).toEqual({
        summary: 'a "quoted", (paren) back\\slash  two  spaces',
        description: '',
        z: '1.50',
        a: '7',
        nested: { bb: [true, null, 0, 2e-7] },
        labels: [],
      });
      const numbers = await m.pool.query(
        `SELECT value_number FROM "${m.schema}".issue_field_values WHERE issue_id = $1 AND position < 4 ORDER BY position`,
        [id],
      );
      expect(numbers.rows.map((r: { value_number: number }) => r.value_number)).toEqual([1e-5, 1e20, 0.1 + 0.2, -3.5]);
    } finally {
      db.close();
    }
  });

  it('copies texts that hold the usual join marks as they are (the chunk is joined with others)', async () => {
    const db = sourceCopy('marks');
    const id = (db.prepare('SELECT min(id) AS id FROM issues').get() as { id: number }).id;
    db.prepare(`UPDATE issues SET summary = 'a' || char(30) || 'b' || char(31) || 'c' WHERE id = ?`).run(id);
    const m = await target();
    try {
      await copySqliteToPostgres(db, m.pool, m.schema);
      const { rows } = await m.pool.query(`SELECT summary FROM "${m.schema}".issues WHERE id = $1`, [id]);
      expect(rows[0]).toEqual({ summary: 'a\x1eb\x1fc' });
    } finally {
      db.close();
    }
  });
});
