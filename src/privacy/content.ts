/**
 * What "content" means for erasure: the parts of a mapped issue that carry what was reported. An issue
 * whose content is erased keeps its id, custom id, dates and tracked columns (status, assignee, domain,
 * due date, labels), which BI needs for counts and lead times; it loses the detail JSON, summary,
 * description, custom field values and its full-text entry.
 */
import type { MappedIssue } from '../sync/ports.js';

/** The detail JSON stored for an issue without content. */
export const EMPTY_DETAIL = '{}';

/** `record` with its content removed: what a run stores for an issue marked erased. */
export function withoutContent(record: MappedIssue): MappedIssue {
  return {
    issue: { ...record.issue, summary: null, description: null, data: EMPTY_DETAIL },
    fields: [],
    fts: { summary: null, description: null, fieldText: null },
  };
}
