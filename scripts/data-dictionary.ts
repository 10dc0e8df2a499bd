/**
 * Renders docs/data-dictionary.md from the schema as SQLite itself reports it (a migrated in-memory
 * database: `PRAGMA table_xinfo`, `index_list`, `foreign_key_list`), so declared types are exactly what
 * BI tools see, annotated with the TSDoc and line comments of src/db/schema-tables.ts, schema-views.ts
 * and fts.ts.
 * Part of `npm run docs`; test/unit/docs.test.ts fails when the committed file is stale.
 */
import { readFileSync } from 'node:fs';
import { Column, is } from 'drizzle-orm';
import { getTableConfig, getViewConfig, SQLiteTable, SQLiteView } from 'drizzle-orm/sqlite-core';
import ts from 'typescript';
import { openDatabase } from '../src/db/open.js';
import * as schema from '../src/db/schema.js';

const SOURCES = ['../src/db/schema-tables.ts', '../src/db/schema-views.ts', '../src/db/fts.ts'].map(
  (p) => new URL(p, import.meta.url),
);

/** Comments found in the schema sources: per object, and per `object.column`. */
interface Notes {
  objects: Map<string, string>;
  columns: Map<string, string>;
  /** Object names in source order. */
  order: string[];
}

/** Reads the comments above each `sqliteTable`/`sqliteView` and above each column property. */
export function schemaNotes(sources: readonly string[]): Notes {
  const notes: Notes = { objects: new Map(), columns: new Map(), order: [] };
  for (const text of sources) {
    const file = ts.createSourceFile('schema.ts', text, ts.ScriptTarget.ES2022, true);
    for (const stmt of file.statements) {
      if (!ts.isVariableStatement(stmt)) continue;
      const decl = stmt.declarationList.declarations[0];
      const call = decl?.initializer && findCall(decl.initializer, ['sqliteTable', 'sqliteView']);
      const name = call && stringArg(call);
      if (!call || !name) continue;
      notes.order.push(name);
      const doc = commentText(text, stmt);
      if (doc) notes.objects.set(name, doc);
      const cols = call.arguments[1];
      if (!cols || !ts.isObjectLiteralExpression(cols)) continue;
      for (const prop of cols.properties) {
        if (!ts.isPropertyAssignment(prop)) continue;
        const colCall = findCall(prop.initializer);
        const column = colCall && stringArg(colCall);
        const note = commentText(text, prop);
        if (column && note) notes.columns.set(`${name}.${column}`, note);
      }
    }
  }
  return notes;
}

/** The innermost call in a chain such as `text('x').notNull()` (or the one named `names`). */
function findCall(node: ts.Node, names?: string[]): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && (!names || names.includes(n.expression.text))) {
      found = n;
      return;
    }
    if (ts.isCallExpression(n) || ts.isPropertyAccessExpression(n)) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function stringArg(call: ts.CallExpression): string | undefined {
  const a = call.arguments[0];
  return a && ts.isStringLiteral(a) ? a.text : undefined;
}

/** Leading `/** … *\/` and `//` comments of a node, as one line of text. */
function commentText(text: string, node: ts.Node): string {
  const all = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  // A TSDoc block wins; a `//` comment above it is usually about the section, not the node.
  const docs = all.filter((r) => text.startsWith('/**', r.pos));
  return (docs.length > 0 ? docs : all)
    .map((r) => text.slice(r.pos, r.end))
    .map((c) =>
      c
        .replace(/^\/\*\*?|\*\/$/g, '')
        .replace(/^\s*\*\s?/gm, '')
        .replace(/^\s*\/\/\s?/gm, ''),
    )
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
// The table a view column was selected from. Drizzle keeps it under this registered symbol on the view's
// column copies (drizzle-orm table.js, since 0.29); no public getter exists.
const BASE_NAME = Symbol.for('drizzle:BaseName');

/** Enum values and base columns known to Drizzle, keyed `object.column`. */
function drizzleFacts(): { enums: Map<string, string[]>; origins: Map<string, string> } {
  const enums = new Map<string, string[]>();
  const origins = new Map<string, string>();
  for (const value of Object.values(schema)) {
    if (is(value, SQLiteTable)) {
      const cfg = getTableConfig(value);
      for (const col of cfg.columns) if (col.enumValues?.length) enums.set(`${cfg.name}.${col.name}`, col.enumValues);
    } else if (is(value, SQLiteView)) {
      const cfg = getViewConfig(value);
      for (const field of Object.values(cfg.selectedFields)) {
        const base = is(field, Column) ? (field.table as unknown as Record<symbol, unknown>)[BASE_NAME] : undefined;
        if (is(field, Column) && typeof base === 'string')
          origins.set(`${cfg.name}.${field.name}`, `${base}.${field.name}`);
      }
    }
  }
  return { enums, origins };
}

type Db = ReturnType<typeof openDatabase>['sqlite'];
type Facts = ReturnType<typeof drizzleFacts> & { notes: Notes };

interface SchemaObject {
  type: string;
  name: string;
  /** 'table', 'FTS5 table' or 'view'. */
  kind: string;
}

/** The tables and views a reader sees, tables first, each in source order. */
function schemaObjects(db: Db, notes: Notes): SchemaObject[] {
  const all = db
    .prepare("SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY rowid")
    .all() as { type: string; name: string; sql: string }[];
  const virtual = all.filter((o) => /^CREATE VIRTUAL TABLE/i.test(o.sql)).map((o) => o.name);
  // Internal objects: SQLite's own, Drizzle's migration journal, FTS5 shadow tables.
  const shown = all.filter(
    (o) =>
      !o.name.startsWith('sqlite_') &&
      o.name !== '__drizzle_migrations' &&
      !virtual.some((v) => o.name.startsWith(`${v}_`)),
  );
  const rank = (o: { type: string; name: string }) =>
    (o.type === 'view' ? 1000 : 0) + (notes.order.indexOf(o.name) + 1 || 999);
  shown.sort((a, b) => rank(a) - rank(b));
  return shown.map((o) => ({
    type: o.type,
    name: o.name,
    kind: o.type === 'view' ? 'view' : virtual.includes(o.name) ? 'FTS5 table' : 'table',
  }));
}

const HEADER = [
  '# Data dictionary',
  '',
  '<!-- Generated by `npm run docs` (scripts/data-dictionary.ts) from the migrated schema and the comments in',
  'src/db/schema.ts and src/db/fts.ts. Do not edit by hand: test/unit/docs.test.ts fails when it is stale. -->',
  '',
  'The tables and views of the SQLite file that speakup-sync writes, as any SQLite client sees them.',
  '"Declared type" is what `PRAGMA table_xinfo` reports and what BI tools map: Metabase and DuckDB read',
  '`DATETIME` as a timestamp; an empty type is a computed view column (set its type in the BI tool).',
  'Every `DATETIME` value is ISO-8601 UTC text with milliseconds and `Z` (`2025-05-26T07:15:48.663Z`), enforced',
  'by CHECK constraints. Query the views (`current_issues`, `issue_fields`, `latest_runs`) where you can.',
  'Connecting BI tools and example queries: [bi.md](bi.md).',
  '',
];

interface ForeignKey {
  from: string;
  table: string;
  to: string;
  on_delete: string;
}

/** One row of an object's column table. */
function columnRow(o: SchemaObject, c: ColumnInfo, fk: ForeignKey | undefined, facts: Facts): string {
  const key = `${o.name}.${c.name}`;
  const origin = facts.origins.get(key);
  const values = facts.enums.get(key);
  const parts = [
    facts.notes.columns.get(key) ?? (origin ? facts.notes.columns.get(origin) : undefined),
    values ? `One of ${values.map((v) => `\`${v}\``).join(', ')}.` : undefined,
    fk ? `References \`${fk.table}.${fk.to}\`${fk.on_delete === 'CASCADE' ? ' (on delete cascade)' : ''}.` : undefined,
    origin ? `From \`${origin}\`.` : o.type === 'view' && c.type === '' ? 'Computed.' : undefined,
    c.dflt_value !== null ? `Default ${c.dflt_value}.` : undefined,
  ].filter((p): p is string => Boolean(p));
  const nullable = c.notnull || (c.pk && c.type === 'INTEGER') ? 'no' : o.type === 'view' ? '' : 'yes';
  const type = c.type ? `\`${c.type}\`` : '';
  return `| \`${c.name}\` | ${type} | ${nullable} | ${c.pk ? 'PK' : fk ? 'FK' : ''} | ${cell(parts.join(' '))} |`;
}

/** An object's section: heading, its comment, the column table and its indexes. */
function objectSection(db: Db, o: SchemaObject, facts: Facts): string[] {
  const kind = `${o.kind[0]!.toUpperCase()}${o.kind.slice(1)}`;
  const out = [`## ${o.name}`, '', `${kind}. ${facts.notes.objects.get(o.name) ?? ''}`.trim(), ''];
  const cols = (db.pragma(`table_xinfo("${o.name}")`) as ColumnInfo[]).filter((c) => c.hidden === 0);
  const fks = db.pragma(`foreign_key_list("${o.name}")`) as ForeignKey[];
  out.push('| column | declared type | null | key | notes |', '|---|---|---|---|---|');
  for (const c of cols)
    out.push(
      columnRow(
        o,
        c,
        fks.find((f) => f.from === c.name),
        facts,
      ),
    );
  const indexes = (db.pragma(`index_list("${o.name}")`) as { name: string; origin: string }[])
    .filter((i) => i.origin === 'c')
    .reverse();
  if (indexes.length > 0) {
    const columns = (name: string) => (db.pragma(`index_info("${name}")`) as { name: string }[]).map((c) => c.name);
    out.push('', `Indexes: ${indexes.map((i) => `\`${i.name}\` (${columns(i.name).join(', ')})`).join(', ')}.`);
  }
  out.push('');
  return out;
}

/** The whole Markdown document. */
export function renderDataDictionary(): string {
  const facts: Facts = { ...drizzleFacts(), notes: schemaNotes(SOURCES.map((u) => readFileSync(u, 'utf8'))) };
  const handle = openDatabase(':memory:');
  try {
    const objects = schemaObjects(handle.sqlite, facts.notes);
    const out = [...HEADER, ...objects.map((o) => `- ${o.kind} [\`${o.name}\`](#${o.name})`), ''];
    for (const o of objects) out.push(...objectSection(handle.sqlite, o, facts));
    return out.join('\n');
  } finally {
    handle.close();
  }
}
