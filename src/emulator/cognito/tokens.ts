/**
 * Token issuing and checking for the emulated user pool: RS256 ID/access JWTs with Cognito's claims,
 * opaque refresh tokens kept server-side with their expiry, OAuth2 client-credentials access tokens,
 * revocation, and the list of every secret handed out (tests scan logs and databases for them).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { generateJwtKeyPair, signJwt, verifyJwt, type JwtKeyPair } from '../jwt.js';
import type { TokenCheck } from '../types.js';
import { IDP_MESSAGES, IdpError } from './errors.js';

/** Token lifetimes, seconds. */
export interface TokenTtls {
  idTokenTtlSec: number;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  oauthTokenTtlSec: number;
}

/** The user facts that go into tokens. */
export interface TokenSubject {
  username: string;
  sub: string;
  email?: string | undefined;
}

/** Cognito's AuthenticationResult; RefreshToken only on a login, never on a refresh (no rotation). */
export interface AuthenticationResult {
  AccessToken: string;
  ExpiresIn: number;
  IdToken: string;
  RefreshToken?: string;
  TokenType: 'Bearer';
}

/** Server-side state of one refresh token. */
interface RefreshRecord {
  username: string;
  clientId: string;
  expiresAtMs: number;
  /** auth_time, origin_jti and event_id stay those of the login across refreshes, as in Cognito. */
  authTime: number;
  originJti: string;
  eventId: string;
  revoked: boolean;
}

/** Construction inputs of a {@link TokenService}. */
export interface TokenServiceOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>` */
  issuer: string;
  now: () => number;
  ttls: TokenTtls;
}

// Verified signatures are remembered so a benchmark's thousands of API calls with one token cost a map
// lookup, not an RSA verification each; expiry and revocation are still checked on every call.
const VERIFIED_CACHE_MAX = 10_000;

/** Issues, refreshes, verifies and revokes the pool's tokens. */
export class TokenService {
  readonly key: JwtKeyPair = generateJwtKeyPair();
  private readonly opts: TokenServiceOptions;
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  /** jti of every ID/access token issued since the last revokeAccess(). */
  private liveJtis = new Set<string>();
  private readonly revokedJtis = new Set<string>();
  private readonly verified = new Map<string, Record<string, unknown>>();
  private readonly secrets: string[] = [];

  constructor(opts: TokenServiceOptions) {
    this.opts = { ...opts, ttls: { ...opts.ttls } };
  }

  /** Changes lifetimes for tokens issued from now on. */
  setTtls(ttls: Partial<TokenTtls>): void {
    for (const [name, value] of Object.entries(ttls)) {
      if (value !== undefined) this.opts.ttls[name as keyof TokenTtls] = value;
    }
  }

  /** Tokens for a fresh login by `clientId`: ID, access and a new refresh token. */
  login(user: TokenSubject, clientId: string): AuthenticationResult & { RefreshToken: string } {
    const session = { authTime: this.nowSec(), originJti: randomUUID(), eventId: randomUUID() };
    const refreshToken = randomBytes(128).toString('base64url');
    this.refreshTokens.set(refreshToken, {
      username: user.username,
      clientId,
      expiresAtMs: this.opts.now() + this.opts.ttls.refreshTokenTtlSec * 1000,
      ...session,
      revoked: false,
    });
    this.secrets.push(refreshToken);
    return { ...this.userTokens(user, clientId, session), RefreshToken: refreshToken };
  }

  /** New ID and access tokens for a refresh token; throws NotAuthorizedException like Cognito when it is unusable. */
  refresh(
    refreshToken: string,
    clientId: string,
    findUser: (username: string) => TokenSubject | undefined,
  ): AuthenticationResult {
    const record = this.refreshTokens.get(refreshToken);
    // A token issued to another app client is as good as unknown to this one.
    if (!record || record.revoked || record.clientId !== clientId)
      throw new IdpError('NotAuthorizedException', IDP_MESSAGES.refreshInvalid);
    if (this.opts.now() >= record.expiresAtMs)
      throw new IdpError('NotAuthorizedException', IDP_MESSAGES.refreshExpired);
    const user = findUser(record.username);
    if (!user) throw new IdpError('NotAuthorizedException', IDP_MESSAGES.refreshInvalid);
    return this.userTokens(user, clientId, record);
  }

  /** An OAuth2 client-credentials access token (Cognito's M2M shape: sub = client_id, version 2). */
  clientCredentials(clientId: string, scopes: readonly string[]): { accessToken: string; expiresIn: number } {
    const iat = this.nowSec();
    const expiresIn = this.opts.ttls.oauthTokenTtlSec;
    const jti = this.track(randomUUID());
    const accessToken = this.sign({
      sub: clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      auth_time: iat,
      iss: this.opts.issuer,
      exp: iat + expiresIn,
      iat,
      version: 2,
      jti,
      client_id: clientId,
    });
    return { accessToken, expiresIn };
  }

  /** Checks a bearer token: structure, signature, token_use, expiry, then revocation. */
  verify(token: string): TokenCheck {
    if (!token) return { ok: false, reason: 'missing' };
    let claims = this.verified.get(token);
    if (!claims) {
      const result = verifyJwt(token, this.key);
      if (!result.ok) return result;
      claims = result.payload;
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.set(token, claims);
    }
    const { exp, jti, token_use: use } = claims;
    if (typeof exp !== 'number' || typeof jti !== 'string') return { ok: false, reason: 'malformed' };
    if (use !== 'id' && use !== 'access') return { ok: false, reason: 'wrong-use' };
    if (this.nowSec() >= exp) return { ok: false, reason: 'expired' };
    if (this.revokedJtis.has(jti)) return { ok: false, reason: 'revoked' };
    return { ok: true, claims };
  }

  /** Every ID/access token issued so far becomes "revoked". */
  revokeAccess(): void {
    for (const jti of this.liveJtis) this.revokedJtis.add(jti);
    this.liveJtis = new Set();
  }

  /** RevokeToken: this refresh token (of this client) stops working; unknown tokens are ignored, as Cognito does. */
  revokeOne(refreshToken: string, clientId: string): void {
    const record = this.refreshTokens.get(refreshToken);
    if (record && record.clientId === clientId) record.revoked = true;
  }

  /** Every refresh token issued so far becomes invalid. */
  revokeRefresh(): void {
    for (const record of this.refreshTokens.values()) record.revoked = true;
  }

  /** Every token string ever issued. */
  issuedSecrets(): string[] {
    return [...this.secrets];
  }

  private userTokens(
    user: TokenSubject,
    clientId: string,
    session: Pick<RefreshRecord, 'authTime' | 'originJti' | 'eventId'>,
  ): AuthenticationResult {
    const iat = this.nowSec();
    const { idTokenTtlSec, accessTokenTtlSec } = this.opts.ttls;
    const common = {
      sub: user.sub,
      iss: this.opts.issuer,
      origin_jti: session.originJti,
      event_id: session.eventId,
      auth_time: session.authTime,
    };
    const IdToken = this.sign({
      ...common,
      ...(user.email === undefined ? {} : { email: user.email, email_verified: true }),
      'cognito:username': user.username,
      aud: clientId,
      token_use: 'id',
      exp: iat + idTokenTtlSec,
      iat,
      jti: this.track(randomUUID()),
    });
    const AccessToken = this.sign({
      ...common,
      client_id: clientId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      exp: iat + accessTokenTtlSec,
      iat,
      jti: this.track(randomUUID()),
      username: user.username,
    });
    // ExpiresIn describes the access token, as in Cognito.
    return { AccessToken, ExpiresIn: accessTokenTtlSec, IdToken, TokenType: 'Bearer' };
  }

  private sign(payload: Record<string, unknown>): string {
    const token = signJwt(payload, this.key);
    this.secrets.push(token);
    return token;
  }

  private track(jti: string): string {
    this.liveJtis.add(jti);
    return jti;
  }

  private nowSec(): number {
    return Math.floor(this.opts.now() / 1000);
  }
}
