/**
 * Logs in with the configured token provider and describes the token without showing it: the flow used,
 * the token's use and lifetime from its JWT claims (an opaque token has none to read).
 */
import type { TokenProvider } from '../auth/token-provider.js';
import type { AuthConfig } from '../config/types.js';
import { describeError } from '../errors.js';
import type { Finding } from './types.js';

/** The claims `inspect` reports, from a JWT's payload; undefined for an opaque token. */
export function jwtClaims(token: string): { tokenUse?: string; lifetimeS?: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as {
      exp?: unknown;
      iat?: unknown;
      token_use?: unknown;
    };
    const lifetimeS =
      typeof claims.exp === 'number' && typeof claims.iat === 'number' ? claims.exp - claims.iat : undefined;
    return {
      ...(typeof claims.token_use === 'string' ? { tokenUse: claims.token_use } : {}),
      ...(lifetimeS !== undefined ? { lifetimeS } : {}),
    };
  } catch {
    return undefined;
  }
}

function flowOf(auth: AuthConfig): string {
  if (auth.kind === 'client-credentials') return 'OAuth 2.0 client credentials (SPEAKUP_AUTH=client-credentials)';
  return `Cognito ${auth.flow} via ${auth.kind === 'amplify' ? 'aws-amplify' : 'amazon-cognito-identity-js'} (SPEAKUP_AUTH=${auth.kind})`;
}

/** Logs in; the finding, and whether a token was obtained. */
export async function probeLogin(
  tokens: TokenProvider,
  auth: AuthConfig,
  signal?: AbortSignal,
): Promise<{ finding: Finding; ok: boolean }> {
  const check = 'login';
  let token: string;
  try {
    token = await tokens.getToken(signal);
  } catch (err) {
    // Provider errors are one line and carry no secret (they end up in logs as they are).
    return {
      ok: false,
      finding: {
        check,
        verdict: 'problem',
        detail: `${flowOf(auth)}: ${describeError(err)}`,
        setting: 'SPEAKUP_AUTH and its credentials',
      },
    };
  }
  const claims = jwtClaims(token);
  const lifetime =
    claims?.lifetimeS === undefined
      ? 'lifetime not readable (opaque token)'
      : `lifetime ${formatSeconds(claims.lifetimeS)}`;
  const use = claims?.tokenUse ? `${claims.tokenUse} token` : 'token';
  const short = claims?.lifetimeS !== undefined && claims.lifetimeS < 120;
  return {
    ok: true,
    finding: {
      check,
      verdict: short ? 'warning' : 'ok',
      detail: `${flowOf(auth)}: ${use} obtained, ${lifetime}${short ? ': renewed often, every run logs in more than once' : ''}`,
    },
  };
}

function formatSeconds(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
