/**
 * Timestamp normalisation for the DATETIME columns: every value stored is `Date#toISOString()` text
 * (UTC, `Z`, milliseconds), or NULL. Partial dates never reach those columns (NUMERIC affinity would turn
 * '2024' into an integer), and offsets are applied, not dropped (DuckDB drops them).
 */

// date, 'T' or space, hh:mm, optional :ss and fraction, optional zone (Z, ±hh:mm, ±hhmm, ±hh).
const FULL_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// What the API is documented to send, and what we store: a round trip checks it, twice as fast as parsing.
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Returns `value` as `YYYY-MM-DDTHH:MM:SS.sssZ` when it is a full ISO-8601 date-time string, else null.
 * A date-time without a zone is read as UTC (the API documents UTC; JS `Date` would read it as local time).
 * Numbers are refused: epoch seconds and milliseconds cannot be told apart.
 */
export function toIsoUtc(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  if (CANONICAL.test(value)) {
    const ms = Date.parse(value);
    // An impossible date (Feb 30) parses but prints differently: fall through to the strict path.
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === value) return value;
  }
  const m = FULL_TIMESTAMP.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Truncate to ms like Date#toISOString would print; extra digits carry no meaning for us.
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMin = 0;
  if (sign !== undefined) {
    const offH = Number(oh);
    const offM = om === undefined ? 0 : Number(om);
    if (offH > 23 || offM > 59) return null;
    offsetMin = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  const out = utcDate(year, month - 1, day);
  out.setUTCHours(hour, minute - offsetMin, second, ms);
  // Years outside 0000-9999 print as ±YYYYYY, which the schema's CHECK (rightly) refuses.
  const outYear = out.getUTCFullYear();
  if (outYear < 0 || outYear > 9999) return null;
  return out.toISOString();
}

/** Returns `value` when it is a valid calendar date `YYYY-MM-DD`, else null. */
export function toPlainDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = PLAIN_DATE.exec(value.trim());
  if (!m) return null;
  return validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? value.trim() : null;
}

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  return day <= utcDate(year, month, 0).getUTCDate();
}

/** A UTC midnight; unlike Date.UTC, setUTCFullYear does not map years 0-99 to 1900-1999. */
function utcDate(year: number, monthIndex: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  return d;
}
