/**
 * amazon-cognito-identity-js and Amplify send credentials (the SRP exchange, a password under
 * USER_PASSWORD_AUTH, refresh tokens) through the global `fetch`, which follows a 307 or 308 redirect to
 * any host with the same body. Neither library lets its caller choose `redirect`, so their providers
 * register the identity provider's origin here: requests to it are never redirected (`redirect: 'manual'`),
 * and a redirect answer becomes an error instead of a second request. Other requests pass through untouched.
 *
 * This wraps `globalThis.fetch` while at least one provider is open (counted per origin), because the
 * libraries look the global up on every call; the wrapper is removed when the last provider closes.
 * Requests to a registered origin go over node:http (idp-transport.ts) rather than fetch itself.
 */
import { idpRequest } from './idp-transport.js';

/** A redirect the identity provider answered; `code` is what the providers' error mapping reads. */
export class IdpRedirectError extends Error {
  readonly code = 'IdpRedirect';
  constructor(
    readonly status: number,
    readonly fromHost: string,
  ) {
    super(`the identity provider at ${fromHost} answered with a redirect (HTTP ${status})`);
    this.name = 'IdpRedirectError';
  }
}

const guarded = new Map<string, number>();
let unguarded: typeof fetch | undefined;

/** Refuses redirects from `endpoint`'s origin until the returned function is called. */
export function refuseIdpRedirects(endpoint: string): () => void {
  const origin = new URL(endpoint).origin;
  guarded.set(origin, (guarded.get(origin) ?? 0) + 1);
  if (unguarded === undefined) {
    unguarded = globalThis.fetch;
    globalThis.fetch = guardedFetch;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (guarded.get(origin) ?? 1) - 1;
    if (left > 0) guarded.set(origin, left);
    else guarded.delete(origin);
    if (guarded.size === 0 && unguarded !== undefined) {
      globalThis.fetch = unguarded;
      unguarded = undefined;
    }
  };
}

async function guardedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const send = unguarded ?? fetch;
  // A string or URL is what the libraries pass; `instanceof Request` would load fetch's implementation.
  const request = typeof input === 'string' || input instanceof URL ? undefined : input;
  const url = new URL(request ? request.url : input);
  if (!guarded.has(url.origin)) return send(input, init);
  const response = (!request && idpRequest(url, init)) || send(input, { ...init, redirect: 'manual' });
  const answer = (await response) as Response;
  if (answer.status >= 300 && answer.status < 400) {
    await answer.body?.cancel();
    throw new IdpRedirectError(answer.status, url.host);
  }
  return answer;
}
