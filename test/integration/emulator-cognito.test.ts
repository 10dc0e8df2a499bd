/**
 * The Cognito emulator against the real amazon-cognito-identity-js over real HTTP on 127.0.0.1:
 * SRP and password logins, the library's error codes, refresh, faults, OAuth2 and Amplify v6's
 * GetTokensFromRefreshToken. Token verification without HTTP is in test/unit/emulator-jwt.test.ts.
 */
import {
  AuthenticationDetails,
  type CognitoRefreshToken,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type ICognitoStorage,
} from 'amazon-cognito-identity-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCognitoEmulator } from '../../src/emulator/cognito/index.js';
import { N } from '../../src/emulator/cognito/srp.js';
import type { CognitoEmulator } from '../../src/emulator/cognito/types.js';
import { serveHandler, type ServedHandler } from '../helpers/serve-handler.js';

const POOL_ID = 'eu-west-1_Emu1ator';
const CLIENT_ID = 'emu-app-client';
const ALICE = { username: 'alice', password: 'Corr3ct-Horse!' };

let clockOffsetMs = 0;
let wallOffsetMs = 0;
let emulator: CognitoEmulator;
let server: ServedHandler;

beforeAll(async () => {
  emulator = createCognitoEmulator({
    userPoolId: POOL_ID,
    appClientId: CLIENT_ID,
    users: [
      { ...ALICE, email: 'alice@example.com' },
      { username: 'bob', password: 'B0b-password!', confirmed: false },
    ],
    oauthClients: [
      { clientId: 'integ', clientSecret: 's3cret/+=:x', scopes: ['speakup/issues.read', 'speakup/issues.write'] },
      { clientId: 'no-cc', clientSecret: 'other', allowClientCredentials: false },
    ],
    now: () => Date.now() + clockOffsetMs,
    wallClock: () => Date.now() + wallOffsetMs,
  });
  server = await serveHandler((req) => emulator.handle(req));
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  clockOffsetMs = 0;
  wallOffsetMs = 0;
  Object.assign(emulator.knobs, { throttleNext: 0, unavailable: false, latencyMs: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A private storage per test, so nothing leaks through the library's module-global MemoryStorage. */
function memoryStorage(): ICognitoStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
    clear: () => items.clear(),
  };
}

function newUser(username: string, clientId = CLIENT_ID): CognitoUser {
  const Storage = memoryStorage();
  const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: clientId, endpoint: server.url, Storage });
  return new CognitoUser({ Username: username, Pool: pool, Storage });
}

/** Logs in with the real library; rejects with the library's error object. */
function login(user: CognitoUser, password: string, flow?: 'USER_PASSWORD_AUTH'): Promise<CognitoUserSession> {
  if (flow) user.setAuthenticationFlowType(flow);
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: user.getUsername(), Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
    });
  });
}

function refresh(user: CognitoUser, token: CognitoRefreshToken): Promise<CognitoUserSession> {
  return new Promise((resolve, reject) =>
    user.refreshSession(token, (err: unknown, s: CognitoUserSession) =>
      err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(s),
    ),
  );
}

/** What the library's error looks like to a caller. */
async function failure(p: Promise<unknown>): Promise<{ code: unknown; name: unknown; message: unknown }> {
  const err: unknown = await p.then(
    () => new Error('expected a failure, got success'),
    (e: unknown) => e,
  );
  const { code, name, message } = err as Record<string, unknown>;
  return { code, name, message };
}

/** A raw AWS JSON 1.1 call, as Amplify v6 or any SDK makes it. */
async function amz(
  operation: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; errorType: string | null }> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
    errorType: res.headers.get('x-amzn-errortype'),
  };
}

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('logins with amazon-cognito-identity-js', () => {
  it('logs in by SRP and gets Cognito-shaped tokens, with a few ms of server work', async () => {
    const before = emulator.counters.operations['RespondToAuthChallenge'] ?? 0;
    const session = await login(newUser('alice'), ALICE.password);
    expect(session.isValid()).toBe(true);
    const id = payload(session.getIdToken().getJwtToken());
    expect(id).toMatchObject({
      iss: `https://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}`,
      aud: CLIENT_ID,
      token_use: 'id',
      'cognito:username': 'alice',
      email: 'alice@example.com',
      email_verified: true,
    });
    expect(Number(id['exp']) - Number(id['iat'])).toBe(600);
    const access = payload(session.getAccessToken().getJwtToken());
    expect(access).toMatchObject({
      client_id: CLIENT_ID,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username: 'alice',
      sub: id['sub'],
    });
    const refreshToken = session.getRefreshToken().getToken();
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    expect(emulator.verifyToken(session.getIdToken().getJwtToken()).ok).toBe(true);
    expect(emulator.verifyToken(session.getAccessToken().getJwtToken()).ok).toBe(true);
    expect(emulator.issuedSecrets()).toEqual(
      expect.arrayContaining([refreshToken, session.getIdToken().getJwtToken()]),
    );
    expect(emulator.counters.operations['RespondToAuthChallenge']).toBe(before + 1);
  });

  it('logs in with USER_PASSWORD_AUTH', async () => {
    const before = emulator.counters.operations['InitiateAuth:USER_PASSWORD_AUTH'] ?? 0;
    const session = await login(newUser('alice'), ALICE.password, 'USER_PASSWORD_AUTH');
    expect(payload(session.getAccessToken().getJwtToken())['username']).toBe('alice');
    expect(emulator.counters.operations['InitiateAuth:USER_PASSWORD_AUTH']).toBe(before + 1);
  });

  it('refuses USER_PASSWORD_AUTH when the app client does not allow it', async () => {
    const strict = createCognitoEmulator({
      userPoolId: POOL_ID,
      appClientId: CLIENT_ID,
      allowUserPasswordAuth: false,
      users: [ALICE],
    });
    const served = await serveHandler(strict.handle);
    try {
      const pool = new CognitoUserPool({
        UserPoolId: POOL_ID,
        ClientId: CLIENT_ID,
        endpoint: served.url,
        Storage: memoryStorage(),
      });
      const user = new CognitoUser({ Username: 'alice', Pool: pool, Storage: memoryStorage() });
      expect(await failure(login(user, ALICE.password, 'USER_PASSWORD_AUTH'))).toEqual({
        code: 'InvalidParameterException',
        name: 'InvalidParameterException',
        message: 'USER_PASSWORD_AUTH flow not enabled for this client',
      });
    } finally {
      await served.close();
    }
  });

  it.each([
    ['SRP', undefined],
    ['USER_PASSWORD_AUTH', 'USER_PASSWORD_AUTH' as const],
  ])('a wrong password fails with NotAuthorizedException (%s)', async (_, flow) => {
    expect(await failure(login(newUser('alice'), 'wrong', flow))).toEqual({
      code: 'NotAuthorizedException',
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  it('an unknown user fails with UserNotFoundException', async () => {
    expect(await failure(login(newUser('mallory'), 'x'))).toMatchObject({
      code: 'UserNotFoundException',
      message: 'User does not exist.',
    });
  });

  it('an unconfirmed user fails with UserNotConfirmedException, but only with the right password by SRP', async () => {
    expect(await failure(login(newUser('bob'), 'B0b-password!'))).toMatchObject({
      code: 'UserNotConfirmedException',
      message: 'User is not confirmed.',
    });
    expect(await failure(login(newUser('bob'), 'wrong'))).toMatchObject({ code: 'NotAuthorizedException' });
    expect(await failure(login(newUser('bob'), 'wrong', 'USER_PASSWORD_AUTH'))).toMatchObject({
      code: 'UserNotConfirmedException',
    });
  });

  it('an unknown app client fails with ResourceNotFoundException', async () => {
    expect(await failure(login(newUser('alice', 'nope'), ALICE.password))).toMatchObject({
      code: 'ResourceNotFoundException',
      message: 'User pool client nope does not exist.',
    });
  });

  it('refuses an SRP proof whose TIMESTAMP is too far from the clock', async () => {
    wallOffsetMs = 10 * 60_000;
    expect(await failure(login(newUser('alice'), ALICE.password))).toMatchObject({ code: 'NotAuthorizedException' });
  });
});

describe('refresh', () => {
  it('refreshSession returns new ID and access tokens and keeps the refresh token', async () => {
    const user = newUser('alice');
    const first = await login(user, ALICE.password);
    const before = emulator.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH'] ?? 0;
    const second = await refresh(user, first.getRefreshToken());
    expect(second.getIdToken().getJwtToken()).not.toBe(first.getIdToken().getJwtToken());
    expect(second.getAccessToken().getJwtToken()).not.toBe(first.getAccessToken().getJwtToken());
    expect(second.getRefreshToken().getToken()).toBe(first.getRefreshToken().getToken());
    expect(payload(second.getIdToken().getJwtToken())['origin_jti']).toBe(
      payload(first.getIdToken().getJwtToken())['origin_jti'],
    );
    expect(emulator.verifyToken(second.getIdToken().getJwtToken()).ok).toBe(true);
    expect(emulator.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH']).toBe(before + 1);
  });

  it('an expired refresh token fails with NotAuthorizedException after the library retried 6 times; SRP login still works', async () => {
    const user = newUser('alice');
    const session = await login(user, ALICE.password);
    clockOffsetMs = 3601_000;
    const before = emulator.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH'] ?? 0;
    // requestWithRetry (lib/Client.js) retries every error with 200..3200 ms sleeps; fake only setTimeout
    // and fire those sleeps early, so the real HTTP exchanges still happen but the test takes no 6.5 s.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = failure(refresh(user, session.getRefreshToken()));
    let settled = false;
    void pending.finally(() => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersToNextTimer();
    }
    vi.useRealTimers();
    expect(await pending).toMatchObject({ code: 'NotAuthorizedException', message: 'Refresh Token has expired' });
    expect(emulator.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH']).toBe(before + 6);
    // The injected clock moved, the machine's did not: the library's TIMESTAMP must still be accepted.
    expect((await login(newUser('alice'), ALICE.password)).isValid()).toBe(true);
  });

  it('GetTokensFromRefreshToken (Amplify v6) returns ID and access tokens only; a revoked token is invalid', async () => {
    const { refreshToken } = emulator.mintTokens('alice');
    const ok = await amz('GetTokensFromRefreshToken', { ClientId: CLIENT_ID, RefreshToken: refreshToken });
    expect(ok.status).toBe(200);
    const result = ok.json['AuthenticationResult'] as Record<string, unknown>;
    expect(result).toMatchObject({ ExpiresIn: 600, TokenType: 'Bearer' });
    expect(result).not.toHaveProperty('RefreshToken');
    expect(emulator.verifyToken(String(result['IdToken']))).toMatchObject({
      ok: true,
      claims: { 'cognito:username': 'alice' },
    });
    expect(payload(String(result['AccessToken']))['token_use']).toBe('access');

    emulator.revokeRefreshTokens();
    const revoked = await amz('GetTokensFromRefreshToken', { ClientId: CLIENT_ID, RefreshToken: refreshToken });
    expect(revoked).toEqual({
      status: 400,
      json: { __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' },
      errorType: 'NotAuthorizedException:',
    });
    const unknown = await amz('InitiateAuth', {
      ClientId: CLIENT_ID,
      AuthFlow: 'REFRESH_TOKEN',
      AuthParameters: { REFRESH_TOKEN: 'nope' },
    });
    expect(unknown.json).toEqual({ __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' });
  });
});

describe('protocol edges and knobs', () => {
  it('answers UnknownOperationException, and refuses SRP_A = 0 mod N', async () => {
    expect((await amz('SignUp', {})).json['__type']).toBe('UnknownOperationException');
    expect((await amz('constructor', {})).json['__type']).toBe('UnknownOperationException');
    const srp = (A: string) =>
      amz('InitiateAuth', {
        ClientId: CLIENT_ID,
        AuthFlow: 'USER_SRP_AUTH',
        AuthParameters: { USERNAME: 'alice', SRP_A: A },
      });
    expect((await srp('00')).json['__type']).toBe('InvalidParameterException');
    expect((await srp(N.toString(16))).json['__type']).toBe('InvalidParameterException');
    expect((await srp('02')).json).toMatchObject({
      ChallengeName: 'PASSWORD_VERIFIER',
      ChallengeParameters: { USER_ID_FOR_SRP: 'alice', USERNAME: 'alice' },
    });
  });

  it('refuses a tampered SECRET_BLOCK as a wrong password', async () => {
    const start = await amz('InitiateAuth', {
      ClientId: CLIENT_ID,
      AuthFlow: 'USER_SRP_AUTH',
      AuthParameters: { USERNAME: 'alice', SRP_A: '02' },
    });
    const block = Buffer.from(
      String((start.json['ChallengeParameters'] as Record<string, unknown>)['SECRET_BLOCK']),
      'base64',
    );
    block[block.length - 1] = (block[block.length - 1] ?? 0) ^ 1;
    const answer = await amz('RespondToAuthChallenge', {
      ClientId: CLIENT_ID,
      ChallengeName: 'PASSWORD_VERIFIER',
      ChallengeResponses: {
        USERNAME: 'alice',
        PASSWORD_CLAIM_SECRET_BLOCK: block.toString('base64'),
        PASSWORD_CLAIM_SIGNATURE: 'AAAA',
        TIMESTAMP: 'Mon Jan 1 00:00:00 UTC 2024',
      },
    });
    expect(answer.json).toEqual({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  it('throttleNext answers TooManyRequestsException, then lets requests through', async () => {
    const before = emulator.counters.errors['TooManyRequestsException'] ?? 0;
    emulator.knobs.throttleNext = 1;
    expect(await failure(login(newUser('alice'), ALICE.password))).toMatchObject({
      code: 'TooManyRequestsException',
      message: 'Rate exceeded',
    });
    expect(emulator.counters.errors['TooManyRequestsException']).toBe(before + 1);
    expect((await login(newUser('alice'), ALICE.password)).isValid()).toBe(true);
  });

  it('unavailable resets connections: the library reports NetworkError', async () => {
    emulator.knobs.unavailable = true;
    expect(await failure(login(newUser('alice'), ALICE.password))).toEqual({
      code: 'NetworkError',
      name: 'Error',
      message: 'Network error',
    });
  });

  it('latencyMs delays answers', async () => {
    emulator.knobs.latencyMs = 120;
    const started = performance.now();
    await amz('SignUp', {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('POST /oauth2/token (client credentials)', () => {
  const basic = (id: string, secret: string): string =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  async function token(form: Record<string, string>, authorization?: string) {
    const res = await fetch(new URL('oauth2/token', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(form),
    });
    return {
      status: res.status,
      json: (await res.json()) as Record<string, unknown>,
      wwwAuthenticate: res.headers.get('www-authenticate'),
    };
  }

  it('issues a bearer token to a client authenticated by HTTP Basic, with all its scopes', async () => {
    const res = await token({ grant_type: 'client_credentials' }, basic('integ', 's3cret/+=:x'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    expect(emulator.verifyToken(String(res.json['access_token']))).toMatchObject({
      ok: true,
      claims: {
        token_use: 'access',
        client_id: 'integ',
        sub: 'integ',
        scope: 'speakup/issues.read speakup/issues.write',
      },
    });
  });

  it('issues a token to a client authenticated in the body, with the scope it asked for', async () => {
    const res = await token({
      grant_type: 'client_credentials',
      client_id: 'integ',
      client_secret: 's3cret/+=:x',
      scope: 'speakup/issues.read',
    });
    expect(res.status).toBe(200);
    expect(payload(String(res.json['access_token']))['scope']).toBe('speakup/issues.read');
  });

  it('answers the RFC 6749 errors', async () => {
    expect(await token({ grant_type: 'client_credentials' }, basic('integ', 'wrong'))).toEqual({
      status: 401,
      json: { error: 'invalid_client', error_description: 'client authentication failed' },
      wwwAuthenticate: expect.stringMatching(/^Basic /) as unknown,
    });
    expect(await token({ grant_type: 'client_credentials', client_id: 'integ', client_secret: 'wrong' })).toMatchObject(
      {
        status: 401,
        json: { error: 'invalid_client' },
        wwwAuthenticate: null,
      },
    );
    const auth = basic('integ', 's3cret/+=:x');
    expect(await token({ grant_type: 'client_credentials', scope: 'speakup/admin' }, auth)).toMatchObject({
      status: 400,
      json: { error: 'invalid_scope' },
    });
    expect(await token({ grant_type: 'password' }, auth)).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
    expect(await token({}, auth)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await token({ grant_type: 'client_credentials' }, basic('no-cc', 'other'))).toMatchObject({
      status: 400,
      json: { error: 'unauthorized_client' },
    });
    emulator.knobs.throttleNext = 1;
    expect((await token({ grant_type: 'client_credentials' }, auth)).status).toBe(429);
    expect((await token({ grant_type: 'client_credentials' }, auth)).status).toBe(200);
  });
});
