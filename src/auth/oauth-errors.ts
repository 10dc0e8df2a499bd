/**
 * Maps answers of an OAuth 2.0 token endpoint (RFC 6749 §5.2 error codes, HTTP status) and transport
 * failures to AuthError with a stable code and a message that tells the operator what to fix. The
 * server's `error_description` is not echoed: it is free text we do not control.
 */
import { AuthError, type ErrorCode } from '../errors.js';

/** What a message may name: never the secret. */
export interface TokenEndpointContext {
  /** host[:port] of the token URL. */
  host: string;
  clientId: string;
  scopes: readonly string[];
}

// Server-requested waits (Retry-After) travel beside the error, so AuthError needs no HTTP fields.
const retryAfter = new WeakMap<AuthError, number>();

/** The Retry-After delay a throttled token request asked for, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof AuthError ? retryAfter.get(err) : undefined;
}

/** The RFC 6749 `error` member of a JSON body, or undefined. */
export function oauthErrorCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && /^[\x20-\x7E]{1,64}$/.test(error) ? error : undefined;
}

/** RFC 6749 error codes with a specific fix; `at` names the endpoint. */
const OAUTH_ERRORS: Record<
  string,
  { code: ErrorCode; message: (at: string, ctx: TokenEndpointContext, error: string) => string }
> = {
  invalid_client: {
    code: 'AUTH_INVALID_CLIENT',
    message: (at, c) =>
      `${at} refused client "${c.clientId}" (invalid_client): wrong client id or secret, or the App Integration was deleted; check SPEAKUP_APP_CLIENT_ID and SPEAKUP_CLIENT_SECRET`,
  },
  unauthorized_client: {
    code: 'AUTH_UNAUTHORIZED_CLIENT',
    message: (_, c) =>
      `App Integration "${c.clientId}" may not use the client-credentials grant (unauthorized_client); enable machine-to-machine access for it in SpeakUp, or check SPEAKUP_APP_CLIENT_ID`,
  },
  invalid_scope: {
    code: 'AUTH_INVALID_SCOPE',
    message: (at, c) =>
      `${at} refused the scopes ${c.scopes.length > 0 ? `"${c.scopes.join(' ')}"` : "the integration's defaults"} for client "${c.clientId}" (invalid_scope); set SPEAKUP_SCOPES to scopes the App Integration grants, or unset it`,
  },
  unsupported_grant_type: { code: 'AUTH_FAILED', message: wrongGrant },
  invalid_grant: { code: 'AUTH_FAILED', message: wrongGrant },
};

function wrongGrant(at: string, _: TokenEndpointContext, error: string): string {
  return `${at} does not accept the client-credentials grant (${error}); check that SPEAKUP_TOKEN_URL is the App Integration's token URL`;
}

/** Translate a non-2xx answer of the token endpoint. */
export function tokenEndpointError(
  status: number,
  body: unknown,
  ctx: TokenEndpointContext,
  retryAfterMs?: number,
): AuthError {
  const error = oauthErrorCode(body);
  const opts = { upstream: error ?? `HTTP ${status}` };
  const at = `the token endpoint at ${ctx.host}`;
  const known = error !== undefined && Object.hasOwn(OAUTH_ERRORS, error) ? OAUTH_ERRORS[error] : undefined;
  if (known) return new AuthError(known.code, known.message(at, ctx, error!), opts);
  if (status === 429) {
    const err = new AuthError(
      'AUTH_THROTTLED',
      `${at} is throttling token requests (HTTP 429); retried with backoff, then gave up: wait a few minutes and run again`,
      { ...opts, retryable: true },
    );
    if (retryAfterMs !== undefined) retryAfter.set(err, retryAfterMs);
    return err;
  }
  // Credentials are never re-sent to wherever a redirect points.
  if (status >= 300 && status < 400) {
    return new AuthError(
      'AUTH_FAILED',
      `${at} redirects (HTTP ${status}); set SPEAKUP_TOKEN_URL to the final token URL`,
      opts,
    );
  }
  if (status >= 500 || status === 408) {
    return new AuthError(
      'AUTH_NETWORK',
      `${at} failed (HTTP ${status}); retried with backoff, then gave up: try again later`,
      {
        ...opts,
        retryable: true,
      },
    );
  }
  const what = error ? `refused the token request (${error})` : `answered HTTP ${status}`;
  return new AuthError(
    'AUTH_FAILED',
    `${at} ${what}; check SPEAKUP_TOKEN_URL, SPEAKUP_APP_CLIENT_ID and SPEAKUP_CLIENT_SECRET`,
    opts,
  );
}

/** Translate a failure to get any answer (refused, reset, DNS, TLS, timeout). Always retryable. */
export function tokenTransportError(err: unknown, ctx: TokenEndpointContext, timeoutMs: number): AuthError {
  const e = err as { name?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (e?.name === 'TimeoutError') {
    return new AuthError(
      'AUTH_NETWORK',
      `the token endpoint at ${ctx.host} did not answer within ${timeoutMs} ms; check connectivity and SPEAKUP_TOKEN_URL`,
      { upstream: 'Timeout', retryable: true, cause: err },
    );
  }
  // fetch reports "fetch failed" and puts the system error (ECONNREFUSED, ENOTFOUND, CERT_…) in `cause`.
  const cause = e?.cause;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message.slice(0, 80)
        : 'network error';
  if (/CERT|SSL|TLS/.test(detail)) {
    // A certificate problem does not pass by itself: no retries. Verification is never turned off.
    return new AuthError(
      'AUTH_NETWORK',
      `the TLS certificate of the token endpoint at ${ctx.host} is not trusted (${detail}); fix the certificate, or add its CA with NODE_EXTRA_CA_CERTS`,
      { upstream: detail, cause: err },
    );
  }
  return new AuthError(
    'AUTH_NETWORK',
    `cannot reach the token endpoint at ${ctx.host} (${detail}); check connectivity and SPEAKUP_TOKEN_URL`,
    { upstream: 'NetworkError', retryable: true, cause: err },
  );
}
