/**
 * How much two JSON key names look alike, for suggesting `state` when the mirror expects `status`:
 * a synonym table for the names issue trackers commonly use, then edit distance on normalised names.
 */

/** Groups of names that mean the same thing in an issue detail (normalised: lower case, letters and digits). */
const SYNONYMS: readonly (readonly string[])[] = [
  ['status', 'state', 'stage', 'phase', 'workflowstatus', 'casestatus'],
  ['assignee', 'assignedto', 'assigned', 'handler', 'owner', 'casemanager', 'responsible', 'investigator'],
  ['domain', 'category', 'organisation', 'organization', 'unit', 'department', 'businessunit', 'area'],
  ['labels', 'tags', 'keywords'],
  ['channel', 'source', 'origin', 'medium', 'reportchannel', 'intakechannel'],
  ['issuetype', 'type', 'kind', 'casetype', 'reporttype'],
  ['received', 'reported', 'submitted', 'filed'],
  ['acknowledged', 'confirmed', 'receiptconfirmed'],
  ['due', 'deadline', 'duedate', 'feedbackdue'],
  ['closed', 'resolved', 'completed', 'finished'],
  ['created', 'opened'],
  ['forms', 'questionnaires', 'customfields', 'sections', 'formdata'],
  ['fields', 'answers', 'questions', 'items', 'values'],
  ['name', 'title', 'displayname', 'fullname'],
  ['email', 'mail', 'emailaddress'],
  ['id', 'key', 'uuid', 'identifier', 'code'],
  ['label', 'question', 'caption', 'title', 'name'],
  ['value', 'answer', 'values', 'response'],
  ['summary', 'subject', 'headline'],
  ['description', 'body', 'details', 'text', 'content'],
  ['customid', 'reference', 'casenumber', 'number'],
];

// Suffixes that say "a time" without changing what is meant: receivedAt, receivedOn, dueDate.
const TIME_SUFFIX = /(at|on|date|time|timestamp|ts)$/;

function normalise(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function stem(s: string): string {
  const n = normalise(s);
  const cut = n.replace(TIME_SUFFIX, '');
  return cut.length >= 2 ? cut : n;
}

function areSynonyms(a: string, b: string): boolean {
  return SYNONYMS.some((group) => group.includes(a) && group.includes(b));
}

/** Levenshtein distance; the names compared are short. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** 1 for the same name, 0.95 for the same stem, 0.9 for synonyms, else a share of matching letters. */
export function similarity(expected: string, candidate: string): number {
  const a = normalise(expected);
  const b = normalise(candidate);
  if (a === b) return 1;
  const sa = stem(expected);
  const sb = stem(candidate);
  if (sa === sb) return 0.95;
  if (areSynonyms(a, b) || areSynonyms(sa, sb)) return 0.9;
  // One name inside the other (assignee / assigneeInfo) is a strong hint when it is not tiny.
  if (Math.min(sa.length, sb.length) >= 4 && (sa.includes(sb) || sb.includes(sa))) return 0.8;
  return 1 - editDistance(sa, sb) / Math.max(sa.length, sb.length, 1);
}
