/**
 * docs/bi.md on PostgreSQL: every example query, in its PostgreSQL variant where the page gives one and
 * as written where the dialects agree, runs against a PostgreSQL mirror synced from the emulator (with
 * updates between syncs, so the history has transitions) and returns at least one row with a value. The
 * page's read-only role statements, run as written, give a role that reads the views and cannot write.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorTypes } from '../../src/db/postgres/connect.js';
import { pgHarness, type PgHarness } from '../helpers/postgres-harness.js';
import { pgAdminUrl, uniqueSchemaName } from '../helpers/postgres.js';

const DOC = readFileSync(new URL('../../docs/bi.md', import.meta.url), 'utf8');

interface Block {
  title: string;
  lang: string;
  sql: string;
}

/** Every fenced block whose info string starts with `sql`, with the heading above it. */
function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let title = '(top)';
  const re = /^(#{2,4}) (.+)$|^```(sql[^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    if (m[2] !== undefined) title = m[2];
    else out.push({ title, lang: m[3]!.trim(), sql: m[4]!.trim() });
  }
  return out;
}

const EXAMPLES = DOC.split(/^## Example queries$/m)[1] ?? '';
/** Per example heading: its PostgreSQL variant, or else its only (portable) block. */
const QUERIES = [...new Set(blocks(EXAMPLES).map((b) => b.title))].map((title) => {
  const own = blocks(EXAMPLES).filter((b) => b.title === title);
  return { title, sql: (own.find((b) => b.lang === 'sql postgres') ?? own[0]!).sql };
});
const GRANTS = blocks(DOC).find((b) => b.lang === 'sql grants');

let h: PgHarness;
let client: pg.Client;
const role = uniqueSchemaName('bi');

beforeAll(async () => {
  h = await pgHarness({ issues: 300, seed: 7 });
  expect((await h.sync()).status).toBe('succeeded');
  const ids = h.emu.data.ids();
  for (const id of ids.slice(0, 100)) h.emu.data.update(id);
  for (const id of ids.slice(0, 40)) h.emu.data.update(id);
  h.emu.data.remove(ids[ids.length - 1]!);
  expect((await h.sync()).status).toBe('succeeded');
  for (const id of ids.slice(20, 60)) h.emu.data.update(id);
  expect((await h.sync()).status).toBe('succeeded');
  client = new pg.Client({ connectionString: h.pg.url, types: mirrorTypes });
  await client.connect();
  await client.query(`SET search_path TO "${h.pg.schema}"`);
}, 120_000);

afterAll(async () => {
  await client?.end();
  await h?.close();
  // The schema is gone, and its default privileges with it: the role can go too.
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('docs/bi.md on PostgreSQL', () => {
  it('gives a PostgreSQL variant for each example whose SQLite text does not run there', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(8);
    for (const title of [
      'Intake per month',
      'Median days',
      'Deadlines per quarter',
      'Overdue',
      'Time in each status',
      'multi-select',
      'Labels',
      'Full-text search',
    ]) {
      const own = blocks(EXAMPLES).filter((b) => b.title.includes(title));
      expect(
        own.map((b) => b.lang),
        title,
      ).toEqual(['sql', 'sql postgres']);
    }
  });

  it.each(QUERIES)('$title returns rows with values', async ({ sql }) => {
    const { rows } = await client.query<Record<string, unknown>>(sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => Object.values(r).some((v) => v !== null && v !== ''))).toBe(true);
  });

  it('its read-only role statements give a role that reads the views and cannot write', async () => {
    expect(GRANTS).toBeDefined();
    const statements = GRANTS!.sql
      .replaceAll('bi_reader', role)
      .replaceAll(/\bspeakup\b/g, `"${h.pg.schema}"`)
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    expect(statements).toHaveLength(4);
    for (const statement of statements) await h.pg.query(statement);
    const url = new URL(h.pg.url);
    url.username = role;
    url.password = 'choose-a-password';
    const bi = new pg.Client({ connectionString: url.toString() });
    await bi.connect();
    try {
      const { rows } = await bi.query(`SELECT count(*)::int AS n FROM "${h.pg.schema}".current_issues`);
      expect(rows[0]).toEqual({ n: 299 });
      await expect(bi.query(`DELETE FROM "${h.pg.schema}".issues`)).rejects.toThrow(/permission denied/);
    } finally {
      await bi.end();
    }
  });
});
