import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { migratePostgres, migrationsFor } from '../../src/db/postgres/migrate.js';
import { pgAdminUrl, testSchema, uniqueSchemaName, type TestSchema } from '../helpers/postgres.js';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

const TABLES = [
  'detail_paths',
  'erase_log',
  'issue_changes',
  'issue_field_values',
  'issue_sightings',
  'issues',
  'issues_fts',
  'settings',
  'sync_lock',
  'sync_runs',
];
const VIEWS = ['current_issues', 'issue_fields', 'latest_runs'];

describe('PostgreSQL migrations at start', () => {
  const schemas: TestSchema[] = [];
  const clients: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end()));
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });
  const fresh = (): TestSchema => {
    const s = testSchema();
    schemas.push(s);
    return s;
  };
  const client = async (url: string): Promise<pg.Client> => {
    const c = await connect(url);
    clients.push(c);
    return c;
  };

  it('creates the configured schema with every table and view, then has nothing left to do', async () => {
    const s = fresh();
    const c = await client(s.url);
    expect(await migratePostgres(c, s.schema)).toEqual({ applied: migrationsFor(s.schema).length });
    const { rows } = await c.query<{ table_name: string; table_type: string }>(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [s.schema],
    );
    expect(rows.filter((r) => r.table_type === 'BASE TABLE').map((r) => r.table_name)).toEqual([
      '__drizzle_migrations',
      ...TABLES,
    ]);
    expect(rows.filter((r) => r.table_type === 'VIEW').map((r) => r.table_name)).toEqual(VIEWS);
    expect(await migratePostgres(c, s.schema)).toEqual({ applied: 0 });
  });

  it('renames every object, reference and sequence to the configured schema', async () => {
    const s = fresh();
    for (const m of migrationsFor(s.schema))
      for (const statement of m.sql) expect(statement).not.toContain('"speakup"');
    const c = await client(s.url);
    await migratePostgres(c, s.schema);
    const fks = await c.query<{ target: string }>(
      `SELECT DISTINCT f.relnamespace::regnamespace::text AS target FROM pg_constraint k
         JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
        WHERE k.contype = 'f' AND t.relnamespace = $1::regnamespace`,
      [s.schema],
    );
    expect(fks.rows.map((r) => r.target)).toEqual([s.schema]);
    const seqs = await c.query<{ seq: string }>(
      `SELECT pg_get_serial_sequence(format('%I.%I', $1::text, t), 'id') AS seq FROM unnest(array['sync_runs','issue_changes']) t`,
      [s.schema],
    );
    expect(seqs.rows.map((r) => r.seq)).toEqual([`${s.schema}.sync_runs_id_seq`, `${s.schema}.issue_changes_id_seq`]);
  });

  it('migrates once when two processes start together on a fresh schema', async () => {
    const s = fresh();
    const [a, b] = await Promise.all([client(s.url), client(s.url)]);
    const results = await Promise.all([migratePostgres(a, s.schema), migratePostgres(b, s.schema)]);
    expect(results.map((r) => r.applied).sort()).toEqual([0, migrationsFor(s.schema).length]);
    const { rows } = await a.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${s.schema}"."__drizzle_migrations"`,
    );
    expect(rows[0]!.n).toBe(migrationsFor(s.schema).length);
  });

  it('migrates a schema a DBA created and granted to a role that cannot create schemas', async () => {
    const s = fresh();
    const role = uniqueSchemaName('r');
    const admin = await client(pgAdminUrl());
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'role-pw'`);
    try {
      await admin.query(`CREATE SCHEMA "${s.schema}" AUTHORIZATION ${role}`);
      const url = new URL(s.url);
      url.username = role;
      url.password = 'role-pw';
      const c = await client(url.toString());
      await expect(c.query(`CREATE SCHEMA "${s.schema}_other"`)).rejects.toThrow(/permission denied/);
      expect((await migratePostgres(c, s.schema)).applied).toBe(migrationsFor(s.schema).length);
      await c.end();
      clients.splice(clients.indexOf(c), 1);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${s.schema}" CASCADE`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('refuses a schema name that is not a plain lower-case identifier, before touching the database', async () => {
    const s = fresh();
    const c = await client(s.url);
    for (const bad of ['Speakup', 'a"b', 'x; DROP TABLE y', 'pg_mirror', '', 'a'.repeat(64)]) {
      await expect(migratePostgres(c, bad)).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it('rolls back completely when a migration fails and reports a one-line error', async () => {
    const s = fresh();
    const c = await client(s.url);
    // A table in the way of the first CREATE TABLE makes the migration fail part-way.
    await c.query(`CREATE SCHEMA "${s.schema}"`);
    await c.query(`CREATE TABLE "${s.schema}".issues (x int)`);
    const err = await migratePostgres(c, s.schema).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_ERROR' });
    expect((err as Error).message).toMatch(
      new RegExp(`^cannot migrate PostgreSQL schema "${s.schema}": relation "issues" already exists`),
    );
    expect((err as Error).message).not.toContain('\n');
    const { rows } = await c.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [s.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(['issues']);
  });
});
