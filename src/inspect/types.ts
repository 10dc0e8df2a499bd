/** The report `inspect` builds: findings one per line, the detail paths seen, and a starting field map. */
import type { FieldMapOverrides } from '../sync/field-map.js';

export type Verdict = 'ok' | 'warning' | 'problem';

/** One line of the report. Never carries a value of an issue: names, paths, types, counts and lengths only. */
export interface Finding {
  /** What was checked, e.g. "login", "list order", "column status". */
  check: string;
  verdict: Verdict;
  /** What was seen. */
  detail: string;
  /** The setting to change, when there is one. */
  setting?: string;
}

/** How a JSON path of the detail object was seen over the sample. */
export interface PathStat {
  /** Dotted path; array elements are written `[]`, e.g. `forms[].fields[].value`. */
  path: string;
  /** In how many sampled details the path occurs at least once. */
  present: number;
  /** In how many it holds something other than null. */
  withValue: number;
  /** How often each type was seen: string, timestamp, date, number, epoch-ms, epoch-s, boolean, null, object, array. */
  types: Record<string, number>;
  /** Shortest and longest string or array seen at this path. */
  minLength?: number;
  maxLength?: number;
}

/** Where one typed column of the mirror is read from, and whether the sample has it. */
export interface ColumnCheck {
  column: string;
  /** The configured path, in the `[]` notation of PathStat. */
  path: string;
  /** Sampled details in which the path is present with a non-null value. */
  found: number;
  /** A path of the sample that looks like the expected one, when the configured path is not found. */
  suggestion?: string;
}

export interface InspectReport {
  ok: boolean;
  target: string;
  findings: Finding[];
  /** Details actually read (the sample may be smaller than asked when the list is short). */
  sampled: number;
  paths: PathStat[];
  columns: ColumnCheck[];
  /** A starting SPEAKUP_FIELD_MAP: overrides of the defaults for what the sample showed. */
  fieldMap: FieldMapOverrides;
}
