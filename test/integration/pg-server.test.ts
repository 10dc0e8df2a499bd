import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { pgAdminUrl, pgTestUrl, testSchema, type TestSchema } from '../helpers/postgres.js';

describe("the tests' PostgreSQL server", () => {
  const schemas: TestSchema[] = [];
  afterEach(async () => {
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });

  it('accepts the test role over TCP on loopback with its password', async () => {
    const url = new URL(pgTestUrl());
    expect(url.hostname).toBe('127.0.0.1');
    const client = new pg.Client({ connectionString: pgTestUrl() });
    await client.connect();
    const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
    await client.end();
    expect(rows[0]!.user).toBe(decodeURIComponent(url.username));
  });

  it('refuses a wrong password', async () => {
    const url = new URL(pgTestUrl());
    url.password = 'not-the-password';
    const client = new pg.Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('gives each test a schema of its own', async () => {
    const a = testSchema();
    const b = testSchema();
    schemas.push(a, b);
    expect(a.schema).not.toBe(b.schema);
    await a.query(`CREATE SCHEMA "${a.schema}"`);
    await a.query(`CREATE TABLE "${a.schema}".t (x int)`);
    const { rows } = await b.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
      [b.schema],
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('has a superuser for roles and grants', async () => {
    const client = new pg.Client({ connectionString: pgAdminUrl() });
    await client.connect();
    const { rows } = await client.query<{ su: string }>("SELECT current_setting('is_superuser') AS su");
    await client.end();
    expect(rows[0]!.su).toBe('on');
  });
});
