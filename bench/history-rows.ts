/**
 * What one row of `issue_changes` costs SQLite, and which part of its definition costs what: the table as
 * migration 0005 defines it (two foreign keys, the field and date CHECKs, the (issue_id, field) index),
 * then rebuilt with one part left out at a time, and bare. A new issue writes five such rows (its first
 * sight of each tracked field), which the write path's floor (bench/write-floor.ts) leaves out.
 * Each variant inserts N rows in one INSERT … SELECT from a recursive CTE, so the figure is SQLite's own
 * work per row, with no JavaScript or binding: the process's CPU time (one thread works here; no
 * checkpointer), with a page cache that holds the whole transaction; median of nine rounds, variants
 * interleaved.
 * Usage: npx tsx bench/history-rows.ts [rows=50000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TRACKED_FIELDS } from '../src/db/history.js';
import { ISO_GLOB } from '../src/db/schema-tables.js';
import { median } from './trial-meter.js';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = 9;

interface Parts {
  fk: boolean;
  fieldCheck: boolean;
  dateCheck: boolean;
  index: boolean;
}
const ALL: Parts = { fk: true, fieldCheck: true, dateCheck: true, index: true };
const VARIANTS: Record<string, Parts> = {
  'as migrated': ALL,
  'without the date CHECK': { ...ALL, dateCheck: false },
  'without the field CHECK': { ...ALL, fieldCheck: false },
  'without the foreign keys': { ...ALL, fk: false },
  'without the index': { ...ALL, index: false },
  bare: { fk: false, fieldCheck: false, dateCheck: false, index: false },
};

function ddl(p: Parts): string {
  const clauses = [
    'id integer PRIMARY KEY NOT NULL, issue_id integer NOT NULL, run_id integer NOT NULL, field text NOT NULL',
    'old_value text, new_value text, observed_at DATETIME NOT NULL',
  ];
  if (p.fk)
    clauses.push(
      'FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE cascade, FOREIGN KEY (run_id) REFERENCES sync_runs(id)',
    );
  if (p.fieldCheck) clauses.push(`CHECK(${TRACKED_FIELDS.map((f) => `field = '${f}'`).join(' OR ')})`);
  if (p.dateCheck) clauses.push(`CHECK(observed_at IS NULL OR observed_at GLOB ${ISO_GLOB})`);
  const index = p.index ? 'CREATE INDEX issue_changes_issue_field_idx ON issue_changes (issue_id, field);' : '';
  return `CREATE TABLE issue_changes (${clauses.join(', ')}); ${index}`;
}

/** ns per row of one variant, into a fresh file with the mirror's pragmas. */
function once(p: Parts): number {
  const dir = mkdtempSync(join(tmpdir(), 'speakup-history-'));
  const db = new Database(join(dir, 'h.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -131072');
    db.exec(`CREATE TABLE issues (id integer PRIMARY KEY); CREATE TABLE sync_runs (id integer PRIMARY KEY);
      INSERT INTO sync_runs VALUES (1);
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${Math.ceil(N / 5)})
      INSERT INTO issues SELECT i FROM c; ${ddl(p)}`);
    const fill = db.prepare(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${N - 1})
      INSERT INTO issue_changes SELECT NULL, i / 5 + 1, 1,
        CASE i % 5 ${TRACKED_FIELDS.map((f, k) => `WHEN ${k} THEN '${f}'`).join(' ')} END,
        NULL, 'value ' || i, '2026-11-27T16:12:04.123Z' FROM c`);
    const before = process.cpuUsage();
    db.transaction(() => fill.run())();
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / N;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Each round runs every variant, in an order that rotates, and each is judged against the table as
// migrated in the same round: this host's speed drifts by up to a half from one second to the next.
const names = Object.keys(VARIANTS);
const ns: Record<string, number[]> = {};
const share: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  const round: Record<string, number> = {};
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length]!;
    round[name] = once(VARIANTS[name]!);
  }
  for (const name of names) {
    (ns[name] ??= []).push(round[name]!);
    (share[name] ??= []).push(round[name]! / round['as migrated']!);
  }
}
for (const name of names) {
  const m = median(share[name]!);
  const of = name === 'as migrated' ? '' : `, ${Math.round(100 * m)}% of the table as migrated`;
  console.log(`${name.padEnd(26)} ${Math.round(median(ns[name]!))} ns per row${of} (median of ${ROUNDS} rounds)`);
}
const full = median(ns['as migrated']!);
console.log(
  `RESULT five first-sight rows of a new issue: ${((5 * full) / 1000).toFixed(1)} µs as migrated; bare ${Math.round(100 * median(share.bare!))}% of that`,
);
