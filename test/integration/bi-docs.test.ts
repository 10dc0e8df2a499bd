/**
 * docs/bi.md cannot drift from the schema: every ```sql block in it runs against a database synced from
 * the emulator (a few hundred issues, with updates between syncs so issue_changes has transitions) and
 * must return at least one row with a value, both through better-sqlite3 and through the sqlite3 command
 * line (another client, usually an older SQLite, as BI tools embed).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

const run = promisify(execFile);
const DOC = readFileSync(new URL('../../docs/bi.md', import.meta.url), 'utf8');

/** Every ```sql block with the heading above it. */
function sqlBlocks(markdown: string): { title: string; sql: string }[] {
  const out: { title: string; sql: string }[] = [];
  let title = '(top)';
  const re = /^(#{2,4}) (.+)$|^```sql\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    if (m[2] !== undefined) title = m[2];
    else {
      const n = out.filter((b) => b.title.startsWith(title)).length;
      out.push({ title: n === 0 ? title : `${title} #${n + 1}`, sql: m[3]!.trim() });
    }
  }
  return out;
}

const BLOCKS = sqlBlocks(DOC);

let h: Harness;
let db: Database.Database;

beforeAll(async () => {
  h = await harness({ issues: 300, seed: 7 });
  expect((await h.sync()).status).toBe('succeeded');
  const ids = h.emu.data.ids();
  // Workflow moves (status, acknowledgement, assignee) on a third of the issues, twice for some.
  for (const id of ids.slice(0, 100)) h.emu.data.update(id);
  for (const id of ids.slice(0, 40)) h.emu.data.update(id);
  h.emu.data.remove(ids[ids.length - 1]!);
  expect((await h.sync()).status).toBe('succeeded');
  for (const id of ids.slice(20, 60)) h.emu.data.update(id);
  expect((await h.sync()).status).toBe('succeeded');
  db = h.read();
}, 60_000);

afterAll(async () => {
  db?.close();
  await h?.close();
});

describe('docs/bi.md', () => {
  it('has the example queries a compliance team asks (at least eight) and covers each BI tool', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(8);
    for (const topic of [
      'Intake per month and channel',
      'Open issues by domain and status',
      'Median days to acknowledge',
      'Overdue issues',
      'Reassignments',
      'Time in each status',
      'Custom-field breakdown',
      'Full-text search',
    ]) {
      expect(
        BLOCKS.some((b) => b.title.startsWith(topic)),
        topic,
      ).toBe(true);
    }
    expect(BLOCKS.find((b) => b.title.startsWith('Full-text search'))!.sql).toMatch(/snippet\(issues_fts/);
    expect(BLOCKS.find((b) => b.title.startsWith('Time in each status'))!.sql).toMatch(/OVER \(PARTITION BY/);
    for (const tool of [
      'Metabase',
      'Grafana',
      'frser-sqlite-datasource',
      'Datasette',
      'sqlite-utils',
      'pandas',
      'Excel',
      'DuckDB',
      'Superset',
      'PREVENT_UNSAFE_DB_CONNECTIONS',
      'speakup-sync snapshot',
      'network file systems',
      '-shm',
    ]) {
      expect(DOC, tool).toContain(tool);
    }
  });

  it('the synced database has history to analyse', () => {
    const moves = db
      .prepare("SELECT count(*) AS n FROM issue_changes WHERE field = 'status' AND old_value IS NOT NULL")
      .get() as { n: number };
    expect(moves.n).toBeGreaterThan(50);
  });

  it.each(BLOCKS)('$title returns rows (better-sqlite3)', ({ sql }) => {
    const rows = db.prepare(sql).all() as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.values(rows[0]!).some((v) => v !== null)).toBe(true);
  });

  it.each(BLOCKS)('$title returns rows (sqlite3 command line)', async ({ sql }) => {
    const { stdout, stderr } = await run('sqlite3', ['-readonly', '-bail', '-json', h.dbPath, sql], {
      timeout: 20_000,
    });
    expect(stderr).toBe('');
    const rows = JSON.parse(stdout || '[]') as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
  });
});
