/**
 * The SQLite side of the remap step and of schema drift: stored details read back by id, issues rewritten
 * from a new mapping, the detail paths runs have seen, and small settings. The remap rewrites only what
 * the mapper produces: deletion marks, sightings, first-seen times, the stored JSON and its fetch time stay.
 */
import type { KnownPath, MappedIssue, MappingStore, PathRecord, StoredDetail } from '../sync/ports.js';
import { diffTracked, trackedValues, type TrackedSource, type TrackedValues } from './history.js';
import { chunks } from './issue-writes.js';
import type { DatabaseHandle } from './open.js';
import { settled } from './settled.js';

/** The mapping operations, synchronous; {@link mappingPort} adapts them to the core's port. */
export interface MappingOps {
  storedDetails(afterId: number, limit: number, before?: string): StoredDetail[];
  remapIssues(records: readonly MappedIssue[], runId: number, at: string): void;
  knownPaths(): KnownPath[];
  recordPaths(record: PathRecord): void;
  getSetting(key: string): string | undefined;
  putSetting(key: string, value: string, at: string): void;
}

// The mapped columns a remap rewrites: not id, updated_at, data or synced_at (the stored detail's own).
const REMAPPED = [
  ['custom_id', 'customId'],
  ['created_at', 'createdAt'],
  ['summary', 'summary'],
  ['description', 'description'],
  ['status', 'status'],
  ['issue_type', 'issueType'],
  ['channel', 'channel'],
  ['domain_id', 'domainId'],
  ['domain_name', 'domainName'],
  ['assignee_id', 'assigneeId'],
  ['assignee_name', 'assigneeName'],
  ['assignee_email', 'assigneeEmail'],
  ['labels', 'labels'],
  ['received_at', 'receivedAt'],
  ['acknowledged_at', 'acknowledgedAt'],
  ['due_at', 'dueAt'],
  ['closed_at', 'closedAt'],
] as const;

export function createMappingOps({ db, sqlite }: DatabaseHandle): MappingOps {
  const st = {
    stored: sqlite.prepare(`SELECT id, data, synced_at AS syncedAt FROM issues
      WHERE id > @afterId AND purged_at IS NULL AND erased_at IS NULL AND (@before IS NULL OR synced_at < @before)
      ORDER BY id LIMIT @limit`),
    tracked:
      sqlite.prepare(`SELECT id, status, assignee_id AS assigneeId, domain_id AS domainId, due_at AS dueAt, labels
      FROM issues WHERE erased_at IS NULL AND purged_at IS NULL AND id IN (SELECT value FROM json_each(?))`),
    update: sqlite.prepare(`UPDATE issues SET ${REMAPPED.map(([c, k]) => `${c} = @${k}`).join(', ')} WHERE id = @id`),
    deleteFields: sqlite.prepare('DELETE FROM issue_field_values WHERE issue_id = ?'),
    insertField:
      sqlite.prepare(`INSERT INTO issue_field_values (issue_id, position, form_id, form_name, field_id, label, type, value_text, value_number, value_json)
      VALUES (@issueId, @position, @formId, @formName, @fieldId, @label, @type, @valueText, @valueNumber, @valueJson)`),
    deleteFts: sqlite.prepare('DELETE FROM issues_fts WHERE rowid = ?'),
    insertFts: sqlite.prepare('INSERT INTO issues_fts (rowid, summary, description, field_text) VALUES (?, ?, ?, ?)'),
    insertChange: sqlite.prepare(`INSERT INTO issue_changes (issue_id, run_id, field, old_value, new_value, observed_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    known:
      sqlite.prepare(`SELECT path, details_seen AS detailsSeen, details_total AS detailsTotal, missing_since_run AS missingSinceRun
      FROM detail_paths ORDER BY path`),
    addTotal: sqlite.prepare('UPDATE detail_paths SET details_total = details_total + ?'),
    seePath:
      sqlite.prepare(`INSERT INTO detail_paths (path, first_seen_run, first_seen_at, last_seen_run, last_seen_at, details_seen, details_total)
      VALUES (@path, @runId, @at, @runId, @at, @n, @details)
      ON CONFLICT (path) DO UPDATE SET last_seen_run = excluded.last_seen_run, last_seen_at = excluded.last_seen_at,
        missing_since_run = NULL, details_seen = details_seen + excluded.details_seen`),
    losePath: sqlite.prepare(
      'UPDATE detail_paths SET missing_since_run = ? WHERE path = ? AND missing_since_run IS NULL',
    ),
    getSetting: sqlite.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
    putSetting: sqlite.prepare(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
  };
  const immediate = (work: () => void): void => db.transaction(work, { behavior: 'immediate' });

  return {
    storedDetails: (afterId, limit, before) =>
      st.stored.all({ afterId, limit, before: before ?? null }) as StoredDetail[],
    remapIssues(records, runId, at) {
      if (records.length === 0) return;
      immediate(() => {
        const before = new Map<number, TrackedValues>();
        for (const chunk of chunks(records.map((r) => r.issue.id))) {
          for (const row of st.tracked.all(JSON.stringify(chunk)) as (TrackedSource & { id: number })[]) {
            before.set(row.id, trackedValues(row));
          }
        }
        for (const { issue, fields, fts } of records) {
          const old = before.get(issue.id);
          // Only stored issues with content are remapped: one erased or purged meanwhile keeps no content.
          if (!old) continue;
          st.update.run(issue);
          st.deleteFields.run(issue.id);
          for (const f of fields) st.insertField.run(f);
          st.deleteFts.run(issue.id);
          st.insertFts.run(issue.id, fts.summary, fts.description, fts.fieldText);
          const now = trackedValues(issue);
          for (const c of diffTracked(old, now))
            st.insertChange.run(issue.id, runId, c.field, c.oldValue, c.newValue, at);
          before.set(issue.id, now);
        }
      });
    },
    knownPaths: () => st.known.all() as KnownPath[],
    recordPaths({ runId, at, details, seen, lost }) {
      immediate(() => {
        st.addTotal.run(details);
        for (const [path, n] of seen) st.seePath.run({ path, runId, at, n, details });
        for (const path of lost) st.losePath.run(runId, path);
      });
    },
    getSetting: (key) => st.getSetting.get(key) as string | undefined,
    putSetting: (key, value, at) => void st.putSetting.run(key, value, at),
  };
}

/** The core's mapping port over these operations. */
export function mappingPort(ops: MappingOps): MappingStore {
  return {
    storedDetails: (afterId, limit, before) => settled(() => ops.storedDetails(afterId, limit, before)),
    remapIssues: (records, runId, at) => settled(() => ops.remapIssues(records, runId, at)),
    knownPaths: () => settled(() => ops.knownPaths()),
    recordPaths: (record) => settled(() => ops.recordPaths(record)),
    getSetting: (key) => settled(() => ops.getSetting(key)),
    putSetting: (key, value, at) => settled(() => ops.putSetting(key, value, at)),
  };
}
