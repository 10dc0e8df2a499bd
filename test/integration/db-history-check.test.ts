/**
 * The CHECK on issue_changes.field: it accepts exactly the tracked fields, and SQLite runs it per inserted
 * row without building anything. An `IN (...)` list of three or more constants inside a CHECK makes SQLite
 * fill a temporary index for every row inserted (no once-only step there); a new issue writes five history
 * rows, so the CHECK is written as one comparison per field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRACKED_FIELDS } from '../../src/db/history.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';

let dir: string;
let h: DatabaseHandle;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-history-check-'));
  h = openDatabase(join(dir, 'mirror.db'));
  h.sqlite
    .prepare(`INSERT INTO sync_runs (id, started_at, status, "trigger") VALUES (1, ?, 'running', 'manual')`)
    .run('2024-01-01T00:00:00.000Z');
  h.sqlite
    .prepare(`INSERT INTO issues (id, updated_at, data, synced_at, first_seen_at) VALUES (1, ?, '{}', ?, ?)`)
    .run('2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');
});
afterEach(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

const INSERT = `INSERT INTO issue_changes (issue_id, run_id, field, old_value, new_value, observed_at)
  VALUES (1, 1, ?, NULL, 'x', '2024-01-01T00:00:00.000Z')`;

describe('issue_changes.field', () => {
  it('accepts each tracked field and refuses any other value', () => {
    const insert = h.sqlite.prepare(INSERT);
    for (const field of TRACKED_FIELDS) insert.run(field);
    expect(h.sqlite.prepare('SELECT field FROM issue_changes ORDER BY id').pluck().all()).toEqual(TRACKED_FIELDS);
    for (const bad of ['Status', 'status ', '', 'priority', 1]) {
      expect(() => insert.run(bad), String(bad)).toThrow(/CHECK constraint failed: issue_changes_field_check/);
    }
    expect(() => insert.run(null)).toThrow(/NOT NULL constraint failed: issue_changes.field/);
  });

  it('is checked per row without a temporary index', () => {
    const program = h.sqlite.prepare(`EXPLAIN ${INSERT}`).all('status') as { opcode: string }[];
    expect(program.map((op) => op.opcode)).not.toContain('OpenEphemeral');
  });
});
