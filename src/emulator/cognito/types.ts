import type { EmuHandler, EmuOAuthClient, EmuUser, TokenCheck } from '../types.js';

/** Options of the emulated Cognito user pool (and its OAuth2 token endpoint). */
export interface CognitoEmulatorOptions {
  /** e.g. "eu-west-1_Emu1ator"; the region is the part before "_". */
  userPoolId: string;
  /** The app client id amazon-cognito-identity-js sends as ClientId. */
  appClientId: string;
  /** Whether the app client allows USER_PASSWORD_AUTH (USER_SRP_AUTH is always allowed). Default true. */
  allowUserPasswordAuth?: boolean;
  users: EmuUser[];
  /** App Integrations for POST /oauth2/token (client credentials). */
  oauthClients?: EmuOAuthClient[];
  /** Token lifetimes in seconds. Defaults are SpeakUp's: 600 / 600 / 3600; OAuth access token 3600. */
  idTokenTtlSec?: number;
  accessTokenTtlSec?: number;
  refreshTokenTtlSec?: number;
  oauthTokenTtlSec?: number;
  /** Clock in ms since the epoch; tests may move it. Default Date.now. */
  now?: () => number;
  /**
   * Clock the SRP TIMESTAMP is checked against, default Date.now. Separate from `now` because the client
   * library stamps its proof with the machine's real clock: a test that moves `now` forward (to expire a
   * refresh token) must still be able to log in again by SRP.
   */
  wallClock?: () => number;
  /** Largest accepted difference between the SRP TIMESTAMP and `wallClock`, seconds. Default 300. */
  srpTimestampSkewSec?: number;
}

export interface IssuedTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

/** Knobs for faults on the IdP side, changeable while running. */
export interface CognitoKnobs {
  /** The next N auth operations (InitiateAuth, RespondToAuthChallenge, GetTokensFromRefreshToken, oauth2/token) answer TooManyRequestsException / HTTP 429. */
  throttleNext: number;
  /** While true, every IdP connection is reset without an answer (the IdP is unreachable). */
  unavailable: boolean;
  /** Fixed delay before each IdP answer, ms. */
  latencyMs: number;
  /** When set, every IdP request is answered 307 Temporary Redirect to this URL (a hijacked endpoint). */
  redirectTo?: string | undefined;
}

export interface CognitoEmulator {
  /** Handles `POST /` (X-Amz-Target JSON protocol) and `POST /oauth2/token`; anything else 404. */
  handle: EmuHandler;
  /** Checks a bearer token presented to the API: signature, expiry, revocation. Accepts ID, access and OAuth tokens. */
  verifyToken(token: string): TokenCheck;
  /** Issues tokens for a configured user without the SRP dance (for tests of the API side). */
  mintTokens(username: string): IssuedTokens;
  /** Every ID/access token issued so far becomes invalid ("revoked"); refresh tokens keep working. */
  revokeAccessTokens(): void;
  /** Every refresh token issued so far becomes invalid (NotAuthorizedException on use). */
  revokeRefreshTokens(): void;
  /** Every token and refresh token ever issued, for leak scans in tests. */
  issuedSecrets(): string[];
  /** Change token lifetimes for tokens issued from now on. */
  setTtls(
    ttls: Partial<
      Pick<CognitoEmulatorOptions, 'idTokenTtlSec' | 'accessTokenTtlSec' | 'refreshTokenTtlSec' | 'oauthTokenTtlSec'>
    >,
  ): void;
  addUser(user: EmuUser): void;
  knobs: CognitoKnobs;
  /** The `iss` of every token: `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuer: string;
  /** The signing key as a JWKS document (also served at `GET /<poolId>/.well-known/jwks.json`). */
  jwks(): { keys: Record<string, unknown>[] };
  /** Requests by operation ("InitiateAuth:USER_SRP_AUTH", "RespondToAuthChallenge", "oauth2/token", ...) and errors by __type. */
  counters: { operations: Record<string, number>; errors: Record<string, number> };
}
