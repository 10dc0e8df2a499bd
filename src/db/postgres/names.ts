/**
 * The PostgreSQL schema name (SPEAKUP_DB_SCHEMA). It is spliced into SQL as a quoted identifier (DDL and
 * migration files cannot take it as a parameter), so only plain lower-case identifiers are accepted.
 */
import { ConfigError } from '../../errors.js';

// Lower case only: an unquoted mixed-case name in a BI tool's SQL would fold to another schema.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A problem with `name` as a schema name, phrased for a configuration error, or undefined when it is valid. */
export function schemaNameProblem(name: string): string | undefined {
  if (SCHEMA_NAME.test(name) && !name.startsWith('pg_')) return undefined;
  return `SPEAKUP_DB_SCHEMA: expected a lower-case identifier (letters, digits, _; at most 63; not pg_*) (got ${JSON.stringify(name)})`;
}

/** `name` as a quoted SQL identifier; throws ConfigError unless it is a valid schema name. */
export function quoteSchema(name: string): string {
  const problem = schemaNameProblem(name);
  if (problem) throw new ConfigError([problem]);
  return `"${name}"`;
}
