/**
 * Values as PostgreSQL prints them, computed in JavaScript from what SQLite holds, so that a table copied
 * into PostgreSQL can be checked against a checksum the server computes over its own rows (copy.ts)
 * without reading the rows back. A row prints as `ROW(...)::text` does (record_out); jsonb enters it as the
 * md5 of what jsonb_out prints (keys ordered by byte length then bytes, the last of duplicate keys kept,
 * numbers as numeric_out prints them), so a large document is neither quoted nor doubled in the row's text;
 * float8 as float8out does (shortest exact digits); timestamps in UTC, ISO style.
 */
import { hash } from 'node:crypto';

/** How PostgreSQL renders a column for the checksum, and how the same text is made from an SQLite value. */
export type RowTextKind = 'int' | 'text' | 'bool' | 'float' | 'time' | 'json';

/** The column expression whose text output the JavaScript side reproduces. */
export function pgColumnText(column: string, kind: RowTextKind): string {
  const c = `"${column}"`;
  return kind === 'json' ? `md5(${c}::text)` : c;
}

/** The session settings under which timestamptz prints as timeText() writes it. */
export const ROW_TEXT_SETTINGS = "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'";

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** timestamptz_out in UTC with ISO DateStyle: `2024-01-02 03:04:05.12+00` (no trailing zeros in the fraction). */
export function timeText(value: string): string {
  const iso = ISO_MS.test(value) ? value : new Date(value).toISOString();
  const fraction = iso.slice(19, 23).replace(/\.?0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00`;
}

/**
 * The text PostgreSQL prints for `value` (an SQLite value) stored in a column of `kind` (for jsonb, the md5
 * of it, as pgColumnText asks of the server); null for NULL.
 */
export function sqliteValueText(value: unknown, kind: RowTextKind): string | null {
  if (value === null || value === undefined) return null;
  // What better-sqlite3 returns: text, numbers (bigint with safeIntegers) or a Buffer for a blob.
  const v = value as string | number | bigint;
  switch (kind) {
    case 'bool':
      return value === 1 || value === true ? 't' : 'f';
    case 'float':
      return float8Text(Number(v));
    case 'time':
      return timeText(String(v));
    case 'json':
      return hash('md5', jsonbText(String(v)), 'hex');
    default:
      return String(v);
  }
}

// Characters that make record_out quote a field: its own delimiters and C-locale isspace().
const NEEDS_QUOTES = /[(),"\\ \t\n\v\f\r]/;

/** `ROW(a, b, …)::text` of field texts (null prints as nothing, '' as ""). */
export function recordText(fields: readonly (string | null)[]): string {
  let out = '(';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    const f = fields[i];
    if (f === null || f === undefined) continue;
    if (f === '') out += '""';
    else if (NEEDS_QUOTES.test(f)) out += `"${f.replace(/["\\]/g, '$&$&')}"`;
    else out += f;
  }
  return `${out})`;
}

/** float8out with its default extra_float_digits: shortest exact digits, exponent below 1e-4 or from 1e15. */
export function float8Text(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  // -0 travels as "0" (the driver sends String(value)).
  if (n === 0) return '0';
  const [mantissa, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 15) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** numeric_out of numeric_in(token): the scale written is kept (1.50), exponents are written out (1e2 → 100). */
export function numericText(token: string): string {
  const m = NUMBER.exec(token);
  if (!m) return token;
  const [, sign, int = '', frac = '', expText = '0'] = m;
  const exp = Number(expText);
  if (Math.abs(exp) > 10_000) return token;
  const digits = int + frac;
  const point = int.length + exp;
  let whole: string;
  let fraction: string;
  if (point <= 0) {
    whole = '0';
    fraction = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    whole = digits + '0'.repeat(point - digits.length);
    fraction = '';
  } else {
    whole = digits.slice(0, point);
    fraction = digits.slice(point);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  const zero = !/[1-9]/.test(digits);
  return `${zero ? '' : sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A JSON string as jsonb_out escapes it. */
function jsonString(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => {
    switch (c) {
      case '"':
        return '\\"';
      case '\\':
        return '\\\\';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  })}"`;
}

const SURROGATE = /[\ud800-\udfff]/;
const NON_ASCII = /[\u0080-\uffff]/;

/** jsonb's key order: shorter (in UTF-8 bytes) first, then bytewise. */
function compareKeys(a: string, b: string): number {
  const la = NON_ASCII.test(a) ? Buffer.byteLength(a) : a.length;
  const lb = NON_ASCII.test(b) ? Buffer.byteLength(b) : b.length;
  if (la !== lb) return la - lb;
  // UTF-16 order is UTF-8 byte order except around surrogate pairs.
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** jsonb_out(jsonb_in(text)) for valid JSON text. */
export function jsonbText(text: string): string {
  let i = 0;
  const skip = (): void => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  /** A string token at i: its decoded value and its jsonb spelling. */
  const string = (): [string, string] => {
    const start = i;
    let escaped = false;
    for (i++; text.charCodeAt(i) !== 34; i++) {
      if (text.charCodeAt(i) === 92) {
        escaped = true;
        i++;
      }
    }
    i++;
    if (!escaped) {
      const raw = text.slice(start + 1, i - 1);
      return [raw, `"${raw}"`];
    }
    const value = JSON.parse(text.slice(start, i)) as string;
    return [value, jsonString(value)];
  };
  const value = (): string => {
    skip();
    const c = text.charCodeAt(i);
    if (c === 34) return string()[1];
    if (c === 123 || c === 91) return c === 123 ? object() : array();
    const start = i;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    const token = text.slice(start, i);
    return c === 45 || (c >= 48 && c <= 57) ? numericText(token) : token;
  };
  const array = (): string => {
    i++;
    skip();
    if (text.charCodeAt(i) === 93) return (i++, '[]');
    const items: string[] = [];
    do {
      items.push(value());
      skip();
    } while (text.charCodeAt(i++) === 44);
    return `[${items.join(', ')}]`;
  };
  const object = (): string => {
    i++;
    skip();
    if (text.charCodeAt(i) === 125) return (i++, '{}');
    const members = new Map<string, string>();
    do {
      skip();
      const [key, spelled] = string();
      skip();
      i++; // the colon
      members.delete(key);
      members.set(key, `${spelled}: ${value()}`);
      skip();
    } while (text.charCodeAt(i++) === 44);
    return `{${[...members.keys()]
      .sort(compareKeys)
      .map((k) => members.get(k)!)
      .join(', ')}}`;
  };
  return value();
}
