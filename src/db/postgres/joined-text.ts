/**
 * The columns of a batch sent to PostgreSQL as one text each, split by the server (`string_to_array`),
 * instead of one array parameter each: node-postgres writes an array as a literal, escaping every quote
 * and backslash of every element with two regular expressions, and the server parses the literal back
 * character by character; a text split at a separator costs both sides a fraction of that.
 *
 * The separator and the null mark are two control characters that no value of the statement holds,
 * chosen per statement and sent as its first two parameters ($1, $2): the usual pair is checked first,
 * the others only when a value holds one of it. JSON text never holds a control character unescaped, so
 * JSON columns are not searched; one that is not JSON and holds the separator splits into more values
 * than there are rows, and the row past the end, without an id, fails the statement (no value lands on
 * another row). Each text starts with the separator, so that even one empty value is one element (the
 * server splits an empty text into no elements); the split skips that first, empty element.
 */

/** Control characters other than tab, line feed and carriage return; the usual pair first. */
const CANDIDATES = [0x1e, 0x1f, ...Array.from({ length: 31 }, (_, i) => i + 1)]
  .filter((c, i, all) => c !== 9 && c !== 10 && c !== 13 && all.indexOf(c) === i)
  .map((c) => String.fromCharCode(c));
// eslint-disable-next-line no-control-regex -- every candidate mark
const ANY_MARK = /[\x01-\x08\x0b\x0c\x0e-\x1f]/g;
// eslint-disable-next-line no-control-regex -- every candidate mark
const A_MARK = /[\x01-\x08\x0b\x0c\x0e-\x1f]/;

/**
 * Whether `text` holds a control character that could be a mark. Valid JSON never does (it escapes them
 * in strings; between tokens it allows tab, line feed and carriage return only), so a caller that cannot
 * rule out invalid JSON in a column it marks `json` refuses such a value first.
 */
export function holdsMark(text: string): boolean {
  return A_MARK.test(text);
}

/**
 * Texts that hold every control character a value could be separated with. The writer counts it as one
 * record's error (writes.ts), so it stores the batch's issues one by one and only such an issue fails.
 */
export class UnjoinableValuesError extends Error {
  readonly code = 'UNJOINABLE_VALUES';
  constructor() {
    super(
      'a text holds every control character the PostgreSQL writer can separate values with; remove them from the issue in SpeakUp',
    );
    this.name = 'UnjoinableValuesError';
  }
}

/** One value of a column: text, a number, or null. */
export type JoinValue = string | number | null | undefined;

/** A column's values, and whether they are JSON text (not searched for the marks). */
export interface JoinColumn {
  values: readonly JoinValue[];
  json?: boolean;
}

/** The SQL of parameter `$n` split into an array of `type` (text when omitted), with the marks $1 and $2. */
export function splitParam(n: number, type = 'text'): string {
  const split = `(string_to_array($${n}::text, $1::text, $2::text))[2:]`;
  return type === 'text' ? split : `${split}::${type}[]`;
}

/** The statement's parameters: the separator, the null mark, then one text per column. */
export function joinColumns(columns: readonly JoinColumn[]): string[] {
  const [sep, nul] = marksFor(columns);
  return [sep, nul, ...columns.map((c) => joinValues(c.values, sep, nul))];
}

function joinValues(values: readonly JoinValue[], sep: string, nul: string): string {
  if (values.length === 0) return '';
  // join builds one flat string; appending piece by piece builds a rope the driver flattens again.
  const parts = new Array<string>(values.length + 1);
  parts[0] = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i + 1] = v === null || v === undefined ? nul : typeof v === 'string' ? v : String(v);
  }
  return parts.join(sep);
}

/** The usual pair, unless a searched value holds one of it; then the first two candidates no value holds. */
function marksFor(columns: readonly JoinColumn[]): [string, string] {
  const searched = columns.filter((c) => !c.json);
  const [sep, nul] = [CANDIDATES[0]!, CANDIDATES[1]!];
  // indexOf, not a regular expression: it scans the long texts several times faster.
  const holdsUsual = (v: JoinValue): boolean =>
    typeof v === 'string' && (v.indexOf(sep) !== -1 || v.indexOf(nul) !== -1);
  if (!searched.some((c) => c.values.some(holdsUsual))) return [sep, nul];
  const used = new Set<string>();
  for (const c of searched) {
    for (const v of c.values) if (typeof v === 'string') for (const m of v.match(ANY_MARK) ?? []) used.add(m);
  }
  const free = CANDIDATES.filter((m) => !used.has(m));
  if (free.length < 2) throw new UnjoinableValuesError();
  return [free[0]!, free[1]!];
}
