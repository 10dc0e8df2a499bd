/**
 * The emulated Cognito user pool: the AWS JSON 1.1 endpoint (`POST /`) that amazon-cognito-identity-js
 * talks to when its pool has `endpoint` set, the OAuth2 token endpoint of App Integrations, the JWKS,
 * fault knobs and counters. Everything is synchronous and in memory; `server.ts` puts it on node:http.
 */
import type { EmuHandler, EmuOAuthClient, EmuRequest, EmuResponse, EmuUser } from '../types.js';
import { toJwks } from '../jwt.js';
import { IDP_MESSAGES, IdpError, idpErrorResponse, idpJsonResponse } from './errors.js';
import {
  getTokensFromRefreshToken,
  revokeToken,
  initiateAuth,
  respondToAuthChallenge,
  type FlowContext,
} from './flows.js';
import { handleTokenRequest, throttledTokenResponse } from './oauth.js';
import { SecretBlockSealer } from './secret-block.js';
import { TokenService } from './tokens.js';
import type { CognitoEmulator, CognitoEmulatorOptions, CognitoKnobs } from './types.js';
import { toPoolUser, type PoolUser } from './users.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';

type Operation = (ctx: FlowContext, input: Record<string, unknown>) => Record<string, unknown>;

/**
 * Operations implemented; all of them are "auth operations" that throttleNext applies to. A Map, not an
 * object literal: "constructor" or "__proto__" in X-Amz-Target must not reach Object.prototype.
 */
const OPERATIONS = new Map<string, Operation>([
  ['InitiateAuth', initiateAuth],
  ['RespondToAuthChallenge', respondToAuthChallenge],
  ['GetTokensFromRefreshToken', getTokensFromRefreshToken],
  ['RevokeToken', revokeToken],
]);

/** Creates an emulated user pool with one app client, its users and its App Integrations. */
export function createCognitoEmulator(opts: CognitoEmulatorOptions): CognitoEmulator {
  // The same check amazon-cognito-identity-js applies in CognitoUserPool's constructor.
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(opts.userPoolId))
    throw new Error(`invalid userPoolId "${opts.userPoolId}": expected <region>_<id>`);
  const [region, poolName] = opts.userPoolId.split('_') as [string, string];
  const now = opts.now ?? Date.now;
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${opts.userPoolId}`;
  const tokens = new TokenService({
    issuer,
    now,
    ttls: {
      idTokenTtlSec: opts.idTokenTtlSec ?? 600,
      accessTokenTtlSec: opts.accessTokenTtlSec ?? 600,
      refreshTokenTtlSec: opts.refreshTokenTtlSec ?? 3600,
      oauthTokenTtlSec: opts.oauthTokenTtlSec ?? 3600,
    },
  });
  const users = new Map<string, PoolUser>();
  const addUser = (user: EmuUser): void => void users.set(user.username, toPoolUser(poolName, user));
  opts.users.forEach(addUser);
  const oauthClients = new Map<string, EmuOAuthClient>((opts.oauthClients ?? []).map((c) => [c.clientId, c]));

  const ctx: FlowContext = {
    poolName,
    appClientId: opts.appClientId,
    allowUserPasswordAuth: opts.allowUserPasswordAuth ?? true,
    users,
    tokens,
    sealer: new SecretBlockSealer(),
    now,
    wallClock: opts.wallClock ?? Date.now,
    srpTimestampSkewMs: (opts.srpTimestampSkewSec ?? 300) * 1000,
  };
  const knobs: CognitoKnobs = { throttleNext: 0, unavailable: false, latencyMs: 0 };
  // Prototype-less: the keys come from request headers and bodies.
  const counters = {
    operations: Object.create(null) as Record<string, number>,
    errors: Object.create(null) as Record<string, number>,
  };
  const bump = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const takeThrottle = (): boolean => {
    if (knobs.throttleNext <= 0) return false;
    knobs.throttleNext -= 1;
    return true;
  };
  const jwksPath = `/${opts.userPoolId}/.well-known/jwks.json`;

  const refuse = (err: IdpError): EmuResponse => {
    bump(counters.errors, err.type);
    return idpErrorResponse(err.type, err.message);
  };

  /** The AWS JSON 1.1 protocol: operation from X-Amz-Target, JSON in, JSON or `{__type, message}` out. */
  const handleAmzJson = (req: EmuRequest): EmuResponse => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const opName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new TypeError('not a JSON object');
      input = parsed as Record<string, unknown>;
    } catch {
      return refuse(new IdpError('SerializationException', 'Unable to parse the request body as a JSON object'));
    }
    bump(
      counters.operations,
      opName === 'InitiateAuth' ? `InitiateAuth:${String(input['AuthFlow'])}` : opName || '(none)',
    );
    const operation = target.startsWith(TARGET_PREFIX) ? OPERATIONS.get(opName) : undefined;
    if (!operation)
      return refuse(new IdpError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`));
    if (takeThrottle()) return refuse(new IdpError('TooManyRequestsException', IDP_MESSAGES.throttled));
    try {
      return idpJsonResponse(operation(ctx, input));
    } catch (err) {
      if (err instanceof IdpError) return refuse(err);
      throw err;
    }
  };

  const handleOAuth = (req: EmuRequest): EmuResponse => {
    bump(counters.operations, 'oauth2/token');
    if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST' } };
    if (takeThrottle()) {
      bump(counters.errors, 'TooManyRequestsException');
      return throttledTokenResponse();
    }
    const outcome = handleTokenRequest({ clients: oauthClients, tokens }, req);
    if (outcome.error) bump(counters.errors, outcome.error);
    return outcome.response;
  };

  const route = (req: EmuRequest): EmuResponse => {
    if (req.path === '/' && req.method === 'POST') return handleAmzJson(req);
    if (req.path === '/oauth2/token') return handleOAuth(req);
    if (req.path === jwksPath && req.method === 'GET') {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(toJwks(tokens.key)) };
    }
    return {
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Not Found' }),
    };
  };

  const handle: EmuHandler = (req) => {
    let response: EmuResponse;
    if (knobs.redirectTo !== undefined) {
      bump(counters.errors, 'Redirected');
      response = { status: 307, headers: { location: knobs.redirectTo } };
    } else if (knobs.unavailable) {
      // Counted so tests can see how many attempts a client made against an unreachable IdP.
      bump(counters.errors, 'ConnectionReset');
      // status is moot with a fault; 503 is what an adapter that ignored `fault` should send.
      response = { status: 503, fault: 'reset' };
    } else {
      response = route(req);
    }
    return knobs.latencyMs > 0 ? { ...response, delayMs: knobs.latencyMs } : response;
  };

  return {
    handle,
    issuer,
    knobs,
    counters,
    verifyToken: (token) => tokens.verify(token),
    mintTokens: (username) => {
      const user = users.get(username);
      if (!user) throw new Error(`mintTokens: no user "${username}" in the emulated pool`);
      const result = tokens.login(user, opts.appClientId);
      return { idToken: result.IdToken, accessToken: result.AccessToken, refreshToken: result.RefreshToken };
    },
    revokeAccessTokens: () => tokens.revokeAccess(),
    revokeRefreshTokens: () => tokens.revokeRefresh(),
    issuedSecrets: () => tokens.issuedSecrets(),
    setTtls: (ttls) => tokens.setTtls(ttls),
    addUser,
    jwks: () => toJwks(tokens.key),
  };
}
