/**
 * For each typed column of the mirror: the path it is read from, whether the sample has it, and when it
 * does not, which unknown path looks like it (similar names plus a synonym table). From that, a starting
 * field map. Pure: works on the path statistics, never on values.
 */
import {
  DATE_COLUMNS,
  DEFAULT_PATHS,
  FIELD_COLUMNS,
  FIELD_MAP_COLUMNS,
  FORM_COLUMNS,
  fieldMapOverrides,
  type FieldMap,
  type FieldMapColumn,
  type FieldMapOverrides,
} from '../sync/field-map.js';
import { similarity } from './similar.js';
import type { ColumnCheck, Finding, PathStat } from './types.js';

const TEXT = ['string', 'timestamp', 'date'];
const ID = ['string', 'number', 'epoch-ms', 'epoch-s'];
const DATE = ['timestamp', 'epoch-ms', 'epoch-s'];

/** The types a column can use. */
const EXPECTED: Record<FieldMapColumn, readonly string[]> = {
  custom_id: ID,
  created_at: DATE,
  summary: TEXT,
  description: TEXT,
  status: TEXT,
  issue_type: TEXT,
  channel: TEXT,
  domain_id: ['number', 'epoch-s'],
  domain_name: TEXT,
  assignee_id: ID,
  assignee_name: TEXT,
  assignee_email: TEXT,
  labels: ['array'],
  received_at: DATE,
  acknowledged_at: DATE,
  due_at: DATE,
  closed_at: DATE,
  forms: ['array'],
  form_id: ID,
  form_name: TEXT,
  form_fields: ['array'],
  field_id: ID,
  field_label: TEXT,
  field_type: TEXT,
  field_value: ['string', 'timestamp', 'date', 'number', 'epoch-ms', 'epoch-s', 'boolean', 'array', 'object'],
};

// Paths that identify the issue: never offered as a look-alike of another column.
const FIXED = new Set(['id', 'updatedAt']);
const THRESHOLD = 0.7;

/** "a.0.b" → "a[].b": the statistics' notation for a field-map path. */
function statPath(path: string): string {
  return path
    .split('.')
    .reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[]` : out === '' ? seg : `${out}.${seg}`), '');
}

/** Where a column sits in the statistics: form and field paths are relative to their form / field. */
function columnPath(map: FieldMap, column: FieldMapColumn): string {
  const forms = statPath(map.specs.forms.path);
  const p = statPath(map.specs[column].path);
  if (FORM_COLUMNS.includes(column)) return `${forms}[].${p}`;
  if (FIELD_COLUMNS.includes(column)) return `${forms}[].${statPath(map.specs.form_fields.path)}[].${p}`;
  return p;
}

/** The parts a look-alike is compared on: the default path, split at array levels and dots. */
function expectedParts(column: FieldMapColumn): string[][] {
  const d = (c: FieldMapColumn): string[] => DEFAULT_PATHS[c].split('.');
  if (FORM_COLUMNS.includes(column)) return [d('forms'), d(column)];
  if (FIELD_COLUMNS.includes(column)) return [d('forms'), d('form_fields'), d(column)];
  return [d(column)];
}

/** How much `candidate` looks like the column's default path (0..1); 0 when its structure differs. */
function likeness(column: FieldMapColumn, candidate: string): number {
  const want = expectedParts(column);
  const have = candidate.split('[].').map((p) => p.split('.'));
  if (have.length !== want.length || have.some((p) => p.some((s) => s.includes('[]')))) return 0;
  const scores: number[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    // The enclosing levels of forms and fields are one key each.
    if (i < want.length - 1 && h.length !== 1) return 0;
    if (h.length < w.length) return 0;
    scores.push(similarity(w[w.length - 1]!, h[h.length - 1]!));
    if (w.length > 1) scores.push(similarity(w[0]!, h[0]!));
    // A deeper nesting than expected is plausible but costs a little.
    else if (h.length > 1) scores.push(0.9);
  }
  return Math.min(...scores) < 0.6 ? 0 : scores.reduce((a, b) => a + b, 0) / scores.length;
}

function dominantType(stat: PathStat): string {
  return (
    Object.entries(stat.types)
      .filter(([t]) => t !== 'null')
      .sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'null'
  );
}

function typesText(stat: PathStat): string {
  return Object.entries(stat.types)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
}

/** The checks, the findings and a starting field map (current overrides plus what the sample suggests). */
export function checkColumns(
  map: FieldMap,
  stats: PathStat[],
  sampled: number,
): { columns: ColumnCheck[]; findings: Finding[]; fieldMap: FieldMapOverrides } {
  const byPath = new Map(stats.map((s) => [s.path, s]));
  const columns: ColumnCheck[] = FIELD_MAP_COLUMNS.map((column) => {
    const path = columnPath(map, column);
    return { column, path, found: byPath.get(path)?.withValue ?? 0 };
  });
  suggest(columns, stats);
  const fieldMap: FieldMapOverrides = fieldMapOverrides(map);
  applySuggestions(columns, byPath, fieldMap);
  const findings = columns.map((c) => columnFinding(c, map, byPath.get(c.suggestion ?? c.path), sampled, fieldMap));
  return { columns, findings, fieldMap };
}

/** Fills `suggestion` for columns not found: the best look-alikes first, each path used once. */
function suggest(columns: ColumnCheck[], stats: PathStat[]): void {
  const used = new Set(columns.filter((c) => c.found > 0).map((c) => c.path));
  const candidates = stats.filter((s) => s.withValue > 0 && !used.has(s.path) && !FIXED.has(s.path));
  const pairs: { c: ColumnCheck; path: string; score: number }[] = [];
  for (const c of columns) {
    if (c.found > 0) continue;
    const col = c.column as FieldMapColumn;
    for (const s of candidates) {
      if (!EXPECTED[col].includes(dominantType(s))) continue;
      const score = likeness(col, s.path);
      if (score >= THRESHOLD) pairs.push({ c, path: s.path, score });
    }
  }
  pairs.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
  for (const p of pairs) {
    if (p.c.suggestion !== undefined || used.has(p.path)) continue;
    p.c.suggestion = p.path;
    used.add(p.path);
  }
}

/** Adds each suggestion (and epoch date formats) to the field map, split into form- and field-relative parts. */
function applySuggestions(columns: ColumnCheck[], byPath: Map<string, PathStat>, fieldMap: FieldMapOverrides): void {
  for (const c of columns) {
    const col = c.column as FieldMapColumn;
    const path = c.suggestion ?? c.path;
    const parts = path.split('[].');
    const leaf = parts[parts.length - 1]!;
    if (c.suggestion !== undefined) {
      if (parts.length >= 2) setIfDefault(fieldMap, 'forms', parts[0]!);
      if (parts.length === 3) setIfDefault(fieldMap, 'form_fields', parts[1]!);
      fieldMap[col] = leaf;
    }
    const stat = byPath.get(path);
    const type = stat ? dominantType(stat) : '';
    if ((DATE_COLUMNS as readonly string[]).includes(col) && (type === 'epoch-ms' || type === 'epoch-s')) {
      fieldMap[col] = { path: leaf, as: type };
    }
  }
}

function setIfDefault(fieldMap: FieldMapOverrides, column: 'forms' | 'form_fields', path: string): void {
  if (path !== DEFAULT_PATHS[column]) fieldMap[column] ??= path;
}

function columnFinding(
  c: ColumnCheck,
  map: FieldMap,
  stat: PathStat | undefined,
  sampled: number,
  fieldMap: FieldMapOverrides,
): Finding {
  const col = c.column as FieldMapColumn;
  const check = `column ${c.column}`;
  const mapSetting = (): string => `SPEAKUP_FIELD_MAP: ${JSON.stringify({ [col]: fieldMap[col] })}`;
  if (c.found === 0 && c.suggestion !== undefined && stat) {
    return {
      check,
      verdict: 'problem',
      setting: mapSetting(),
      detail: `"${c.path}" is in none of ${sampled} details; "${c.suggestion}" looks like it (${typesText(stat)}; in ${stat.withValue}/${sampled})`,
    };
  }
  if (c.found === 0) {
    return {
      check,
      verdict: 'warning',
      setting: 'SPEAKUP_FIELD_MAP, if the value is under another path',
      detail: `"${c.path}" is in none of ${sampled} details and nothing looks like it: the column stays empty`,
    };
  }
  const seen = `"${c.path}": in ${c.found}/${sampled} details (${stat ? typesText(stat) : '?'})`;
  const type = stat ? dominantType(stat) : '';
  if (!EXPECTED[col].includes(type)) {
    return {
      check,
      verdict: 'warning',
      detail: `${seen}; expected ${EXPECTED[col].join(' or ')}: the column stays empty for other types`,
      setting: 'SPEAKUP_FIELD_MAP',
    };
  }
  const as = map.specs[col].as ?? 'iso';
  if ((type === 'epoch-ms' || type === 'epoch-s') && as !== type) {
    return {
      check,
      verdict: 'problem',
      detail: `${seen}: numbers since 1970 are read as ISO-8601 text, so the column stays empty`,
      setting: mapSetting(),
    };
  }
  return { check, verdict: 'ok', detail: seen };
}
