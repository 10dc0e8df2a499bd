/** The PostgreSQL views BI tools read, over the tables of schema-tables.ts. */
import { isNull, sql } from 'drizzle-orm';
import type { PgBaseTables } from './schema-tables.js';

// Views select base columns directly so BI tools keep the declared types (an expression has none).
export function createPgViews({ schema, issues, issueSightings, issueFieldValues, syncRuns }: PgBaseTables) {
  const currentIssues = schema.view('current_issues').as((qb) =>
    qb
      .select({
        id: issues.id,
        customId: issues.customId,
        summary: issues.summary,
        description: issues.description,
        status: issues.status,
        issueType: issues.issueType,
        channel: issues.channel,
        domainId: issues.domainId,
        domainName: issues.domainName,
        assigneeId: issues.assigneeId,
        assigneeName: issues.assigneeName,
        assigneeEmail: issues.assigneeEmail,
        labels: issues.labels,
        createdAt: issues.createdAt,
        updatedAt: issues.updatedAt,
        receivedAt: issues.receivedAt,
        acknowledgedAt: issues.acknowledgedAt,
        dueAt: issues.dueAt,
        closedAt: issues.closedAt,
        firstSeenAt: issues.firstSeenAt,
        lastSeenAt: issueSightings.lastSeenAt,
        syncedAt: issues.syncedAt,
      })
      .from(issues)
      .leftJoin(issueSightings, sql`${issueSightings.issueId} = ${issues.id}`)
      .where(isNull(issues.deletedAt)),
  );

  const issueFields = schema.view('issue_fields').as((qb) =>
    qb
      .select({
        issueId: issueFieldValues.issueId,
        customId: issues.customId,
        summary: issues.summary,
        status: issues.status,
        domainId: issues.domainId,
        domainName: issues.domainName,
        position: issueFieldValues.position,
        formId: issueFieldValues.formId,
        formName: issueFieldValues.formName,
        fieldId: issueFieldValues.fieldId,
        label: issueFieldValues.label,
        type: issueFieldValues.type,
        valueText: issueFieldValues.valueText,
        valueNumber: issueFieldValues.valueNumber,
        valueJson: issueFieldValues.valueJson,
      })
      .from(issueFieldValues)
      .innerJoin(issues, sql`${issues.id} = ${issueFieldValues.issueId}`)
      .where(isNull(issues.deletedAt)),
  );

  const latestRuns = schema.view('latest_runs').as((qb) =>
    qb
      .select({
        id: syncRuns.id,
        startedAt: syncRuns.startedAt,
        finishedAt: syncRuns.finishedAt,
        durationSeconds: sql<
          number | null
        >`round(extract(epoch from (${syncRuns.finishedAt} - ${syncRuns.startedAt})), 3)::double precision`.as(
          'duration_seconds',
        ),
        status: syncRuns.status,
        trigger: syncRuns.trigger,
        full: syncRuns.full,
        listed: syncRuns.listed,
        fetched: syncRuns.fetched,
        unchanged: syncRuns.unchanged,
        deleted: syncRuns.deleted,
        failed: syncRuns.failed,
        requests: syncRuns.requests,
        retries: syncRuns.retries,
        throttled: syncRuns.throttled,
        error: syncRuns.error,
        pid: syncRuns.pid,
        host: syncRuns.host,
      })
      .from(syncRuns)
      .orderBy(sql`${syncRuns.id} DESC`),
  );

  return { currentIssues, issueFields, latestRuns };
}
