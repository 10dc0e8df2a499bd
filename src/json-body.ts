/** JSON response bodies, parsed once, with a one-line error naming the request (the API client and the detail writer). */
import { BadResponseError } from './errors.js';

/** Parse a JSON body; BadResponseError naming the path when it is not JSON. */
export function parseJsonBody(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadResponseError(`[GET] "${path}": the body is not valid JSON (${Buffer.byteLength(text)} bytes)`, err);
  }
}

/** The JSON text of a body: as is, or its UTF-8 bytes decoded. */
export function bodyText(raw: string | Uint8Array): string {
  return typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}
