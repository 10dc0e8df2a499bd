/**
 * Data minimisation (SPEAKUP_EXCLUDE): parts of a detail that are never stored. Each entry is both a
 * dotted path into the detail (as the field map writes them; an array on the way applies the rest of the
 * path to each element) and a custom field label (case-insensitive): the field with that label is removed
 * from its form. The detail is stripped before it is mapped, so the removed parts reach no column, no
 * field value, no full-text entry and not the stored JSON.
 */
import { ConfigError } from '../errors.js';
import { DEFAULT_FIELD_MAP, type FieldMap } from '../sync/field-map.js';

type Json = Record<string, unknown>;

/** Compiled SPEAKUP_EXCLUDE. */
export interface Exclusion {
  readonly paths: readonly (readonly string[])[];
  readonly labels: ReadonlySet<string>;
}

// They identify an issue and its version: a detail without them cannot be stored at all.
const REQUIRED = new Set(['id', 'updatedAt']);

/** Compiles the entries; undefined when there are none. Throws ConfigError for `id` or `updatedAt`. */
export function compileExclusion(entries: readonly string[]): Exclusion | undefined {
  const list = entries.map((e) => e.trim()).filter((e) => e !== '');
  if (list.length === 0) return undefined;
  const bad = list.filter((e) => REQUIRED.has(e));
  if (bad.length > 0) {
    throw new ConfigError([
      `SPEAKUP_EXCLUDE: ${bad.join(', ')} identifies an issue and cannot be excluded; remove it from the list`,
    ]);
  }
  return {
    paths: list.map((e) => e.split('.').filter((p) => p !== '')),
    labels: new Set(list.map((e) => e.toLowerCase())),
  };
}

/** Removes the excluded parts from `detail` in place; returns whether anything was removed. */
export function stripDetail(detail: unknown, ex: Exclusion, map: FieldMap = DEFAULT_FIELD_MAP): boolean {
  if (!isRecord(detail)) return false;
  let removed = false;
  for (const path of ex.paths) {
    removed = removeAt(detail, path) || removed;
  }
  return removeLabelled(detail, ex.labels, map) || removed;
}

function removeAt(node: unknown, path: readonly string[]): boolean {
  if (Array.isArray(node)) return node.map((el) => removeAt(el, path)).some(Boolean);
  if (!isRecord(node) || path.length === 0) return false;
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in node)) return false;
  if (rest.length === 0) {
    delete node[head];
    return true;
  }
  return removeAt(node[head], rest);
}

/** Drops the custom fields whose label is listed, from every form the field map finds. */
function removeLabelled(detail: Json, labels: ReadonlySet<string>, map: FieldMap): boolean {
  const forms = map.read.forms(detail);
  if (!Array.isArray(forms)) return false;
  let removed = false;
  for (const form of forms) {
    if (!isRecord(form)) continue;
    const fields = map.read.form_fields(form);
    if (!Array.isArray(fields)) continue;
    for (let i = fields.length - 1; i >= 0; i--) {
      const field: unknown = fields[i];
      const label = isRecord(field) ? map.read.field_label(field) : undefined;
      if (typeof label === 'string' && labels.has(label.trim().toLowerCase())) {
        fields.splice(i, 1);
        removed = true;
      }
    }
  }
  return removed;
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
