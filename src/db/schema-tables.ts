/**
 * The SQLite tables (Drizzle; the views are in schema-views.ts, both exported by schema.ts).
 * `npm run db:generate` turns changes here into SQL under migrations/; the FTS5 table lives in a
 * hand-written migration (drizzle-kit has no virtual tables), see fts.ts.
 *
 * Every timestamp is ISO-8601 UTC text in exactly `Date#toISOString()` form (`2024-05-01T08:00:00.000Z`)
 * in a column declared DATETIME: Metabase and DuckDB then see a date, Grafana gets RFC 3339, and text
 * order is time order. A CHECK refuses anything else, because DATETIME has NUMERIC affinity and a partial
 * date such as '2024' would silently become the integer 2024.
 */
import { sql } from 'drizzle-orm';
import {
  check,
  customType,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  type SQLiteColumn,
} from 'drizzle-orm/sqlite-core';

/** A timestamp column declared `DATETIME` holding `toISOString()` text. */
export const datetime = customType<{ data: string; driverData: string }>({
  dataType: () => 'DATETIME',
});

// GLOB, not a date function: it also rejects numbers, which a NUMERIC-affinity column would otherwise keep.
export const ISO_GLOB = "'[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'";

/** CHECK constraints that keep every listed timestamp column NULL or a full `toISOString()` value. */
function isoTimestamps(table: string, columns: SQLiteColumn[]) {
  return columns.map((c) => check(`${table}_${c.name}_iso`, sql`${c} IS NULL OR ${c} GLOB ${sql.raw(ISO_GLOB)}`));
}

/** One row per SpeakUp issue ever seen; never hard-deleted (`deleted_at` marks issues no longer listed). */
export const issues = sqliteTable(
  'issues',
  {
    id: integer('id').primaryKey(),
    customId: text('custom_id'),
    createdAt: datetime('created_at'),
    updatedAt: datetime('updated_at').notNull(),
    summary: text('summary'),
    description: text('description'),
    status: text('status'),
    issueType: text('issue_type'),
    channel: text('channel'),
    domainId: integer('domain_id'),
    domainName: text('domain_name'),
    // Text: the API types assignee ids as number | string.
    assigneeId: text('assignee_id'),
    assigneeName: text('assignee_name'),
    assigneeEmail: text('assignee_email'),
    /** JSON array of label strings. */
    labels: text('labels'),
    receivedAt: datetime('received_at'),
    acknowledgedAt: datetime('acknowledged_at'),
    dueAt: datetime('due_at'),
    closedAt: datetime('closed_at'),
    /** The whole detail object as JSON text, unknown fields included. */
    data: text('data').notNull(),
    /** When this detail was fetched. */
    syncedAt: datetime('synced_at').notNull(),
    firstSeenAt: datetime('first_seen_at').notNull(),
    /** Set when a complete listing no longer holds the issue; cleared when it comes back. */
    deletedAt: datetime('deleted_at'),
    /**
     * When the issue's content (detail JSON, summary, description, field values, full-text entry) was
     * erased: by the purge of issues deleted at the source, or by `speakup-sync erase`.
     */
    purgedAt: datetime('purged_at'),
    /** Set by `speakup-sync erase`, cleared by `erase --undo`: while set, runs store the issue without content. */
    erasedAt: datetime('erased_at'),
  },
  (t) => [
    index('issues_updated_at_idx').on(t.updatedAt),
    index('issues_status_idx').on(t.status),
    index('issues_domain_id_idx').on(t.domainId),
    index('issues_deleted_at_idx').on(t.deletedAt),
    index('issues_received_at_idx').on(t.receivedAt),
    ...isoTimestamps('issues', [
      t.createdAt,
      t.updatedAt,
      t.receivedAt,
      t.acknowledgedAt,
      t.dueAt,
      t.closedAt,
      t.syncedAt,
      t.firstSeenAt,
      t.deletedAt,
      t.purgedAt,
      t.erasedAt,
    ]),
  ],
);

/**
 * When each issue was last listed. Apart from `issues` on purpose: every run touches every listed issue,
 * and updating two columns of an `issues` row rewrites its whole page (kilobytes of WAL per issue per
 * run); here a sighting costs a few dozen bytes.
 */
export const issueSightings = sqliteTable(
  'issue_sightings',
  {
    issueId: integer('issue_id')
      .primaryKey()
      .references(() => issues.id, { onDelete: 'cascade' }),
    /** Run id of the last listing that held the issue; older than a complete run's id = missing. */
    lastListedRun: integer('last_listed_run').notNull(),
    lastSeenAt: datetime('last_seen_at').notNull(),
  },
  (t) => [
    index('issue_sightings_last_listed_run_idx').on(t.lastListedRun),
    ...isoTimestamps('issue_sightings', [t.lastSeenAt]),
  ],
);

/** One row per custom field value of an issue's forms; replaced with its issue in one transaction. */
export const issueFieldValues = sqliteTable(
  'issue_field_values',
  {
    issueId: integer('issue_id')
      .notNull()
      .references(() => issues.id, { onDelete: 'cascade' }),
    /** 0-based order over all forms and fields of the detail, as the API sent them. */
    position: integer('position').notNull(),
    formId: text('form_id'),
    formName: text('form_name'),
    fieldId: text('field_id'),
    label: text('label'),
    type: text('type'),
    /** Readable value: strings, numbers, 'true'/'false', normalised dates, list items joined by ', '. */
    valueText: text('value_text'),
    valueNumber: real('value_number'),
    /** JSON for arrays, objects and booleans. */
    valueJson: text('value_json'),
  },
  // The primary key's leading column doubles as the issue_id index.
  (t) => [primaryKey({ columns: [t.issueId, t.position] })],
);

/** Runs of the sync: one row each, counts updated as it goes (a `_dlt_loads` analogue). */
export const syncRuns = sqliteTable(
  'sync_runs',
  {
    id: integer('id').primaryKey(),
    startedAt: datetime('started_at').notNull(),
    finishedAt: datetime('finished_at'),
    /** Last sign of life of the run (start, progress); used to spot runs whose process vanished. */
    heartbeatAt: datetime('heartbeat_at'),
    status: text('status', { enum: ['running', 'succeeded', 'partial', 'failed', 'interrupted'] }).notNull(),
    trigger: text('trigger', { enum: ['manual', 'scheduled', 'startup', 'reconcile'] }).notNull(),
    full: integer('full', { mode: 'boolean' }).notNull().default(false),
    listed: integer('listed').notNull().default(0),
    fetched: integer('fetched').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    deleted: integer('deleted').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    requests: integer('requests').notNull().default(0),
    retries: integer('retries').notNull().default(0),
    /** HTTP 429 answers received. */
    throttled: integer('throttled').notNull().default(0),
    /** One line, secret-free. */
    error: text('error'),
    pid: integer('pid'),
    host: text('host'),
    /** Issues whose content this run erased because they were deleted at the source long enough. */
    purged: integer('purged').notNull().default(0),
    /** Issues missing from the listing whose detail still answered: kept, not deleted. */
    unconfirmed: integer('unconfirmed').notNull().default(0),
    /** Detail paths this run saw for the first time (schema drift: SpeakUp added a field). */
    newPaths: integer('new_paths').notNull().default(0),
    /** Mapped detail paths this run no longer saw, in enough details to tell (a field renamed or dropped). */
    lostPaths: integer('lost_paths').notNull().default(0),
    /** Issues this run mapped again from their stored detail JSON (after a field-map change). */
    remapped: integer('remapped').notNull().default(0),
  },
  (t) => [
    check('sync_runs_status_check', sql`${t.status} IN ('running','succeeded','partial','failed','interrupted')`),
    check('sync_runs_trigger_check', sql`${t.trigger} IN ('manual','scheduled','startup','reconcile')`),
    check('sync_runs_full_check', sql`${t.full} IN (0, 1)`),
    ...isoTimestamps('sync_runs', [t.startedAt, t.finishedAt, t.heartbeatAt]),
  ],
);

/** Changes of the fields that matter to case handling, one row per field per observed change. */
export const issueChanges = sqliteTable(
  'issue_changes',
  {
    id: integer('id').primaryKey(),
    issueId: integer('issue_id')
      .notNull()
      .references(() => issues.id, { onDelete: 'cascade' }),
    runId: integer('run_id')
      .notNull()
      .references(() => syncRuns.id),
    field: text('field', { enum: ['status', 'assignee', 'domain', 'due_at', 'labels'] }).notNull(),
    /** NULL on the row written when the issue is first seen. */
    oldValue: text('old_value'),
    newValue: text('new_value'),
    observedAt: datetime('observed_at').notNull(),
  },
  (t) => [
    index('issue_changes_issue_field_idx').on(t.issueId, t.field),
    // One comparison per field, not `IN (...)`: SQLite fills a temporary index for every row inserted to
    // test an IN list of three or more constants inside a CHECK. Both forms accept the same values.
    check(
      'issue_changes_field_check',
      sql.join(
        t.field.enumValues.map((f) => sql`${t.field} = ${sql.raw(`'${f}'`)}`),
        sql` OR `,
      ),
    ),
    ...isoTimestamps('issue_changes', [t.observedAt]),
  ],
);

/** The single-row sync lease: whoever holds this row may write a run. */
export const syncLock = sqliteTable(
  'sync_lock',
  {
    id: integer('id').primaryKey(),
    pid: integer('pid').notNull(),
    host: text('host').notNull(),
    runId: integer('run_id'),
    acquiredAt: datetime('acquired_at').notNull(),
    heartbeatAt: datetime('heartbeat_at').notNull(),
    /** Random per holding: two holders with the same pid and host still tell their leases apart. */
    token: text('token'),
  },
  (t) => [
    check('sync_lock_single_row', sql`${t.id} = 1`),
    ...isoTimestamps('sync_lock', [t.acquiredAt, t.heartbeatAt]),
  ],
);

/**
 * Audit of `speakup-sync erase`: who asked (OS user, host), when, for which issue ids, and whether it
 * erased or undid an erase. Never any content.
 */
export const eraseLog = sqliteTable(
  'erase_log',
  {
    id: integer('id').primaryKey(),
    at: datetime('at').notNull(),
    action: text('action', { enum: ['erase', 'undo'] }).notNull(),
    /** JSON array of the issue ids. */
    issueIds: text('issue_ids').notNull(),
    osUser: text('os_user').notNull(),
    host: text('host').notNull(),
  },
  (t) => [check('erase_log_action_check', sql`${t.action} IN ('erase','undo')`), ...isoTimestamps('erase_log', [t.at])],
);

/**
 * Every path of the detail object the runs have seen (`forms[].fields[].value` style), for schema drift:
 * when each was first and last seen, and since which run a path stopped appearing. Names only, no value.
 */
export const detailPaths = sqliteTable(
  'detail_paths',
  {
    path: text('path').primaryKey(),
    firstSeenRun: integer('first_seen_run').notNull(),
    firstSeenAt: datetime('first_seen_at').notNull(),
    lastSeenRun: integer('last_seen_run').notNull(),
    lastSeenAt: datetime('last_seen_at').notNull(),
    /** The run that first fetched enough details without this path to call it gone; NULL while present. */
    missingSinceRun: integer('missing_since_run'),
    /** Details that held the path, and details looked at since it was first seen: how common it is. */
    detailsSeen: integer('details_seen').notNull().default(0),
    detailsTotal: integer('details_total').notNull().default(0),
  },
  (t) => [...isoTimestamps('detail_paths', [t.firstSeenAt, t.lastSeenAt])],
);

/** Small facts the mirror keeps about itself, by key (e.g. the fingerprint of the field map last used). */
export const settings = sqliteTable(
  'settings',
  {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
    updatedAt: datetime('updated_at').notNull(),
  },
  (t) => [...isoTimestamps('settings', [t.updatedAt])],
);

export type IssueRow = typeof issues.$inferSelect;
export type NewIssueRow = typeof issues.$inferInsert;
export type FieldValueRow = typeof issueFieldValues.$inferSelect;
export type NewFieldValueRow = typeof issueFieldValues.$inferInsert;
export type SyncRunRow = typeof syncRuns.$inferSelect;
export type IssueChangeRow = typeof issueChanges.$inferSelect;
export type DetailPathRow = typeof detailPaths.$inferSelect;
export type EraseLogRow = typeof eraseLog.$inferSelect;
export type TrackedField = IssueChangeRow['field'];
// Defined once, by the sync core; run-log.ts checks that the enum columns above agree.
export type { RunStatus, RunTrigger } from '../sync/ports.js';
