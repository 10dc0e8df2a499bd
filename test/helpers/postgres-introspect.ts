/**
 * What a database says about its own schema, in one shape for both dialects, for the parity test:
 * relations with their ordered columns, secondary indexes and foreign keys.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

export interface ColumnInfo {
  name: string;
  /** Declared type, lower case ('' for an SQLite expression or FTS5 column). */
  type: string;
  notNull: boolean;
}
export interface RelationInfo {
  kind: 'table' | 'view';
  columns: ColumnInfo[];
}
export interface IndexInfo {
  table: string;
  columns: string[];
  method: string;
}
export interface SchemaInfo {
  relations: Map<string, RelationInfo>;
  indexes: Map<string, IndexInfo>;
  /** `table.column -> table.column on delete <action>` */
  foreignKeys: Set<string>;
}

const SKIP = /^(sqlite_|__drizzle)/;

/** The schema of an SQLite file (FTS5 shadow tables left out: they are FTS5's, not the mirror's). */
export function sqliteSchema(db: Database.Database): SchemaInfo {
  const objects = db
    .prepare(`SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name`)
    .all() as { name: string; type: 'table' | 'view'; sql: string }[];
  const fts = new Set(objects.filter((o) => /CREATE VIRTUAL TABLE/i.test(o.sql)).map((o) => o.name));
  const relations = new Map<string, RelationInfo>();
  const foreignKeys = new Set<string>();
  for (const o of objects) {
    if (SKIP.test(o.name) || [...fts].some((f) => o.name.startsWith(`${f}_`))) continue;
    const cols = db
      .prepare(`SELECT name, type, "notnull" AS nn, hidden FROM pragma_table_xinfo(?) ORDER BY cid`)
      .all(o.name) as { name: string; type: string; nn: number; hidden: number }[];
    relations.set(o.name, {
      kind: o.type,
      columns: cols
        .filter((c) => c.hidden === 0)
        .map((c) => ({ name: c.name, type: c.type.toLowerCase(), notNull: c.nn === 1 })),
    });
    const fks = db.prepare('SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)').all(o.name) as {
      from: string;
      table: string;
      to: string;
      on_delete: string;
    }[];
    for (const fk of fks)
      foreignKeys.add(`${o.name}.${fk.from} -> ${fk.table}.${fk.to} on delete ${fk.on_delete.toLowerCase()}`);
  }
  const indexes = new Map<string, IndexInfo>();
  const idx = db.prepare(`SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`).all() as {
    name: string;
    tbl_name: string;
  }[];
  for (const i of idx) {
    const cols = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(i.name) as { name: string }[];
    indexes.set(i.name, { table: i.tbl_name, columns: cols.map((c) => c.name), method: 'btree' });
  }
  return { relations, indexes, foreignKeys };
}

/** The schema `schema` of a PostgreSQL database, from information_schema and pg_catalog. */
export async function postgresSchema(client: pg.ClientBase, schema: string): Promise<SchemaInfo> {
  const { rows: cols } = await client.query<{
    table_name: string;
    table_type: string;
    column_name: string;
    data_type: string;
    nullable: boolean;
  }>(
    `SELECT c.table_name, t.table_type, c.column_name, c.data_type, c.is_nullable = 'YES' AS nullable
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = $1 AND c.table_name NOT LIKE '\\_\\_drizzle%'
      ORDER BY c.table_name, c.ordinal_position`,
    [schema],
  );
  const relations = new Map<string, RelationInfo>();
  for (const c of cols) {
    const rel = relations.get(c.table_name) ?? { kind: c.table_type === 'VIEW' ? 'view' : 'table', columns: [] };
    rel.columns.push({ name: c.column_name, type: c.data_type.toLowerCase(), notNull: !c.nullable });
    relations.set(c.table_name, rel);
  }
  const { rows: idx } = await client.query<{ name: string; table: string; method: string; columns: string[] }>(
    `SELECT ic.relname AS name, tc.relname AS table, am.amname AS method,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_am am ON am.oid = ic.relam
      WHERE tc.relnamespace = $1::regnamespace AND NOT i.indisprimary AND tc.relname NOT LIKE '\\_\\_drizzle%'`,
    [schema],
  );
  const indexes = new Map(idx.map((i) => [i.name, { table: i.table, columns: i.columns, method: i.method }]));
  const { rows: fks } = await client.query<{ fk: string }>(
    `SELECT format('%s.%s -> %s.%s on delete %s', t.relname, a.attname, f.relname, fa.attname,
                   CASE k.confdeltype WHEN 'c' THEN 'cascade' WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict'
                                      WHEN 'n' THEN 'set null' ELSE 'set default' END) AS fk
       FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
       JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]
      WHERE k.contype = 'f' AND t.relnamespace = $1::regnamespace`,
    [schema],
  );
  return { relations, indexes, foreignKeys: new Set(fks.map((r) => r.fk)) };
}
