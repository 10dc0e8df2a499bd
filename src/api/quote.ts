/**
 * Values from the server quoted in logs and errors: short, on one line, without control characters, and
 * never walked deeply (a nested value is described by its type, not serialised), so a hostile or broken
 * answer cannot flood a log line, forge one, or overflow the stack while an error is being built.
 */

/** Characters of a quoted value kept before it is cut. */
export const QUOTE_MAX = 40;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `v` as a short, printable quotation. */
export function quoteValue(v: unknown, max = QUOTE_MAX): string {
  if (typeof v === 'string') return JSON.stringify(cut(v.replace(CONTROL, '?'), max));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return cut(String(v), max);
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}
