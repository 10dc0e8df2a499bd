/**
 * The hot write path's executor: Drizzle builds the SQL from the schema (column names and types stay in
 * one place), better-sqlite3 runs it. Drizzle's prepared `.run(values)` resolves every parameter with
 * `is()` entity checks on each call, and callers tend to spread row objects to add keys; saveIssues binds
 * every column of every issue, field value and FTS row, so that per-call work is a large share of a
 * write's CPU time (the write-path benchmark measures it). Here placeholders are resolved to
 * positions once, and a second `more` object supplies the keys a row lacks, so no merged object is
 * built per row.
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
  const n = params.length;
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
  return {
    run(values, more) {
      const args = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const name = names[i];
        if (name === undefined) {
          args[i] = constants[i];
          continue;
        }
        let v = (values as Record<string, unknown>)[name];
        if (v === undefined && more !== undefined) v = (more as Record<string, unknown>)[name];
        // better-sqlite3 refuses undefined anyway; say which name is missing, as Drizzle does.
        if (v === undefined) throw new Error(`No value for placeholder "${name}" was provided`);
        const enc = encoders[i];
        args[i] = enc === undefined ? v : enc.mapToDriverValue(v);
      }
      return stmt.run(args);
    },
  };
}

// Column's base mapToDriverValue is `value => value`; skipping the call keeps the loop monomorphic.
function isIdentity(encoder: Encoder): boolean {
  return encoder.mapToDriverValue === Column.prototype.mapToDriverValue;
}
