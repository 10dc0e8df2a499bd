/**
 * The hot write path's executor: Drizzle builds the SQL from the schema (column names and types stay in
 * one place), better-sqlite3 runs it. Drizzle's prepared `.run(values)` resolves every parameter with
 * `is()` entity checks on each call, and callers tend to spread row objects to add keys; saveIssues binds
 * every column of every issue, field value and FTS row, so that per-call work is a large share of a
 * write's CPU time (the write-path benchmark measures it). Here placeholders are resolved to
 * positions once, into a function compiled per statement, and a second `more` object supplies the
 * keys a row lacks, so no merged object is built per row.
 */
import type Database from 'better-sqlite3';
import { Column, is, Param, Placeholder, type Query } from 'drizzle-orm';

// `object`, not Record: interfaces such as MappedIssueRow have no index signature.
type Values = object;

/** A statement bound by placeholder name, like a Drizzle prepared query. */
export interface NativeStatement {
  /** Names are looked up in `values`, then in `more` (saves building a merged object per row). */
  run(values: Values, more?: Values): Database.RunResult;
}

/** Anything Drizzle can render to SQL with parameters (query builders with `sql.placeholder`s). */
export interface ToSql {
  toSQL(): Query;
}

type Encoder = { mapToDriverValue(value: unknown): unknown };

/** Prepares `query` on `sqlite`, resolving its placeholders to positions once, the way fillPlaceholders does per call. */
export function nativeStatement(sqlite: Database.Database, query: ToSql): NativeStatement {
  const { sql, params } = query.toSQL();
  const stmt = sqlite.prepare(sql);
  // Per position: a placeholder name (or undefined for a constant), and the column encoder if any.
  const names: (string | undefined)[] = [];
  const encoders: (Encoder | undefined)[] = [];
  const constants: unknown[] = [];
  for (const p of params) {
    if (is(p, Placeholder)) {
      names.push(p.name);
      encoders.push(undefined);
    } else if (is(p, Param) && is(p.value, Placeholder)) {
      names.push(p.value.name);
      // Same as Drizzle: a column's encoder maps the value (e.g. boolean -> 0/1); identity for most columns.
      encoders.push(isIdentity(p.encoder) ? undefined : p.encoder);
    } else {
      names.push(undefined);
      encoders.push(undefined);
    }
    constants.push(p);
  }
  return { run: compileRun(stmt, names, encoders, constants) };
}

type Run = NativeStatement['run'];

/**
 * One call of the statement, as a function compiled once per statement: each placeholder name is written
 * into its code as a constant property key, so every lookup is a plain property load that V8's inline
 * caches make fast, where a loop over the names does a generic keyed lookup per parameter. The values go to
 * `stmt.run` as separate arguments, not as one array: better-sqlite3 reads arguments directly, but the
 * elements of an array one by one through V8's generic property lookup, a measurable share of a write.
 * Names come from the statement's own placeholders and are embedded as JSON string literals.
 */
function compileRun(
  stmt: Database.Statement,
  names: readonly (string | undefined)[],
  encoders: readonly (Encoder | undefined)[],
  constants: readonly unknown[],
): Run {
  const lines = names.map((name, i) => {
    if (name === undefined) return `const v${i} = constants[${i}];`;
    const key = JSON.stringify(name);
    const value = encoders[i] === undefined ? '' : ` v${i} = encoders[${i}].mapToDriverValue(v${i});`;
    return `let v${i} = values[${key}]; if (v${i} === undefined && more !== undefined) v${i} = more[${key}]; if (v${i} === undefined) missing(${key});${value}`;
  });
  const args = names.map((_, i) => `v${i}`).join(', ');
  const body = `return (values, more) => { ${lines.join(' ')} return stmt.run(${args}); };`;
  // better-sqlite3 refuses undefined anyway; say which name is missing, as Drizzle does.
  const missing = (name: string): never => {
    throw new Error(`No value for placeholder "${name}" was provided`);
  };
  // Code generation is the point here; the code holds only this statement's placeholder names, as literals.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('stmt', 'constants', 'encoders', 'missing', body)(stmt, constants, encoders, missing) as Run;
}

// Column's base mapToDriverValue is `value => value`; the binder skips the call for it.
function isIdentity(encoder: Encoder): boolean {
  return encoder.mapToDriverValue === Column.prototype.mapToDriverValue;
}
