/**
 * Pure generation of one issue detail from (seed, id, timestamps). Nothing is stored: the data set keeps
 * only ids and mutations, and rebuilds a detail on demand, which is what lets 100,000 issues start instantly.
 */
import type { IssueDetail, IssueFieldValue, IssueForm } from '../../api/types.js';
import {
  ASSIGNEES,
  CHANNELS,
  DOMAINS,
  FIELD_TEXTS,
  FORMS,
  ISSUE_TYPES,
  LABELS,
  PLACES,
  SENTENCES,
  STATUSES,
  TOPICS,
} from './corpus.js';
import type { FieldTemplate } from './corpus.js';
import { chance, int, mixSeed, mulberry32, pick, pickSome } from './rng.js';
import type { Rng } from './rng.js';

const DAY = 86_400_000;
/** Salt separating the content stream of an issue from its timestamp stream (see dataset.ts). */
const CONTENT_SALT = 1;

/** Where an issue sits in time; computed by the data set. */
export interface IssueTimes {
  id: number;
  /** 1-based creation order, used in customId. */
  ordinal: number;
  createdMs: number;
  /** The updatedAt of the generated (unmutated) issue; acknowledged/closed dates lie before it. */
  baseUpdatedMs: number;
  /** The data set's "now", which makes older issues likelier to be closed. */
  nowMs: number;
}

/** ISO-8601 UTC with milliseconds and `Z`, as the public example shows. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** "SUP-2025-00042": year of creation and the issue's ordinal. */
export function customIdFor(ordinal: number, createdMs: number): string {
  return `SUP-${new Date(createdMs).getUTCFullYear()}-${String(ordinal).padStart(5, '0')}`;
}

/** The generated detail of an issue, before any mutation. */
export function generateDetail(seed: number, t: IssueTimes): IssueDetail {
  const rng = mulberry32(mixSeed(seed, t.id, CONTENT_SALT));
  const age = Math.min(1, (t.nowMs - t.createdMs) / (730 * DAY));
  const status = pickStatus(rng, age);
  const channel = pick(rng, CHANNELS);
  // A phone or in-person report is written down a little after it was received; web/app reports instantly.
  const receivedMs =
    channel === 'PHONE' || channel === 'IN_PERSON' ? t.createdMs - int(rng, 60_000, 6 * 3_600_000) : t.createdMs;
  const span = t.baseUpdatedMs - t.createdMs;
  const acknowledgedMs = status === 'NEW' ? null : t.createdMs + Math.floor(span * rng() * 0.3);
  const closedMs = status === 'CLOSED' ? t.baseUpdatedMs - Math.floor(span * rng() * 0.1) : null;
  const assignee = status === 'NEW' && chance(rng, 0.7) ? null : chance(rng, 0.1) ? null : { ...pick(rng, ASSIGNEES) };
  return {
    id: t.id,
    customId: customIdFor(t.ordinal, t.createdMs),
    createdAt: iso(t.createdMs),
    updatedAt: iso(t.baseUpdatedMs),
    summary: summary(rng),
    description: description(rng),
    status,
    issueType: chance(rng, 0.85) ? ISSUE_TYPES[0] : ISSUE_TYPES[1],
    channel,
    domain: { ...pick(rng, DOMAINS) },
    assignee,
    labels: pickSome(rng, LABELS, int(rng, 0, 3)),
    receivedAt: iso(receivedMs),
    acknowledgedAt: acknowledgedMs === null ? null : iso(acknowledgedMs),
    // EU Directive 2019/1937 art. 9: feedback within three months of the acknowledgement of receipt.
    dueAt: iso(receivedMs + 90 * DAY),
    closedAt: closedMs === null ? null : iso(closedMs),
    forms: forms(rng, t.createdMs),
  };
}

/** What a plain `update(id)` changes: the workflow moves on, sometimes the assignee changes. */
export function generateChange(
  seed: number,
  id: number,
  version: number,
  current: IssueDetail,
  updatedMs: number,
): Partial<IssueDetail> {
  const rng = mulberry32(mixSeed(seed, id, version, 2));
  const next: Record<string, string> = {
    NEW: 'IN_PROGRESS',
    IN_PROGRESS: chance(rng, 0.5) ? 'CLOSED' : 'ON_HOLD',
    ON_HOLD: 'IN_PROGRESS',
    CLOSED: 'IN_PROGRESS',
  };
  const status = next[String(current.status)] ?? 'IN_PROGRESS';
  const change: Partial<IssueDetail> = { status };
  if (current.acknowledgedAt == null) change.acknowledgedAt = iso(updatedMs);
  change.closedAt = status === 'CLOSED' ? iso(updatedMs) : null;
  if (current.assignee == null || chance(rng, 0.5)) change.assignee = { ...pick(rng, ASSIGNEES) };
  return change;
}

function pickStatus(rng: Rng, age: number): string {
  const r = rng();
  // Older issues are mostly closed; recent ones mostly open.
  if (r < 0.1 + 0.75 * age) return 'CLOSED';
  if (r < 0.55 + 0.3 * age) return 'IN_PROGRESS';
  if (r < 0.7 + 0.2 * age) return 'ON_HOLD';
  return STATUSES[0];
}

function summary(rng: Rng): string {
  const topic = pick(rng, TOPICS);
  return chance(rng, 0.4) ? `${topic} – ${pick(rng, PLACES)}` : topic;
}

function description(rng: Rng): string | null {
  const r = rng();
  if (r < 0.04) return null;
  if (r < 0.05) return '';
  const paragraph = (): string => pickSome(rng, SENTENCES, int(rng, 1, 5)).join(' ');
  const parts = [paragraph()];
  if (r > 0.97) {
    // A few long descriptions (roughly 2 to 16 KB) such as pasted e-mail threads.
    const target = int(rng, 2_048, 16_384);
    let size = parts[0]?.length ?? 0;
    while (size < target) {
      const p = paragraph();
      parts.push(p);
      size += p.length + 2;
    }
  } else {
    for (let n = int(rng, 0, 2); n > 0; n--) parts.push(paragraph());
  }
  return parts.join('\n\n');
}

function forms(rng: Rng, createdMs: number): IssueForm[] {
  const r = rng();
  const count = r < 0.25 ? 0 : r < 0.75 ? 1 : 2;
  return pickSome(rng, FORMS, count).map((form) => ({
    id: form.id,
    name: form.name,
    fields: form.fields.map((field) => fieldValue(rng, field, createdMs)),
  }));
}

function fieldValue(rng: Rng, field: FieldTemplate, createdMs: number): IssueFieldValue {
  const base = { id: field.id, label: field.label, type: field.type };
  // Optional fields left empty come back as null, whatever their type.
  if (chance(rng, 0.12)) return { ...base, value: null };
  const options = field.options ?? [];
  switch (field.type) {
    case 'text':
      return { ...base, value: pick(rng, FIELD_TEXTS) };
    case 'number':
      return { ...base, value: chance(rng, 0.3) ? Math.round(rng() * 1_000_000) / 100 : int(rng, 0, 40) };
    case 'date':
      // Date-only values (no time, no zone): a mirror must not mistake them for timestamps.
      return { ...base, value: iso(createdMs - int(rng, 0, 60) * DAY).slice(0, 10) };
    case 'select':
      return { ...base, value: pick(rng, options) };
    case 'multiselect':
      return { ...base, value: pickSome(rng, options, int(rng, 0, 3)) };
    case 'boolean':
      return { ...base, value: chance(rng, 0.5) };
  }
}

/**
 * How the detail object is shaped. `default` is what the mapper's built-in paths expect; `renamed` is
 * another SpeakUp's plausible dialect of the same data, so the field map and `inspect` are tested against
 * something other than the defaults: renamed and nested fields, workflow dates as epoch milliseconds,
 * and no `issueType` at all. The public fields (id, customId, createdAt, updatedAt, summary) keep their names.
 */
export type DetailDialect = 'default' | 'renamed';
export const DETAIL_DIALECTS: readonly DetailDialect[] = ['default', 'renamed'];

// The keys the renamed dialect rewrites; any other key (a test's patch) passes through unchanged.
const RENAMED_KEYS = new Set([
  'status',
  'issueType',
  'channel',
  'domain',
  'assignee',
  'labels',
  'receivedAt',
  'acknowledgedAt',
  'dueAt',
  'closedAt',
  'forms',
]);

/** The detail in `dialect` (the same data, differently shaped). */
export function inDialect(d: IssueDetail, dialect: DetailDialect): Record<string, unknown> {
  if (dialect === 'default') return d;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(d)) if (!RENAMED_KEYS.has(key)) out[key] = value;
  out.state = d.status;
  out.source = { channel: d.channel };
  out.category = d.domain == null ? d.domain : { id: d.domain.id, title: d.domain.name };
  out.assignedTo =
    d.assignee == null
      ? d.assignee
      : { id: d.assignee.id, name: d.assignee.name, contact: { email: d.assignee.email } };
  out.tags = d.labels;
  out.dates = {
    received: epochMs(d.receivedAt),
    acknowledged: epochMs(d.acknowledgedAt),
    due: epochMs(d.dueAt),
    closed: epochMs(d.closedAt),
  };
  // A test's patch may put anything in forms: only well-formed forms are reshaped.
  out.questionnaires = Array.isArray(d.forms)
    ? d.forms.map((f) =>
        Array.isArray(f?.fields)
          ? {
              key: f.id,
              title: f.name,
              answers: f.fields.map((x) => ({ key: x?.id, question: x?.label, kind: x?.type, answer: x?.value })),
            }
          : f,
      )
    : d.forms;
  return out;
}

function epochMs(v: string | null | undefined): number | null {
  return typeof v === 'string' ? Date.parse(v) : null;
}
