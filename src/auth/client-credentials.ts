/**
 * Token provider for a SpeakUp App Integration: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
 * POSTs `grant_type=client_credentials` with HTTP Basic client authentication, falling back once to the
 * credentials in the body (RFC 6749 §2.3.1 allows both; some servers accept only the body form) and
 * remembering what worked. Caches the access token, renews it ahead of `expires_in`, one renewal at a
 * time. The client secret goes only into that request: never into a log line, an error or the database.
 */
import type { Logger } from 'pino';
import type { ClientCredentialsAuthConfig } from '../config/types.js';
import { abortedError, AuthError } from '../errors.js';
import type { RetryPolicy } from '../retry/policy.js';
import { parseRetryAfter } from '../retry/retry-after.js';
import { withRetry } from '../retry/with-retry.js';
import {
  oauthErrorCode,
  retryAfterOf,
  tokenEndpointError,
  tokenTransportError,
  type TokenEndpointContext,
} from './oauth-errors.js';
import { TokenCache } from './renewal.js';
import type { TokenProvider } from './token-provider.js';

/** What the client-credentials provider is built from (see compose.ts). */
export interface ClientCredentialsOptions {
  auth: ClientCredentialsAuthConfig;
  /** Bound on one token request, answer included. */
  timeoutMs: number;
  retry: RetryPolicy;
  log: Logger;
  now?: () => number;
}

/** Where the client credentials go: the Authorization header, or the form body. */
type ClientAuthMethod = 'basic' | 'body';

interface TokenAnswer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
}

/** Used when the server sends no `expires_in` (RFC 6749 only recommends it): renew often rather than late. */
const DEFAULT_LIFETIME_S = 300;
const USER_AGENT = 'speakup-sync/0.1 (+node)';

/** Access tokens of a SpeakUp App Integration, cached and renewed ahead of expiry. */
export class ClientCredentialsProvider implements TokenProvider {
  /** `logins` counts tokens obtained; there is no refresh token in this grant. */
  readonly stats = { logins: 0, refreshes: 0 };
  private readonly now: () => number;
  private readonly ctx: TokenEndpointContext;
  private method: ClientAuthMethod = 'basic';
  private readonly cache: TokenCache;

  constructor(private readonly opts: ClientCredentialsOptions) {
    this.now = opts.now ?? Date.now;
    this.ctx = { host: new URL(opts.auth.tokenUrl).host, clientId: opts.auth.clientId, scopes: opts.auth.scopes };
    this.cache = new TokenCache((signal) => this.obtain(signal), this.now);
  }

  getToken(signal?: AbortSignal): Promise<string> {
    return this.cache.get(signal);
  }

  invalidate(token: string): void {
    this.cache.invalidate(token);
  }

  private obtain(signal: AbortSignal | undefined): Promise<string> {
    return withRetry(() => this.attempt(signal), this.opts.retry, {
      signal,
      retryable: (err) => err instanceof AuthError && err.retryable,
      serverWaitMs: retryAfterOf,
      onRetry: (err, attempt) =>
        this.opts.log.warn({ attempt, code: (err as AuthError).code }, 'token request failed, retrying'),
    });
  }

  private async attempt(signal: AbortSignal | undefined): Promise<string> {
    const sentAt = this.now();
    let answer = await this.request(this.method, signal);
    if (this.method === 'basic' && isInvalidClient(answer)) {
      answer = await this.request('body', signal);
      // Any answer but invalid_client means the server understood the body form: keep using it.
      if (!isInvalidClient(answer)) {
        this.method = 'body';
        this.opts.log.info(
          { host: this.ctx.host },
          'token endpoint refused HTTP Basic client authentication; sending the client credentials in the request body from now on',
        );
      }
    }
    if (answer.status < 200 || answer.status >= 300)
      throw tokenEndpointError(answer.status, answer.body, this.ctx, answer.retryAfterMs);
    const { value, lifetimeS } = this.parse(answer.body);
    // Measured from when the request was sent: errs early.
    this.cache.set(value, lifetimeS * 1000, sentAt);
    this.stats.logins++;
    this.opts.log.debug({ expiresInS: lifetimeS, method: this.method }, 'obtained an access token');
    return value;
  }

  private parse(body: unknown): { value: string; lifetimeS: number } {
    const b = (body ?? {}) as { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    const fail = (what: string) =>
      new AuthError(
        'AUTH_FAILED',
        `the token endpoint at ${this.ctx.host} answered with success but without ${what}; check SPEAKUP_TOKEN_URL`,
      );
    if (typeof b.access_token !== 'string' || b.access_token === '') throw fail('an access_token');
    // RFC 6749 §7.1: a client must not use a token type it does not understand.
    if (typeof b.token_type === 'string' && b.token_type.toLowerCase() !== 'bearer')
      throw fail(`a Bearer token (token_type ${JSON.stringify(b.token_type.slice(0, 20))})`);
    // Some servers send expires_in as a string.
    const expires = typeof b.expires_in === 'string' ? Number(b.expires_in) : b.expires_in;
    const lifetimeS =
      typeof expires === 'number' && Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_LIFETIME_S;
    return { value: b.access_token, lifetimeS };
  }

  /** One POST to the token endpoint. Resolves with any HTTP answer; rejects only when there is none. */
  private async request(method: ClientAuthMethod, signal: AbortSignal | undefined): Promise<TokenAnswer> {
    const { tokenUrl, clientId, clientSecret, scopes } = this.opts.auth;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': USER_AGENT,
    };
    if (method === 'basic') {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64, so ':' or '%' in them survive.
      headers['authorization'] =
        `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers,
        body: form,
        // Never follow: a redirect would carry the credentials somewhere else.
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined; // an HTML error page, say: the status tells enough
      }
      return {
        status: res.status,
        body,
        retryAfterMs: parseRetryAfter(
          res.headers.get('retry-after') ?? undefined,
          Date.now(),
          res.headers.get('date') ?? undefined,
        ),
      };
    } catch (err) {
      if (signal?.aborted) throw abortedError(err);
      throw tokenTransportError(err, this.ctx, this.opts.timeoutMs);
    }
  }
}

function isInvalidClient(answer: TokenAnswer): boolean {
  return oauthErrorCode(answer.body) === 'invalid_client';
}
