/**
 * The field map: which path of the detail object each typed column is read from. Only `id` and
 * `updatedAt` are fixed (they identify an issue and its version); every other column has a built-in
 * default path and can be pointed elsewhere by a JSON file (`SPEAKUP_FIELD_MAP`), so a SpeakUp whose
 * detail says `state` instead of `status` needs no code change.
 *
 * Paths are compiled once into accessor functions: the mapper runs per issue and must not split strings.
 * Parsing and validation are pure; `readFieldMapFile` is the one function that touches the file system.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { toIsoUtc } from '../timestamps.js';

/** Every mappable column and its default path. The form and field entries are relative to one form / field. */
export const DEFAULT_PATHS = {
  custom_id: 'customId',
  created_at: 'createdAt',
  summary: 'summary',
  description: 'description',
  status: 'status',
  issue_type: 'issueType',
  channel: 'channel',
  domain_id: 'domain.id',
  domain_name: 'domain.name',
  assignee_id: 'assignee.id',
  assignee_name: 'assignee.name',
  assignee_email: 'assignee.email',
  labels: 'labels',
  received_at: 'receivedAt',
  acknowledged_at: 'acknowledgedAt',
  due_at: 'dueAt',
  closed_at: 'closedAt',
  /** The array of forms in the detail. */
  forms: 'forms',
  form_id: 'id',
  form_name: 'name',
  /** The array of fields in one form. */
  form_fields: 'fields',
  field_id: 'id',
  field_label: 'label',
  field_type: 'type',
  field_value: 'value',
} as const;

export type FieldMapColumn = keyof typeof DEFAULT_PATHS;
export const FIELD_MAP_COLUMNS = Object.keys(DEFAULT_PATHS) as FieldMapColumn[];

/** The timestamp columns: they also accept how the value is written (`as`). */
export const DATE_COLUMNS = ['created_at', 'received_at', 'acknowledged_at', 'due_at', 'closed_at'] as const;
export type DateColumn = (typeof DATE_COLUMNS)[number];

/** ISO-8601 text (default), or a number of milliseconds / seconds since 1970 (numbers cannot say which). */
export const DATE_FORMATS = ['iso', 'epoch-ms', 'epoch-s'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** The columns whose paths are relative to one form, and to one field of a form. */
export const FORM_COLUMNS: readonly FieldMapColumn[] = ['form_id', 'form_name', 'form_fields'];
export const FIELD_COLUMNS: readonly FieldMapColumn[] = ['field_id', 'field_label', 'field_type', 'field_value'];

/** Where one column is read from. */
export interface FieldSpec {
  path: string;
  /** Date columns only; default `iso`. */
  as?: DateFormat;
}

/** What a field-map file holds: a path, or `{ "path": ..., "as": ... }` for a date column. */
export type FieldMapOverrides = Partial<Record<FieldMapColumn, string | FieldSpec>>;

type Json = Record<string, unknown>;
export type Accessor = (from: Json) => unknown;

/** A compiled field map. */
export interface FieldMap {
  /** Every column's resolved spec (defaults filled in), for printing and for passing to another thread. */
  readonly specs: Readonly<Record<FieldMapColumn, Readonly<FieldSpec>>>;
  /** Raw value of each column's path (undefined when the path is absent). */
  readonly read: Readonly<Record<FieldMapColumn, Accessor>>;
  /** The timestamp columns, normalised to `toISOString()` text or null. */
  readonly date: Readonly<Record<DateColumn, (from: Json) => string | null>>;
  /** True when every spec is the default (the fast, common case). */
  readonly isDefault: boolean;
}

// A segment is a JSON key without dots or whitespace; a number segment indexes an array.
const SEGMENT = /^[^.\s[\]"']{1,100}$/;
const MAX_DEPTH = 8;
// Epoch values outside 1990..2200 are not dates of a whistleblowing case: refused rather than guessed.
const MIN_EPOCH_MS = Date.UTC(1990, 0, 1);
const MAX_EPOCH_MS = Date.UTC(2200, 0, 1);

/** Why `path` is not a usable dotted path, or undefined when it is. */
export function pathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return `expected a dotted path such as "assignedTo.name" (got ${describe(path)})`;
  const segments = path.split('.');
  if (path === '' || segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s))) {
    return `expected a dotted path such as "assignedTo.name", at most ${MAX_DEPTH} keys without spaces or quotes (got ${JSON.stringify(path.slice(0, 80))})`;
  }
  return undefined;
}

/** Compiles a path once into an accessor; own properties only, so "constructor" never reads a prototype. */
export function compilePath(path: string): Accessor {
  const keys = path.split('.');
  const step = (v: unknown, key: string): unknown => {
    if (typeof v !== 'object' || v === null) return undefined;
    if (Array.isArray(v)) return /^\d+$/.test(key) ? v[Number(key)] : undefined;
    return Object.hasOwn(v, key) ? (v as Json)[key] : undefined;
  };
  if (keys.length === 1) {
    const [k] = keys as [string];
    return (from) => (Object.hasOwn(from, k) ? from[k] : undefined);
  }
  return (from) => {
    let v: unknown = from;
    for (const k of keys) {
      v = step(v, k);
      if (v === undefined) return undefined;
    }
    return v;
  };
}

/** A timestamp as stored, from a value written as `format`. */
export function toIsoAs(value: unknown, format: DateFormat): string | null {
  if (format === 'iso' || typeof value !== 'number') return toIsoUtc(value);
  const ms = format === 'epoch-s' ? value * 1000 : value;
  if (!Number.isFinite(ms) || ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) return null;
  return new Date(Math.floor(ms)).toISOString();
}

/** Validates overrides (anything parsed from JSON); every problem, one line each, prefixed with `source`. */
export function fieldMapProblems(overrides: unknown, source = 'SPEAKUP_FIELD_MAP'): string[] {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    return [
      `${source}: expected a JSON object from column name to dotted path, e.g. {"status": "state"} (got ${describe(overrides)})`,
    ];
  }
  const problems: string[] = [];
  for (const [column, spec] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_PATHS, column)) {
      const fixed = column === 'id' || column === 'updated_at' ? ' (id and updated_at are fixed)' : '';
      problems.push(`${source}: unknown column "${column}"${fixed}; expected one of ${FIELD_MAP_COLUMNS.join(', ')}`);
      continue;
    }
    const isDate = (DATE_COLUMNS as readonly string[]).includes(column);
    const path = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Json).path : spec;
    const pathWrong = pathProblem(path);
    if (pathWrong) problems.push(`${source}: ${column}: ${pathWrong}`);
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) continue;
    const extra = Object.keys(spec).filter((k) => k !== 'path' && k !== 'as');
    if (extra.length > 0)
      problems.push(`${source}: ${column}: unknown key "${extra[0]}"; expected "path" and, for a date column, "as"`);
    const as = (spec as Json).as;
    if (as === undefined) continue;
    if (!isDate)
      problems.push(`${source}: ${column}: "as" applies only to the date columns ${DATE_COLUMNS.join(', ')}`);
    else if (!(DATE_FORMATS as readonly unknown[]).includes(as))
      problems.push(`${source}: ${column}: "as" must be ${DATE_FORMATS.join(', ')} (got ${describe(as)})`);
  }
  return problems;
}

/** Builds the map from validated overrides; throws ConfigError (exit 78) listing every problem. */
export function createFieldMap(overrides: unknown = {}, source?: string): FieldMap {
  const problems = fieldMapProblems(overrides, source);
  if (problems.length > 0) throw new ConfigError(problems);
  const given = overrides as FieldMapOverrides;
  const specs = {} as Record<FieldMapColumn, FieldSpec>;
  const read = {} as Record<FieldMapColumn, Accessor>;
  let isDefault = true;
  for (const column of FIELD_MAP_COLUMNS) {
    const o = given[column];
    const spec: FieldSpec =
      o === undefined ? { path: DEFAULT_PATHS[column] } : typeof o === 'string' ? { path: o } : { ...o };
    if (spec.path !== DEFAULT_PATHS[column] || (spec.as !== undefined && spec.as !== 'iso')) isDefault = false;
    specs[column] = Object.freeze(spec);
    read[column] = compilePath(spec.path);
  }
  const date = {} as Record<DateColumn, (from: Json) => string | null>;
  for (const column of DATE_COLUMNS) {
    const get = read[column];
    const as = specs[column].as ?? 'iso';
    date[column] = as === 'iso' ? (from) => toIsoUtc(get(from)) : (from) => toIsoAs(get(from), as);
  }
  return Object.freeze({
    specs: Object.freeze(specs),
    read: Object.freeze(read),
    date: Object.freeze(date),
    isDefault,
  });
}

/** The built-in map: today's paths. */
export const DEFAULT_FIELD_MAP: FieldMap = createFieldMap({});

/** The overrides that reproduce `map` (only what differs from the defaults), e.g. to hand to a worker thread. */
export function fieldMapOverrides(map: FieldMap): FieldMapOverrides {
  const out: FieldMapOverrides = {};
  for (const column of FIELD_MAP_COLUMNS) {
    const spec = map.specs[column];
    if (spec.as !== undefined && spec.as !== 'iso') out[column] = { path: spec.path, as: spec.as };
    else if (spec.path !== DEFAULT_PATHS[column]) out[column] = spec.path;
  }
  return out;
}

/** Reads and compiles the JSON file named by SPEAKUP_FIELD_MAP; a missing or unreadable file is a ConfigError. */
export function readFieldMapFile(
  path: string,
  readText: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): FieldMap {
  let text: string;
  try {
    text = readText(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError([
      `SPEAKUP_FIELD_MAP: cannot read ${JSON.stringify(path)} (${code}); name a JSON file such as ./field-map.json`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`SPEAKUP_FIELD_MAP: ${JSON.stringify(path)} is not valid JSON (${(err as Error).message})`]);
  }
  return createFieldMap(json, `SPEAKUP_FIELD_MAP (${path})`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  return `a ${typeof v}`;
}
