/**
 * Which field changes become `issue_changes` rows, and how their values are written as text.
 * Pure, so the rules are unit-testable without a database.
 */
import type { IssueRow, TrackedField } from './schema.js';

/** The fields whose changes analysts need (time in status, reassignments, due-date moves). */
export const TRACKED_FIELDS: readonly TrackedField[] = ['status', 'assignee', 'domain', 'due_at', 'labels'];

/** The tracked fields of one issue, as the text stored in old_value/new_value. */
export type TrackedValues = Record<TrackedField, string | null>;

/** The issue columns the tracked values come from. */
export type TrackedSource = Pick<IssueRow, 'status' | 'assigneeId' | 'domainId' | 'dueAt' | 'labels'>;

/** Extracts tracked values; assignee and domain are recorded by id (names can be renamed). */
export function trackedValues(row: TrackedSource): TrackedValues {
  return {
    status: row.status,
    assignee: row.assigneeId,
    domain: row.domainId === null ? null : String(row.domainId),
    due_at: row.dueAt,
    labels: row.labels,
  };
}

/** One observed change of a tracked field. */
export interface TrackedChange {
  field: TrackedField;
  oldValue: string | null;
  newValue: string | null;
}

/**
 * Changes from `before` to `after`. With no `before` (first sight) every non-NULL field is reported with
 * oldValue NULL, so time in status can be computed from the moment the mirror first saw the issue.
 */
export function diffTracked(before: TrackedValues | undefined, after: TrackedValues): TrackedChange[] {
  const out: TrackedChange[] = [];
  for (const field of TRACKED_FIELDS) {
    const oldValue = before ? before[field] : null;
    const newValue = after[field];
    if (oldValue !== newValue) out.push({ field, oldValue, newValue });
  }
  return out;
}
