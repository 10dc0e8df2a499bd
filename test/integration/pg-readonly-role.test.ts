/**
 * A read-only role for BI tools on a PostgreSQL mirror: the GRANT statements an operator runs (as the
 * mirror's owner) give it the views and tables to read and nothing to write.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgMirror } from '../../src/db/postgres/store.js';
import { pgAdminUrl, testSchema, uniqueSchemaName, type TestSchema } from '../helpers/postgres.js';

/** The statements, with the schema and role names filled in. */
function readOnlyGrants(schema: string, role: string): string[] {
  return [
    `GRANT USAGE ON SCHEMA "${schema}" TO ${role}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`,
    // Tables a later migration adds are readable too.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA "${schema}" GRANT SELECT ON TABLES TO ${role}`,
  ];
}

describe('a read-only role for BI tools', () => {
  let s: TestSchema;
  const role = uniqueSchemaName('bi');
  let bi: pg.Client;
  beforeAll(async () => {
    s = testSchema('ro');
    const mirror = await openPgMirror({ connectionString: s.url, schema: s.schema });
    const runId = await mirror.store.startRun({
      trigger: 'manual',
      full: false,
      startedAt: '2025-06-01T10:00:00.000Z',
    });
    await mirror.store.finishRun(runId, { status: 'succeeded', finishedAt: '2025-06-01T10:00:05.000Z' });
    await mirror.close();
    // Creating a login role needs CREATEROLE (the test role has it); the grants need the schema's owner.
    await s.query(`CREATE ROLE ${role} LOGIN PASSWORD 'bi-pw'`);
    for (const statement of readOnlyGrants(s.schema, role)) await s.query(statement);
    const url = new URL(s.url);
    url.username = role;
    url.password = 'bi-pw';
    bi = new pg.Client({ connectionString: url.toString() });
    await bi.connect();
  });
  afterAll(async () => {
    await bi?.end();
    await s.drop();
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it('reads the views and the tables', async () => {
    const runs = await bi.query(`SELECT status, duration_seconds FROM "${s.schema}".latest_runs`);
    expect(runs.rows).toEqual([{ status: 'succeeded', duration_seconds: 5 }]);
    for (const rel of [
      'current_issues',
      'issue_fields',
      'issues',
      'issue_changes',
      'issue_field_values',
      'issues_fts',
      'sync_runs',
    ]) {
      await expect(bi.query(`SELECT count(*) FROM "${s.schema}".${rel}`)).resolves.toBeDefined();
    }
  });

  it('cannot write, create or change anything', async () => {
    for (const statement of [
      `INSERT INTO "${s.schema}".sync_runs (started_at, status, trigger) VALUES (now(), 'running', 'manual')`,
      `UPDATE "${s.schema}".sync_runs SET status = 'failed'`,
      `DELETE FROM "${s.schema}".issues`,
      `TRUNCATE "${s.schema}".issue_changes`,
      `CREATE TABLE "${s.schema}".mine (x int)`,
      `DROP VIEW "${s.schema}".current_issues`,
    ]) {
      await expect(bi.query(statement), statement).rejects.toThrow(/permission denied|must be owner/);
    }
  });
});
