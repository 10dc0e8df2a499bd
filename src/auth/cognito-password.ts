/**
 * The default token provider: a SpeakUp service account in Cognito, through amazon-cognito-identity-js
 * (SRP by default, USER_PASSWORD_AUTH on request). Hands out the ID token (what the manual says the API
 * wants), renews it ahead of expiry, refreshes with the refresh token, and logs in again when that is
 * refused or expired. One renewal at a time, whatever the number of callers.
 */
import {
  AuthenticationDetails,
  CognitoIdToken,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
} from 'amazon-cognito-identity-js';
import type { Logger } from 'pino';
import type { PasswordAuthConfig } from '../config/types.js';
import { AuthError } from '../errors.js';
import type { RetryPolicy } from '../retry/policy.js';
import { withRetry } from '../retry/with-retry.js';
import { cognitoCode, toAuthError } from './cognito-errors.js';
import { refuseIdpRedirects } from './idp-fetch.js';
import { MemoryStorage } from './memory-storage.js';
import { TokenCache, withTimeout } from './renewal.js';
import { useOpenSslModPow } from './srp-openssl.js';
import type { TokenProvider } from './token-provider.js';

export interface CognitoProviderOptions {
  auth: PasswordAuthConfig;
  /** Bound on one IdP call: the library's fetch has no timeout of its own. */
  timeoutMs: number;
  retry: RetryPolicy;
  log: Logger;
  now?: () => number;
}

/** The slice of the library's internal Client we call directly (see refresh()). */
interface RawClient {
  request(op: string, params: unknown, cb: (err: unknown, data: unknown) => void): void;
}

export class CognitoPasswordProvider implements TokenProvider {
  readonly stats = { logins: 0, refreshes: 0 };
  private readonly pool: CognitoUserPool;
  private readonly storage = new MemoryStorage();
  private readonly now: () => number;
  private readonly cache: TokenCache;
  private refreshToken: string | undefined;
  private readonly releaseRedirectGuard: () => void;

  constructor(private readonly opts: CognitoProviderOptions) {
    // The SRP arithmetic of a login through OpenSSL instead of the library's pure-JavaScript big integers.
    useOpenSslModPow();
    this.now = opts.now ?? Date.now;
    this.releaseRedirectGuard = refuseIdpRedirects(this.endpoint());
    this.cache = new TokenCache((signal) => this.renew(signal), this.now);
    this.pool = new CognitoUserPool({
      UserPoolId: opts.auth.userPoolId,
      ClientId: opts.auth.appClientId,
      Storage: this.storage,
      ...(opts.auth.endpoint ? { endpoint: opts.auth.endpoint } : {}),
    });
  }

  getToken(signal?: AbortSignal): Promise<string> {
    return this.cache.get(signal);
  }

  invalidate(token: string): void {
    this.cache.invalidate(token);
  }

  close(): Promise<void> {
    this.releaseRedirectGuard();
    return Promise.resolve();
  }

  private endpoint(): string {
    return this.opts.auth.endpoint ?? `https://cognito-idp.${this.opts.auth.region}.amazonaws.com/`;
  }

  private async renew(signal: AbortSignal | undefined): Promise<string> {
    if (this.refreshToken) {
      try {
        return await this.refresh(this.refreshToken, signal);
      } catch (err) {
        // An expired or revoked refresh token is routine (it lives 1 h): log in again.
        this.opts.log.debug({ code: cognitoCode(err) }, 'token refresh refused, logging in again');
      }
    }
    return this.login(signal);
  }

  private login(signal: AbortSignal | undefined): Promise<string> {
    return withRetry(
      async () => {
        const session = await this.timed(
          new Promise<CognitoUserSession>((resolve, reject) => {
            const user = new CognitoUser({ Username: this.opts.auth.username, Pool: this.pool, Storage: this.storage });
            user.setAuthenticationFlowType(this.opts.auth.flow);
            const details = new AuthenticationDetails({
              Username: this.opts.auth.username,
              Password: this.opts.auth.password,
            });
            const unsupported = (step: string) => () =>
              reject(
                new AuthError(
                  'AUTH_CHALLENGE_UNSUPPORTED',
                  `login of "${this.opts.auth.username}" needs an interactive step (${step}); a service account must have a permanent password and no MFA: finish the setup in SpeakUp once`,
                ),
              );
            user.authenticateUser(details, {
              onSuccess: resolve,
              onFailure: (err: unknown) => reject(this.toError(err)),
              newPasswordRequired: unsupported('new password required'),
              mfaRequired: unsupported('MFA code'),
              totpRequired: unsupported('TOTP code'),
              selectMFAType: unsupported('MFA selection'),
              mfaSetup: unsupported('MFA setup'),
              customChallenge: unsupported('custom challenge'),
            });
          }),
        );
        this.stats.logins++;
        return this.keep(session.getIdToken().getJwtToken(), session.getRefreshToken().getToken());
      },
      this.opts.retry,
      {
        signal,
        retryable: (err) => err instanceof AuthError && err.retryable,
        onRetry: (err, attempt) =>
          this.opts.log.warn({ attempt, code: (err as AuthError).code }, 'login failed, retrying'),
      },
    );
  }

  /**
   * REFRESH_TOKEN_AUTH through the library's own client. Not CognitoUser.refreshSession: that retries every
   * error silently for seconds, which would delay the re-login after a routine expiry.
   */
  private refresh(refreshToken: string, signal: AbortSignal | undefined): Promise<string> {
    const client = (this.pool as unknown as { client: RawClient }).client;
    return withRetry(
      async () => {
        const data = await this.timed(
          new Promise<unknown>((resolve, reject) =>
            client.request(
              'InitiateAuth',
              {
                ClientId: this.opts.auth.appClientId,
                AuthFlow: 'REFRESH_TOKEN_AUTH',
                AuthParameters: { REFRESH_TOKEN: refreshToken },
              },
              (err, res) => (err ? reject(this.toError(err)) : resolve(res)),
            ),
          ),
        );
        const result = (data as { AuthenticationResult?: { IdToken?: string; RefreshToken?: string } })
          .AuthenticationResult;
        if (!result?.IdToken) throw new AuthError('AUTH_FAILED', 'token refresh answered without an ID token');
        this.stats.refreshes++;
        return this.keep(result.IdToken, result.RefreshToken ?? refreshToken);
      },
      this.opts.retry,
      { signal, retryable: (err) => err instanceof AuthError && err.retryable },
    );
  }

  /** Store tokens; the renewal time comes from the token's own lifetime measured on the local clock (immune to clock skew). */
  private keep(idToken: string, refreshToken: string): string {
    const decoded = new CognitoIdToken({ IdToken: idToken });
    this.refreshToken = refreshToken;
    return this.cache.set(idToken, (decoded.getExpiration() - decoded.getIssuedAt()) * 1000);
  }

  private toError(err: unknown): AuthError {
    const endpoint = this.endpoint();
    return toAuthError(err, {
      username: this.opts.auth.username,
      userPoolId: this.opts.auth.userPoolId,
      endpointHost: new URL(endpoint).host,
    });
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    return withTimeout(p, this.opts.timeoutMs, () => this.toError({ code: 'NetworkError' }));
  }
}
