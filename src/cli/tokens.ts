/**
 * The token provider the configuration asks for, in a module of its own: `sync` builds it and starts its
 * login before it loads the database and sync modules, so the login's round trips overlap that work
 * instead of following it.
 */
import type { Logger } from 'pino';
import { AmplifyTokenProvider } from '../auth/amplify.js';
import { ClientCredentialsProvider } from '../auth/client-credentials.js';
import { CognitoPasswordProvider } from '../auth/cognito-password.js';
import type { TokenProvider } from '../auth/token-provider.js';
import type { Config } from '../config/types.js';
import { retryPolicy } from '../retry/policy.js';

/** Build the token provider the configuration asks for (SPEAKUP_AUTH). */
export function createTokenProvider(config: Config, log: Logger): TokenProvider {
  const common = {
    timeoutMs: config.retry.timeoutMs,
    retry: retryPolicy(config.retry),
    log: log.child({ component: 'auth', provider: config.auth.kind }),
  };
  switch (config.auth.kind) {
    case 'password':
      return new CognitoPasswordProvider({ ...common, auth: config.auth });
    case 'client-credentials':
      return new ClientCredentialsProvider({ ...common, auth: config.auth });
    case 'amplify':
      return new AmplifyTokenProvider({ ...common, auth: config.auth });
  }
}

/**
 * Starts `tokens`' login now and returns the provider to use afterwards. Its first caller gets the
 * login's outcome, failure included, where the run would have met it anyway (so an auth error is
 * reported and recorded as before, and a failed login is not tried twice); later callers, and the first
 * one once the login succeeded, go to the provider, which renews a token that has grown old meanwhile.
 */
export function startLogin(tokens: TokenProvider, signal?: AbortSignal): TokenProvider {
  let early: Promise<unknown> | undefined = tokens.getToken(signal);
  // Handled here so that a run that never asks (a database that cannot be opened) has no stray rejection.
  early.catch(() => undefined);
  const close = tokens.close?.bind(tokens);
  return {
    async getToken(s) {
      const login = early;
      early = undefined;
      if (login) await login;
      return tokens.getToken(s);
    },
    invalidate: (token) => tokens.invalidate(token),
    get stats() {
      return tokens.stats;
    },
    ...(close ? { close } : {}),
  };
}
