/**
 * Parity of the two mirror schemas: the SQLite one (migrations/, applied to a real file) and the
 * PostgreSQL one (migrations/postgres/, applied to the tests' server). Same relations, columns in the
 * same order, type families, nullability, indexes and foreign keys; every deliberate difference is
 * listed below, so a change to one schema alone fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../src/db/postgres/migrate.js';
import { postgresSchema, sqliteSchema, type SchemaInfo } from '../helpers/postgres-introspect.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';

/** SQLite declared type -> the PostgreSQL types that hold the same values. */
const TYPE_FAMILIES: Record<string, string[]> = {
  integer: ['integer', 'bigint'],
  text: ['text'],
  datetime: ['timestamp with time zone'],
  real: ['double precision'],
};

/** Columns where PostgreSQL has a type of its own for what SQLite keeps as JSON text or 0/1. */
const DIALECT_TYPES: Record<string, string> = {
  'issues.data': 'jsonb',
  'issues.labels': 'jsonb',
  'current_issues.labels': 'jsonb',
  'issue_field_values.value_json': 'jsonb',
  'issue_fields.value_json': 'jsonb',
  'sync_runs.full': 'boolean',
  'latest_runs.full': 'boolean',
  // Untyped on SQLite: an expression, and FTS5 columns.
  'latest_runs.duration_seconds': 'double precision',
  'issues_fts.summary': 'text',
  'issues_fts.description': 'text',
  'issues_fts.field_text': 'text',
};

/** PostgreSQL's full text: FTS5's rowid is a real column, and the tsvector with its GIN index is derived. */
const PG_ONLY_COLUMNS: Record<string, string[]> = { issues_fts: ['issue_id', 'document'] };
const PG_ONLY_INDEXES = ['issues_fts_document_idx'];
const PG_ONLY_FOREIGN_KEYS = ['issues_fts.issue_id -> issues.id on delete cascade'];

let sqlite: SchemaInfo;
let postgres: SchemaInfo;
let dir: string;
let pgTest: TestSchema;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-parity-'));
  const file = new Database(join(dir, 'mirror.db'));
  migrate(drizzle({ client: file }), { migrationsFolder: join(import.meta.dirname, '../../migrations') });
  sqlite = sqliteSchema(file);
  file.close();
  pgTest = testSchema('parity');
  const client = new pg.Client({ connectionString: pgTest.url });
  await client.connect();
  try {
    await migratePostgres(client, pgTest.schema);
    postgres = await postgresSchema(client, pgTest.schema);
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgTest?.drop();
});

function pgColumnsOf(table: string): string[] {
  const extra = PG_ONLY_COLUMNS[table] ?? [];
  return postgres.relations
    .get(table)!
    .columns.map((c) => c.name)
    .filter((n) => !extra.includes(n));
}

describe('SQLite and PostgreSQL schemas', () => {
  it('have the same tables and views', () => {
    const kinds = (s: SchemaInfo) => Object.fromEntries([...s.relations].map(([name, r]) => [name, r.kind]));
    expect(kinds(postgres)).toEqual(kinds(sqlite));
    expect(sqlite.relations.size).toBeGreaterThanOrEqual(10);
  });

  it('have the same columns, in the same order, in every table and view', () => {
    for (const [name] of sqlite.relations) {
      expect({ name, columns: pgColumnsOf(name) }).toEqual({
        name,
        columns: sqlite.relations.get(name)!.columns.map((c) => c.name),
      });
    }
  });

  it('give every column a type of the same family', () => {
    const mismatches: string[] = [];
    for (const [name, rel] of sqlite.relations) {
      for (const col of rel.columns) {
        const key = `${name}.${col.name}`;
        const pgType = postgres.relations.get(name)?.columns.find((c) => c.name === col.name)?.type;
        const allowed = DIALECT_TYPES[key] !== undefined ? [DIALECT_TYPES[key]] : (TYPE_FAMILIES[col.type] ?? []);
        if (!pgType || !allowed.includes(pgType))
          mismatches.push(`${key}: SQLite ${col.type || '(none)'} vs PostgreSQL ${pgType}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('agree on which table columns may be NULL', () => {
    const mismatches: string[] = [];
    for (const [name, rel] of sqlite.relations) {
      if (rel.kind !== 'table' || PG_ONLY_COLUMNS[name]) continue;
      for (const col of rel.columns) {
        const pgCol = postgres.relations.get(name)!.columns.find((c) => c.name === col.name)!;
        if (pgCol.notNull !== col.notNull)
          mismatches.push(`${name}.${col.name}: SQLite notNull=${col.notNull}, PostgreSQL notNull=${pgCol.notNull}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('have the same indexes on the same columns', () => {
    const strip = (s: SchemaInfo) =>
      Object.fromEntries(
        [...s.indexes]
          .filter(([name]) => !PG_ONLY_INDEXES.includes(name))
          .map(([name, i]) => [name, { table: i.table, columns: i.columns }]),
      );
    expect(strip(postgres)).toEqual(strip(sqlite));
    expect(postgres.indexes.get('issues_fts_document_idx')).toEqual({
      table: 'issues_fts',
      columns: ['document'],
      method: 'gin',
    });
  });

  it('have the same foreign keys and delete rules', () => {
    expect([...postgres.foreignKeys].sort()).toEqual([...sqlite.foreignKeys, ...PG_ONLY_FOREIGN_KEYS].sort());
  });

  it('list no deliberate difference that no longer exists', () => {
    for (const key of Object.keys(DIALECT_TYPES)) {
      const [table, column] = key.split('.') as [string, string];
      expect({ key, inSqlite: sqlite.relations.get(table)?.columns.some((c) => c.name === column) }).toEqual({
        key,
        inSqlite: true,
      });
    }
    for (const [table, cols] of Object.entries(PG_ONLY_COLUMNS)) {
      for (const c of cols) expect(postgres.relations.get(table)?.columns.some((x) => x.name === c)).toBe(true);
    }
  });
});
