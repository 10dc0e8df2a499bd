/**
 * The schema's floor for bench/write-path.ts: the issue, field value and FTS rows of new issues through bare
 * positional statements, mapped outside the timed part: what SQLite itself costs per issue before history
 * and sightings. With `history`, also the rows the store adds for a new issue (its first sight of each
 * tracked field in issue_changes, and its sighting), the same way: what the whole schema costs per issue.
 */
import type Database from 'better-sqlite3';
import { getTableColumns } from 'drizzle-orm';
import type { MappedIssue } from '../src/db/issue-store.js';
import { diffTracked, trackedValues } from '../src/db/history.js';
import { issues } from '../src/db/schema.js';
import type { Meter } from './trial-meter.js';

/** The floor's writer: `write` stores one batch of new issues in one transaction, timed by `meter`. */
export interface FloorWriter {
  write(records: readonly MappedIssue[], meter: Meter): void;
}

/** `history`: also write each new issue's first-sight and sighting rows, for the run `runId`. */
export function floorWriter(sqlite: Database.Database, history?: { runId: number }): FloorWriter {
  // The mapper's columns, named by the schema (the store adds first_seen_at and deleted_at).
  const mapped = Object.entries(getTableColumns(issues)).filter(
    ([key]) => key !== 'firstSeenAt' && key !== 'deletedAt',
  );
  const keys = mapped.map(([key]) => key);
  const cols = mapped.map(([, column]) => column.name);
  const insertIssue = sqlite.prepare(
    `INSERT INTO issues (${cols.join(', ')}, first_seen_at) VALUES (${cols.map(() => '?').join(', ')}, ?)`,
  );
  const insertField = sqlite.prepare('INSERT INTO issue_field_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertFts = sqlite.prepare(
    'INSERT INTO issues_fts (rowid, summary, description, field_text) VALUES (?, ?, ?, ?)',
  );
  const insertChange = sqlite.prepare(
    'INSERT INTO issue_changes (issue_id, run_id, field, old_value, new_value, observed_at) VALUES (?, ?, ?, NULL, ?, ?)',
  );
  const insertSighting = sqlite.prepare(
    'INSERT INTO issue_sightings (issue_id, last_listed_run, last_seen_at) VALUES (?, ?, ?)',
  );
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  return {
    write(records, meter) {
      // Positional rows are built before the timed part: the floor is SQLite's own work.
      const rows = records.map(({ issue, fields, fts }) => ({
        issue: [...keys.map((k) => (issue as unknown as Record<string, unknown>)[k]), issue.syncedAt],
        fields: fields.map((f) => [
          f.issueId,
          f.position,
          f.formId,
          f.formName,
          f.fieldId,
          f.label,
          f.type,
          f.valueText,
          f.valueNumber,
          f.valueJson,
        ]),
        fts: [issue.id, fts.summary, fts.description, fts.fieldText],
        changes: history
          ? diffTracked(undefined, trackedValues(issue)).map((c) => [
              issue.id,
              history.runId,
              c.field,
              c.newValue,
              issue.syncedAt,
            ])
          : [],
        sighting: history ? [issue.id, history.runId, issue.syncedAt] : undefined,
      }));
      // Values as separate arguments, as saveIssues binds them (src/db/native.ts): better-sqlite3 reads
      // arguments directly and an array element by element through a slower generic lookup.
      meter.time(() => {
        begin.run();
        for (const r of rows) {
          insertIssue.run(...r.issue);
          for (const f of r.fields) insertField.run(...f);
          insertFts.run(...r.fts);
        }
        if (history) {
          for (const r of rows) for (const c of r.changes) insertChange.run(...c);
          for (const r of rows) insertSighting.run(...r.sighting!);
        }
        commit.run();
      });
    },
  };
}
