/**
 * JSON documents sent to PostgreSQL as one text parameter, split by the server, instead of an array
 * parameter: node-postgres writes an array as a literal whose every quote and backslash the client
 * escapes and the server parses back, which costs more than the documents' own JSON parsing. The
 * documents are joined by a record separator, and NULL travels as a unit separator: JSON text holds
 * neither control character unescaped. `copy` sends its JSON columns so; the batch writer sends every
 * column as joined text (joined-text.ts).
 */

const SEPARATOR = '\x1e';
const NULL_MARK = '\x1f';
// eslint-disable-next-line no-control-regex -- the two marks are control characters
const MARKS = /[\x1e\x1f]/;

/** The SQL of parameter `$n` split back into a text[] (cast the elements to jsonb after unnest). */
export function splitJsonParam(n: number): string {
  return `string_to_array($${n}::text, E'\\x1e', E'\\x1f')`;
}

/** The parameter for `values` (JSON texts, or null). */
export function joinJson(values: readonly (string | null)[]): string {
  return values.map((v) => v ?? NULL_MARK).join(SEPARATOR);
}

/**
 * Whether `text` holds one of the marks, which valid JSON never does. A text that did would split into
 * more values than rows; a caller that cannot rule it out refuses such a value first.
 */
export function holdsJoinMark(text: string): boolean {
  return MARKS.test(text);
}
