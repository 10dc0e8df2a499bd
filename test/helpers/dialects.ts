/** Shared by the inspect and field-map tests: the renamed dialect's field map, and the emulator's own values. */
import { FIELD_TYPES } from '../../src/api/types.js';
import { inDialect, type DetailDialect } from '../../src/emulator/api/generate.js';
import type { Emulator } from '../../src/emulator/start.js';
import type { FieldMapOverrides } from '../../src/sync/field-map.js';

/** The map that turns the emulator's renamed dialect back into the default mirror (what inspect should suggest). */
export const RENAMED_MAP: FieldMapOverrides = {
  status: 'state',
  channel: 'source.channel',
  domain_id: 'category.id',
  domain_name: 'category.title',
  assignee_id: 'assignedTo.id',
  assignee_name: 'assignedTo.name',
  assignee_email: 'assignedTo.contact.email',
  labels: 'tags',
  received_at: { path: 'dates.received', as: 'epoch-ms' },
  acknowledged_at: { path: 'dates.acknowledged', as: 'epoch-ms' },
  due_at: { path: 'dates.due', as: 'epoch-ms' },
  closed_at: { path: 'dates.closed', as: 'epoch-ms' },
  forms: 'questionnaires',
  form_id: 'key',
  form_name: 'title',
  form_fields: 'answers',
  field_id: 'key',
  field_label: 'question',
  field_type: 'kind',
  field_value: 'answer',
};

/** Every string (4+ characters) and every telling number of the emulator's issues, as served in `dialect`. */
export function issueValues(emu: Emulator, dialect: DetailDialect): Set<string> {
  const out = new Set<string>();
  // Field type names are the schema's vocabulary (and the report's type names), not reported content.
  const vocabulary = new Set<string>(FIELD_TYPES);
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.trim().length >= 4 && !vocabulary.has(v)) out.add(v);
    else if (typeof v === 'number' && (!Number.isInteger(v) || v >= 10_000)) out.add(String(v));
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) walk(x);
  };
  for (const id of emu.data.ids()) walk(inDialect(emu.data.get(id)!, dialect));
  return out;
}

/** The values of `values` found in `text`. */
export function leakedValues(values: Set<string>, ...texts: string[]): string[] {
  return [...values].filter((v) => texts.some((t) => t.includes(v)));
}
