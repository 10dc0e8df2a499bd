/**
 * The PostgreSQL tables of a mirror (Drizzle pg-core), built per schema name; the views are in
 * schema-views.ts and both are put together by createPgTables (schema.ts), which says why the two
 * dialects differ.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A point in time: `timestamptz(3)`, read and written as text. */
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'string' });
const id = (name: string) => bigint(name, { mode: 'number' });

// Text search configuration 'simple': no stemming, language-neutral, like FTS5's unicode61 tokenizer.
const FTS_DOCUMENT = sql`setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'A') || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'B') || setweight(to_tsvector('simple'::regconfig, coalesce(field_text, '')), 'C')`;

/** The tables of a mirror in the PostgreSQL schema `name`. */
export function createPgBaseTables(name: string) {
  const schema = pgSchema(name);
  const issues = issuesTable(schema);
  return { schema, issues, ...issueChildTables(schema, issues), ...runTables(schema, issues) };
}

type Schema = ReturnType<typeof pgSchema>;

function issuesTable(schema: Schema) {
  return schema.table(
    'issues',
    {
      id: id('id').primaryKey(),
      customId: text('custom_id'),
      createdAt: ts('created_at'),
      updatedAt: ts('updated_at').notNull(),
      summary: text('summary'),
      description: text('description'),
      status: text('status'),
      issueType: text('issue_type'),
      channel: text('channel'),
      domainId: id('domain_id'),
      domainName: text('domain_name'),
      assigneeId: text('assignee_id'),
      assigneeName: text('assignee_name'),
      assigneeEmail: text('assignee_email'),
      labels: jsonb('labels').$type<string[]>(),
      receivedAt: ts('received_at'),
      acknowledgedAt: ts('acknowledged_at'),
      dueAt: ts('due_at'),
      closedAt: ts('closed_at'),
      data: jsonb('data').notNull(),
      syncedAt: ts('synced_at').notNull(),
      firstSeenAt: ts('first_seen_at').notNull(),
      deletedAt: ts('deleted_at'),
      purgedAt: ts('purged_at'),
      erasedAt: ts('erased_at'),
    },
    (t) => [
      index('issues_updated_at_idx').on(t.updatedAt),
      index('issues_status_idx').on(t.status),
      index('issues_domain_id_idx').on(t.domainId),
      index('issues_deleted_at_idx').on(t.deletedAt),
      index('issues_received_at_idx').on(t.receivedAt),
    ],
  );
}

type IssuesTable = ReturnType<typeof issuesTable>;

/** Tables with one or more rows per issue, replaced with it. */
function issueChildTables(schema: Schema, issues: IssuesTable) {
  const issueSightings = schema.table(
    'issue_sightings',
    {
      issueId: id('issue_id')
        .primaryKey()
        .references(() => issues.id, { onDelete: 'cascade' }),
      lastListedRun: id('last_listed_run').notNull(),
      lastSeenAt: ts('last_seen_at').notNull(),
    },
    (t) => [index('issue_sightings_last_listed_run_idx').on(t.lastListedRun)],
  );

  const issueFieldValues = schema.table(
    'issue_field_values',
    {
      issueId: id('issue_id')
        .notNull()
        .references(() => issues.id, { onDelete: 'cascade' }),
      position: integer('position').notNull(),
      formId: text('form_id'),
      formName: text('form_name'),
      fieldId: text('field_id'),
      label: text('label'),
      type: text('type'),
      valueText: text('value_text'),
      valueNumber: doublePrecision('value_number'),
      valueJson: jsonb('value_json'),
    },
    (t) => [primaryKey({ columns: [t.issueId, t.position] })],
  );

  /** One row per issue; the store writes the text in the issue's transaction, PostgreSQL derives `document`. */
  const issuesFts = schema.table(
    'issues_fts',
    {
      issueId: id('issue_id')
        .primaryKey()
        .references(() => issues.id, { onDelete: 'cascade' }),
      summary: text('summary'),
      description: text('description'),
      fieldText: text('field_text'),
      document: tsvector('document').notNull().generatedAlwaysAs(FTS_DOCUMENT),
    },
    (t) => [index('issues_fts_document_idx').using('gin', t.document)],
  );

  return { issueSightings, issueFieldValues, issuesFts };
}

/** The run log: one row per run. */
function syncRunsTable(schema: Schema) {
  return schema.table(
    'sync_runs',
    {
      id: id('id').primaryKey().generatedByDefaultAsIdentity(),
      startedAt: ts('started_at').notNull(),
      finishedAt: ts('finished_at'),
      heartbeatAt: ts('heartbeat_at'),
      status: text('status', { enum: ['running', 'succeeded', 'partial', 'failed', 'interrupted'] }).notNull(),
      trigger: text('trigger', { enum: ['manual', 'scheduled', 'startup', 'reconcile'] }).notNull(),
      full: boolean('full').notNull().default(false),
      listed: integer('listed').notNull().default(0),
      fetched: integer('fetched').notNull().default(0),
      unchanged: integer('unchanged').notNull().default(0),
      deleted: integer('deleted').notNull().default(0),
      failed: integer('failed').notNull().default(0),
      requests: integer('requests').notNull().default(0),
      retries: integer('retries').notNull().default(0),
      throttled: integer('throttled').notNull().default(0),
      error: text('error'),
      pid: integer('pid'),
      host: text('host'),
      purged: integer('purged').notNull().default(0),
      unconfirmed: integer('unconfirmed').notNull().default(0),
      newPaths: integer('new_paths').notNull().default(0),
      lostPaths: integer('lost_paths').notNull().default(0),
      remapped: integer('remapped').notNull().default(0),
    },
    (t) => [
      check('sync_runs_status_check', sql`${t.status} IN ('running','succeeded','partial','failed','interrupted')`),
      check('sync_runs_trigger_check', sql`${t.trigger} IN ('manual','scheduled','startup','reconcile')`),
    ],
  );
}

/** The run log, the history of tracked fields and the lease row. */
function runTables(schema: Schema, issues: IssuesTable) {
  const syncRuns = syncRunsTable(schema);
  const issueChanges = schema.table(
    'issue_changes',
    {
      id: id('id').primaryKey().generatedByDefaultAsIdentity(),
      issueId: id('issue_id')
        .notNull()
        .references(() => issues.id, { onDelete: 'cascade' }),
      runId: id('run_id')
        .notNull()
        .references(() => syncRuns.id),
      field: text('field', { enum: ['status', 'assignee', 'domain', 'due_at', 'labels'] }).notNull(),
      oldValue: text('old_value'),
      newValue: text('new_value'),
      observedAt: ts('observed_at').notNull(),
    },
    (t) => [
      index('issue_changes_issue_field_idx').on(t.issueId, t.field),
      check('issue_changes_field_check', sql`${t.field} IN ('status','assignee','domain','due_at','labels')`),
    ],
  );

  return { syncRuns, issueChanges, ...adminTables(schema) };
}

/** The lease row, the erase audit, the detail paths seen and the mirror's own settings. */
function adminTables(schema: Schema) {
  // The row lease of the SQLite side, kept for parity and for `status`; on PostgreSQL the run lock itself
  // is an advisory lock (lock.ts), which dies with its connection.
  const syncLock = schema.table(
    'sync_lock',
    {
      id: integer('id').primaryKey(),
      pid: integer('pid').notNull(),
      host: text('host').notNull(),
      runId: id('run_id'),
      acquiredAt: ts('acquired_at').notNull(),
      heartbeatAt: ts('heartbeat_at').notNull(),
      token: text('token'),
    },
    (t) => [check('sync_lock_single_row', sql`${t.id} = 1`)],
  );

  // Audit of `speakup-sync erase` (who, from where, when, which ids); never any content.
  const eraseLog = schema.table(
    'erase_log',
    {
      id: id('id').primaryKey().generatedByDefaultAsIdentity(),
      at: ts('at').notNull(),
      action: text('action', { enum: ['erase', 'undo'] }).notNull(),
      issueIds: text('issue_ids').notNull(),
      osUser: text('os_user').notNull(),
      host: text('host').notNull(),
    },
    (t) => [check('erase_log_action_check', sql`${t.action} IN ('erase','undo')`)],
  );

  // Schema drift: every detail path the runs have seen, names only.
  const detailPaths = schema.table('detail_paths', {
    path: text('path').primaryKey(),
    firstSeenRun: id('first_seen_run').notNull(),
    firstSeenAt: ts('first_seen_at').notNull(),
    lastSeenRun: id('last_seen_run').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    missingSinceRun: id('missing_since_run'),
    detailsSeen: integer('details_seen').notNull().default(0),
    detailsTotal: integer('details_total').notNull().default(0),
  });

  // Small facts the mirror keeps about itself (the field map's fingerprint).
  const settings = schema.table('settings', {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
    updatedAt: ts('updated_at').notNull(),
  });

  return { syncLock, eraseLog, detailPaths, settings };
}

export type PgBaseTables = ReturnType<typeof createPgBaseTables>;
