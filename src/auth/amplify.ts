/**
 * Token provider on AWS Amplify v6 Auth (the manual's recommendation for new projects, and the path that
 * outlives amazon-cognito-identity-js): signIn, fetchAuthSession for the ID token, refresh through
 * Amplify (GetTokensFromRefreshToken), sign in again when the refresh is refused. Errors become the same
 * AuthError codes as the default provider's.
 *
 * Amplify's configuration and signed-in user are process-global: one process holds one
 * Amplify user, so a second live provider is refused. Amplify is loaded on first use (it is slow to
 * import), so other providers never pay for it. Works on Node 20 without polyfills.
 */
// Types only: the modules themselves are loaded on first use (loadAmplify).
import type * as AmplifyCore from 'aws-amplify';
import type * as AmplifyAuth from 'aws-amplify/auth';
import type * as AmplifyCognito from 'aws-amplify/auth/cognito';
import type * as AmplifyUtils from 'aws-amplify/utils';
import type { Logger } from 'pino';
import type { AmplifyAuthConfig } from '../config/types.js';
import { AuthError, firstLine } from '../errors.js';
import type { RetryPolicy } from '../retry/policy.js';
import { withRetry } from '../retry/with-retry.js';
import { cognitoCode, toAuthError } from './cognito-errors.js';
import { refuseIdpRedirects } from './idp-fetch.js';
import { TokenCache, withTimeout } from './renewal.js';
import type { TokenProvider } from './token-provider.js';

/** What the Amplify provider is built from (see compose.ts). */
export interface AmplifyProviderOptions {
  auth: AmplifyAuthConfig;
  /** Bound on one Amplify call (its requests have no timeout of their own). */
  timeoutMs: number;
  retry: RetryPolicy;
  log: Logger;
  now?: () => number;
}

interface AmplifyModules {
  core: typeof AmplifyCore;
  auth: typeof AmplifyAuth;
  cognito: typeof AmplifyCognito;
  utils: typeof AmplifyUtils;
}

type IdToken = NonNullable<
  NonNullable<Awaited<ReturnType<AmplifyModules['auth']['fetchAuthSession']>>['tokens']>['idToken']
>;

// Mirrors Amplify's own process-global state: the provider that owns it, if any.
let owner: AmplifyTokenProvider | undefined;

/** ID tokens of a SpeakUp service account through Amplify v6; at most one live instance per process. */
export class AmplifyTokenProvider implements TokenProvider {
  readonly stats = { logins: 0, refreshes: 0 };
  private readonly now: () => number;
  private modules: Promise<AmplifyModules> | undefined;
  private readonly cache: TokenCache;
  /** Whether a sign-in succeeded (then a refresh is tried before signing in again). */
  private signedIn = false;
  private restoreLogLevel: (() => void) | undefined;
  private closed = false;
  private readonly releaseRedirectGuard: () => void;

  constructor(private readonly opts: AmplifyProviderOptions) {
    if (owner) {
      throw new AuthError(
        'AUTH_PROVIDER_IN_USE',
        `this process already has an Amplify token provider (user "${owner.opts.auth.username}"); Amplify holds one configuration and one signed-in user per process: close() the first one, or use SPEAKUP_AUTH=password to serve several accounts from one process`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the record of which provider holds Amplify's process-global state
    owner = this;
    this.now = opts.now ?? Date.now;
    this.cache = new TokenCache((signal) => this.renew(signal), this.now);
    const { endpoint, region } = opts.auth;
    this.releaseRedirectGuard = refuseIdpRedirects(endpoint ?? `https://cognito-idp.${region}.amazonaws.com/`);
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    if (this.closed) throw new AuthError('AUTH_FAILED', 'the Amplify token provider is closed');
    return this.cache.get(signal);
  }

  invalidate(token: string): void {
    this.cache.invalidate(token);
  }

  /** Signs out (Cognito revokes the refresh token where it can) and frees the process's Amplify slot. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.cache.renewing?.catch(() => undefined);
      const m = await this.modules?.catch(() => undefined);
      if (m)
        await withTimeout(m.auth.signOut(), this.opts.timeoutMs, () => new Error('timeout')).catch((err: unknown) =>
          this.opts.log.debug({ code: cognitoCode(err) }, 'Amplify sign-out failed'),
        );
    } finally {
      this.cache.clear();
      this.signedIn = false;
      this.restoreLogLevel?.();
      this.releaseRedirectGuard();
      if (owner === this) owner = undefined;
    }
  }

  private async renew(signal: AbortSignal | undefined): Promise<string> {
    const m = await this.load();
    if (this.signedIn) {
      try {
        const refreshed = await this.refresh(m, signal);
        if (refreshed !== undefined) return refreshed;
        this.opts.log.debug('refresh token refused, signing in again');
      } catch (err) {
        // Even a passing fault that outlived its retries: a fresh sign-in is the next best thing.
        this.opts.log.debug({ code: cognitoCode(err) }, 'token refresh failed, signing in again');
      }
    }
    return this.login(m, signal);
  }

  /** Forced refresh. Undefined when Amplify dropped the session (it does so on NotAuthorizedException). */
  private refresh(m: AmplifyModules, signal: AbortSignal | undefined): Promise<string | undefined> {
    return this.retrying(signal, async () => {
      const session = await this.call(m.auth.fetchAuthSession({ forceRefresh: true }));
      if (!session.tokens?.idToken) return undefined;
      this.stats.refreshes++;
      return this.keep(session.tokens.idToken);
    });
  }

  private login(m: AmplifyModules, signal: AbortSignal | undefined): Promise<string> {
    const { username, password, flow } = this.opts.auth;
    return this.retrying(signal, async () => {
      // signIn refuses to run while Amplify still holds a user (e.g. after a refresh that failed for a
      // passing reason); signing out first also revokes that stale refresh token.
      await this.call(m.auth.signOut());
      const result = await this.call(m.auth.signIn({ username, password, options: { authFlowType: flow } }));
      if (!result.isSignedIn) throw this.stepError(result.nextStep.signInStep);
      const session = await this.call(m.auth.fetchAuthSession());
      if (!session.tokens?.idToken)
        throw new AuthError('AUTH_FAILED', `Amplify signed in "${username}" but returned no ID token`);
      this.stats.logins++;
      return this.keep(session.tokens.idToken);
    });
  }

  private retrying<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.opts.retry, {
      signal,
      retryable: (err) => err instanceof AuthError && err.retryable,
      onRetry: (err, attempt) =>
        this.opts.log.warn({ attempt, code: (err as AuthError).code }, 'Amplify sign-in or refresh failed, retrying'),
    });
  }

  /** The renewal time comes from the token's own lifetime on the local clock (immune to clock skew). */
  private keep(idToken: IdToken): string {
    const { exp, iat } = idToken.payload;
    this.signedIn = true;
    return this.cache.set(
      idToken.toString(),
      typeof exp === 'number' && typeof iat === 'number' ? (exp - iat) * 1000 : 0,
    );
  }

  /** A sign-in that stopped at a step a service account cannot take. */
  private stepError(step: string): AuthError {
    // Amplify turns these two Cognito exceptions into next steps instead of throwing them.
    if (step === 'CONFIRM_SIGN_UP') return this.toError({ name: 'UserNotConfirmedException' });
    if (step === 'RESET_PASSWORD') return this.toError({ name: 'PasswordResetRequiredException' });
    return new AuthError(
      'AUTH_CHALLENGE_UNSUPPORTED',
      `login of "${this.opts.auth.username}" needs an interactive step (${step}); a service account must have a permanent password and no MFA: finish the setup in SpeakUp once`,
    );
  }

  /** One Amplify call, bounded in time, its failure mapped to AuthError. */
  private async call<T>(p: Promise<T>): Promise<T> {
    try {
      return await withTimeout(p, this.opts.timeoutMs, () => this.toError({ name: 'NetworkError' }));
    } catch (err) {
      throw this.toError(err);
    }
  }

  private toError(err: unknown): AuthError {
    const { endpoint, region, username, userPoolId } = this.opts.auth;
    const endpointHost = new URL(endpoint ?? `https://cognito-idp.${region}.amazonaws.com/`).host;
    return toAuthError(err, { username, userPoolId, endpointHost });
  }

  private load(): Promise<AmplifyModules> {
    this.modules ??= loadAmplify().then((m) => {
      this.configure(m);
      return m;
    });
    return this.modules;
  }

  private configure(m: AmplifyModules): void {
    const { ConsoleLogger, sharedInMemoryStorage } = m.utils;
    const { userPoolId, appClientId, endpoint } = this.opts.auth;
    // Amplify writes to the console itself (info lines on stdout, which is for command output; warnings
    // such as "You are using a custom Amazon Cognito User Pool endpoint"). What matters reaches us as
    // errors, so it stays quiet while we hold Amplify, and our logger says what we chose.
    const previous = ConsoleLogger.LOG_LEVEL;
    ConsoleLogger.LOG_LEVEL = 'NONE';
    this.restoreLogLevel = () => {
      ConsoleLogger.LOG_LEVEL = previous;
    };
    m.core.Amplify.configure({
      Auth: {
        Cognito: { userPoolId, userPoolClientId: appClientId, ...(endpoint ? { userPoolEndpoint: endpoint } : {}) },
      },
    });
    // Tokens stay in this process's memory, whatever Web Storage the runtime offers (Node ≥ 22 can have localStorage).
    m.cognito.cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);
    if (endpoint) this.opts.log.debug({ endpoint }, 'Amplify uses a custom Cognito user pool endpoint');
  }
}

async function loadAmplify(): Promise<AmplifyModules> {
  try {
    const [core, auth, cognito, utils] = await Promise.all([
      import('aws-amplify'),
      import('aws-amplify/auth'),
      import('aws-amplify/auth/cognito'),
      import('aws-amplify/utils'),
    ]);
    return { core, auth, cognito, utils };
  } catch (err) {
    throw new AuthError(
      'AUTH_FAILED',
      `SPEAKUP_AUTH=amplify needs the aws-amplify package, which cannot be loaded (${firstLine(err)}); run npm ci`,
      { cause: err },
    );
  }
}
