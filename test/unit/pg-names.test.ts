import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { quoteSchema, schemaNameProblem } from '../../src/db/postgres/names.js';

describe('SPEAKUP_DB_SCHEMA', () => {
  it('accepts plain lower-case identifiers', () => {
    for (const name of ['speakup', 'speakup_de', '_x', 'a1', 'a'.repeat(63)]) {
      expect({ name, problem: schemaNameProblem(name) }).toEqual({ name, problem: undefined });
      expect(quoteSchema(name)).toBe(`"${name}"`);
    }
  });

  it('refuses anything that would need quoting, fold, or collide with the system schemas', () => {
    for (const name of ['', 'Speakup', '1abc', 'a-b', 'a b', 'a"b', 'x;drop', 'pg_temp', 'ä', 'a'.repeat(64)]) {
      expect(schemaNameProblem(name)).toBe(
        `SPEAKUP_DB_SCHEMA: expected a lower-case identifier (letters, digits, _; at most 63; not pg_*) (got ${JSON.stringify(name)})`,
      );
      expect(() => quoteSchema(name)).toThrow(ConfigError);
    }
  });
});
