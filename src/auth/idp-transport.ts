/**
 * The identity provider's requests over node:http(s) instead of the global fetch. A process's first fetch
 * loads fetch's implementation (undici), which costs a login more CPU than its SRP arithmetic, on the main
 * thread, before the sync's first API request; node:http is loaded anyway (the API client is built on it).
 * Covers what the Cognito libraries use of fetch: method, headers, a text or byte body and an abort
 * signal; the answer's status, headers, text and JSON. Redirects are not followed (idp-fetch.ts refuses
 * them); TLS certificates are checked as by every https request.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/** The part of a fetch Response the Cognito libraries read. */
export interface IdpResponse {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected: false;
  readonly headers: {
    get(name: string): string | null;
    has(name: string): boolean;
    forEach(fn: (value: string, name: string) => void): void;
  };
  /** No stream: the body is read whole before the answer resolves (the provider's answers are small). */
  readonly body: null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * Sends `init` to `url` and resolves with the whole answer; rejects as fetch does: with the signal's reason
 * once aborted, else a TypeError whose cause is the network error. Undefined: a body this does not send
 * (a stream, a form), for the caller to give to fetch.
 */
export function idpRequest(url: URL, init: RequestInit = {}): Promise<IdpResponse> | undefined {
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
    return undefined;
  const headers = plainHeaders(init.headers);
  if (headers === undefined) return undefined;
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const fail = (err: unknown): void =>
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort rejects with the signal's reason, whatever it is, as fetch does
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: err }));
    const req = transport.request(
      url,
      { method: init.method ?? 'GET', headers, ...(signal ? { signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => resolve(answer(url, res, Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', fail);
    req.end(body ?? undefined);
  });
}

/** Request headers as a plain object; undefined for a kind this does not read (a Headers instance). */
function plainHeaders(headers: RequestInit['headers']): Record<string, string> | undefined {
  if (headers === undefined) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers.map(([k, v]) => [k, v]));
  const proto: unknown = Object.getPrototypeOf(headers);
  return proto === Object.prototype || proto === null ? { ...(headers as Record<string, string>) } : undefined;
}

function answer(url: URL, res: IncomingMessage, text: string): IdpResponse {
  const value = (name: string): string | null => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  const status = res.statusCode ?? 0;
  return {
    url: url.href,
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    redirected: false,
    headers: {
      get: value,
      has: (name) => value(name) !== null,
      forEach: (fn) => {
        for (const name of Object.keys(res.headers)) fn(value(name)!, name);
      },
    },
    body: null,
    text: () => Promise.resolve(text),
    json: () => new Promise((resolve) => resolve(JSON.parse(text) as unknown)),
  };
}
