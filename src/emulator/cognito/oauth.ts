/**
 * `POST /oauth2/token` with the client-credentials grant (RFC 6749 §4.4), as Cognito's hosted domain
 * serves it for SpeakUp "App Integrations". Errors follow RFC 6749 §5.2.
 */
import { timingSafeEqual } from 'node:crypto';
import type { EmuOAuthClient, EmuRequest, EmuResponse } from '../types.js';
import type { TokenService } from './tokens.js';

/** RFC 6749 §5.2 error codes the endpoint answers with (throttling is a separate 429). */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'unauthorized_client' | 'invalid_scope' | 'unsupported_grant_type';

/** What the token endpoint needs. */
export interface OAuthContext {
  clients: ReadonlyMap<string, EmuOAuthClient>;
  tokens: TokenService;
}

/** Result of one token request; `error` is set when it was refused (for the error counters). */
export interface OAuthOutcome {
  response: EmuResponse;
  error?: OAuthErrorCode;
}

// RFC 6749 §5.1: token responses must not be cached.
const NO_STORE = { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache' };

/** Handles one token request (throttling is decided by the caller). */
export function handleTokenRequest(ctx: OAuthContext, req: EmuRequest): OAuthOutcome {
  const contentType = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded')
    return fail('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(req.body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) return fail('invalid_request', 'grant_type is required');

  const basic = parseBasic(req.headers.authorization);
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
  if (basic && bodySecret !== null)
    return fail('invalid_request', 'use either HTTP Basic or client_secret in the body, not both');
  const credentials =
    basic ?? (bodyId !== null && bodySecret !== null ? { id: bodyId, secret: bodySecret } : undefined);
  const client = credentials && ctx.clients.get(credentials.id);
  if (!credentials || !client || !secretEquals(client.clientSecret, credentials.secret)) {
    return fail(
      'invalid_client',
      'client authentication failed',
      basic !== undefined || req.headers.authorization !== undefined,
    );
  }

  if (grantType !== 'client_credentials')
    return fail('unsupported_grant_type', `grant_type ${grantType} is not supported`);
  if (client.allowClientCredentials === false)
    return fail('unauthorized_client', 'client is not allowed to use client_credentials');

  const allowed = client.scopes ?? [];
  const asked = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
  const unknown = asked.filter((s) => !allowed.includes(s));
  if (unknown.length > 0) return fail('invalid_scope', `scope not allowed for this client: ${unknown.join(' ')}`);
  const { accessToken, expiresIn } = ctx.tokens.clientCredentials(client.clientId, asked.length > 0 ? asked : allowed);
  return {
    response: {
      status: 200,
      headers: NO_STORE,
      body: JSON.stringify({ access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer' }),
    },
  };
}

/** The answer to a throttled token request: HTTP 429 (Cognito's hosted endpoints answer 429 when over quota). */
export function throttledTokenResponse(): EmuResponse {
  return {
    status: 429,
    headers: NO_STORE,
    body: JSON.stringify({ error: 'too_many_requests', error_description: 'Rate exceeded' }),
  };
}

function fail(error: OAuthErrorCode, description: string, basicAttempted = false): OAuthOutcome {
  const headers: Record<string, string> = { ...NO_STORE };
  // RFC 6749 §5.2: 401 for invalid_client, with WWW-Authenticate when the client tried the Authorization header.
  if (basicAttempted) headers['www-authenticate'] = 'Basic realm="oauth2/token", charset="UTF-8"';
  const status = error === 'invalid_client' ? 401 : 400;
  return { response: { status, headers, body: JSON.stringify({ error, error_description: description }) }, error };
}

/** Decodes `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). */
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined; // broken percent-encoding: not valid credentials
  }
}

function secretEquals(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
