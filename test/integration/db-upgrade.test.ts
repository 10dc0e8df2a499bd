/**
 * Upgrades keep everything the API cannot give back. A mirror filled by real syncs (history, sightings,
 * a deletion, several runs) is rebuilt at every earlier migration level from the migration files, then
 * upgraded by the program's own open; and a drizzle-kit-shaped rebuild of each parent table is added to a
 * copy of the migrations. Every row of every table must survive, and a migration that would leave a
 * dangling row must be refused with the file unchanged.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { applyMigrations, readMigrations } from '../../src/db/migrate.js';
import { SyncError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
let h: Harness;
let work: string;
/** The mirror after real syncs: the source of every database below. */
let source: string;

beforeAll(async () => {
  h = await harness({ issues: 60 });
  work = mkdtempSync(join(tmpdir(), 'speakup-upgrade-'));
  const first = await runCli(['sync'], h.env, h.dir);
  expect(first.code, first.stderr).toBe(0);
  const ids = h.emu.data.ids();
  for (const id of ids.slice(0, 12)) h.emu.data.update(id);
  h.emu.data.remove(ids[20]!);
  const second = await runCli(['sync'], h.env, h.dir);
  expect(second.code, second.stderr).toBe(0);
  source = join(work, 'source.db');
  const db = new Database(h.dbPath);
  db.prepare('VACUUM INTO ?').run(source);
  db.close();
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Dump = Record<string, unknown[]>;

/** Every row of every ordinary table (FTS5's own shadow tables and the migrations journal aside). */
function dump(path: string, only?: readonly string[]): Dump {
  const db = new Database(path, { readonly: true });
  try {
    const tables = (
      db
        .prepare(
          `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'issues_fts%' AND name <> '__drizzle_migrations' ORDER BY name`,
        )
        .pluck()
        .all() as string[]
    ).filter((t) => !only || only.includes(t));
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** `after` limited to the columns `before` has: a migration may add columns, never lose rows or values. */
function sameColumns(after: Dump, before: Dump): Dump {
  return Object.fromEntries(
    Object.entries(after).map(([t, rows]) => {
      const keys = Object.keys(before[t]?.[0] ?? {});
      if (keys.length === 0) return [t, rows];
      return [t, rows.map((r) => Object.fromEntries(keys.map((k) => [k, (r as Record<string, unknown>)[k]])))];
    }),
  );
}

/** A copy of the migrations folder holding the first `count` migrations and any `extra` ones. */
function migrationsFolder(name: string, count: number, extra: { tag: string; sql: string }[] = []): string {
  const folder = join(work, name);
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as {
    entries: { idx: number; tag: string; when: number; version: string; breakpoints: boolean }[];
  };
  journal.entries = journal.entries.slice(0, count);
  let when = journal.entries.at(-1)!.when;
  for (const m of extra) {
    writeFileSync(join(folder, `${m.tag}.sql`), m.sql);
    journal.entries.push({ idx: journal.entries.length, version: '6', when: ++when, tag: m.tag, breakpoints: true });
  }
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

/** Copies `from`'s rows into the tables `to` already has (the columns both have). */
function copyRows(from: string, to: string): string[] {
  const db = new Database(to);
  try {
    db.pragma('foreign_keys = OFF'); // tables are filled in name order, children before parents
    db.prepare('ATTACH ? AS src').run(from);
    const tables = db
      .prepare(
        `SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'issues_fts%' AND name <> '__drizzle_migrations'`,
      )
      .pluck()
      .all() as string[];
    for (const t of tables) {
      const cols = (
        db
          .prepare(`SELECT name FROM pragma_table_info(?) WHERE name IN (SELECT name FROM pragma_table_info(?, 'src'))`)
          .pluck()
          .all(t, t) as string[]
      )
        .map((c) => `"${c}"`)
        .join(', ');
      db.exec(`INSERT INTO main."${t}" (${cols}) SELECT ${cols} FROM src."${t}"`);
    }
    return tables;
  } finally {
    db.close();
  }
}

describe('upgrading a mirror built at every earlier migration', () => {
  const all = readMigrations(MIGRATIONS);

  it('has history worth keeping in the source mirror', () => {
    const rows = dump(source);
    expect(rows.issue_changes!.length).toBeGreaterThan(60);
    expect(rows.issue_field_values!.length).toBeGreaterThan(60);
    expect(rows.sync_runs!.length).toBe(2);
    expect((rows.issues as { deleted_at: string | null }[]).filter((r) => r.deleted_at !== null)).toHaveLength(1);
  });

  for (let level = 1; level < all.length; level++) {
    it(`keeps every row from level ${all[level - 1]!.tag}, writes a private copy first, and the next sync works`, async () => {
      const file = join(work, `level-${level}.db`);
      const old = new Database(file);
      applyMigrations(old, file, migrationsFolder(`level-${level}`, level));
      old.close();
      const tables = copyRows(source, file);
      const before = dump(file, tables);
      writeFileSync(`${file}.before-0000_stale`, 'an older copy'); // only the latest copy is kept

      const handle = openDatabase(file);
      const violations = handle.sqlite.prepare('PRAGMA foreign_key_check').all();
      handle.close();

      expect(violations).toEqual([]);
      expect(sameColumns(dump(file, tables), before)).toEqual(before);
      const copy = `${file}.before-${all[level]!.tag}`;
      expect(statSync(copy).mode & 0o777).toBe(0o600);
      expect(dump(copy, tables)).toEqual(before);
      expect(readdirSync(work).filter((n) => n.startsWith(`level-${level}.db.before-`))).toEqual([
        `level-${level}.db.before-${all[level]!.tag}`,
      ]);

      const next = await runCli(['sync'], { ...h.env, SPEAKUP_DB: file }, h.dir);
      expect(next.code, next.stderr).toBe(0);
      expect(dump(file, ['issue_changes']).issue_changes!.length).toBeGreaterThanOrEqual(before.issue_changes!.length);
    });
  }

  it('writes no copy of a fresh database and none when nothing is pending', () => {
    const file = join(work, 'fresh.db');
    openDatabase(file).close();
    openDatabase(file).close();
    expect(readdirSync(work).filter((n) => n.startsWith('fresh.db.before-'))).toEqual([]);
  });
});

/** A rebuild as drizzle-kit writes it for a changed column or CHECK: new table, copy, drop, rename. */
function rebuildOf(db: Database.Database, table: string): string {
  const createSql = db
    .prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`)
    .pluck()
    .get(table) as string;
  const indexes = db
    .prepare(`SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`)
    .pluck()
    .all(table) as string[];
  const views = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'view' AND sql LIKE ?`)
    .all(`%"${table}"%`) as { name: string; sql: string }[];
  const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[])
    .map((c) => `"${c}"`)
    .join(', ');
  // drizzle-kit qualifies CHECK columns with the table's name; in `__new_x` they must name no table.
  const newTable = createSql
    .replace(/^CREATE TABLE [`"]?\w+[`"]?/, `CREATE TABLE \`__new_${table}\``)
    .replaceAll(`"${table}".`, '');
  return [
    'PRAGMA foreign_keys=OFF;',
    // A developer adds these when the rename fails on a view; with them, Drizzle's own migrator cascades.
    ...views.map((v) => `DROP VIEW \`${v.name}\`;`),
    `${newTable};`,
    `INSERT INTO \`__new_${table}\`(${cols}) SELECT ${cols} FROM \`${table}\`;`,
    `DROP TABLE \`${table}\`;`,
    `ALTER TABLE \`__new_${table}\` RENAME TO \`${table}\`;`,
    'PRAGMA foreign_keys=ON;',
    ...indexes.map((i) => `${i};`),
    ...views.map((v) => `${v.sql};`),
  ].join('--> statement-breakpoint\n');
}

describe('a migration that rebuilds a parent table', () => {
  const latest = readMigrations(MIGRATIONS).length;

  for (const parent of ['issues', 'sync_runs']) {
    it(`keeps every child row when "${parent}" is rebuilt, where Drizzle's own migrator loses them`, () => {
      const ours = join(work, `rebuild-${parent}.db`);
      const theirs = join(work, `rebuild-${parent}-drizzle.db`);
      cpSync(source, ours);
      cpSync(source, theirs);
      const probe = new Database(source, { readonly: true });
      const folder = migrationsFolder(`rebuild-${parent}`, latest, [
        { tag: `9000_rebuild_${parent}`, sql: rebuildOf(probe, parent) },
      ]);
      probe.close();
      const before = dump(source);

      const db = new Database(ours);
      const result = applyMigrations(db, ours, folder);
      db.close();
      expect(result.applied).toEqual([`9000_rebuild_${parent}`]);
      expect(dump(ours)).toEqual(before);

      // The control: the same migration through Drizzle's migrator on a connection with foreign keys on
      // (what the program did before) cascades the drop of `issues` into its children, and cannot drop
      // `sync_runs` at all (the history's run_id has no ON DELETE action).
      const control = new Database(theirs);
      control.pragma('foreign_keys = ON');
      const run = () => migrate(drizzle({ client: control }), { migrationsFolder: folder });
      if (parent === 'issues') {
        run();
        expect(dump(theirs).issue_changes!.length).toBeLessThan(before.issue_changes!.length);
      } else {
        expect(run).toThrow(/Failed to run the query/);
      }
      control.close();
    });
  }

  it('also works for a rebuild that leaves the views alone (the rename does not trip over them)', () => {
    const file = join(work, 'rebuild-plain.db');
    cpSync(source, file);
    const probe = new Database(source, { readonly: true });
    const sql = rebuildOf(probe, 'issues')
      .split('--> statement-breakpoint\n')
      .filter((s) => !/VIEW/.test(s))
      .join('--> statement-breakpoint\n');
    probe.close();
    const folder = migrationsFolder('rebuild-plain', latest, [{ tag: '9001_rebuild_plain', sql }]);
    const db = new Database(file);
    applyMigrations(db, file, folder);
    const views = db.prepare(`SELECT count(*) FROM current_issues`).pluck().get();
    db.close();
    expect(views).toBe(59);
    expect(dump(file)).toEqual(dump(source));
  });

  it('refuses a migration that would leave dangling rows, and leaves the file as it was', () => {
    const file = join(work, 'dangling.db');
    cpSync(source, file);
    const before = dump(file);
    const victim = (before.issue_changes as { issue_id: number }[])[0]!.issue_id;
    const folder = migrationsFolder('dangling', latest, [
      { tag: '9002_dangling', sql: `DELETE FROM issues WHERE id = ${victim};` },
    ]);
    const db = new Database(file);
    let error: unknown;
    try {
      applyMigrations(db, file, folder);
    } catch (err) {
      error = err;
    }
    const journal = db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get();
    db.close();
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).message).toMatch(
      /^migration 9002_dangling of ".*dangling\.db" would leave rows of "issue_\w+" pointing at missing rows of "issues": not applied, the database is unchanged; a copy from before is at ".*dangling\.db\.before-9002_dangling"; report this as a bug of the migration$/,
    );
    expect(journal).toBe(latest);
    expect(dump(file)).toEqual(before);
    expect(existsSync(`${file}.before-9002_dangling`)).toBe(true);
  });
});
