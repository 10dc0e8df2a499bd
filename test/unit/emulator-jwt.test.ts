/** The Cognito emulator without HTTP: RS256 JWTs, token verification, the SRP TIMESTAMP, padHex. */
import { createPublicKey, generateKeyPairSync, sign, verify, type JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateJwtKeyPair, signJwt, toJwks, verifyJwt } from '../../src/emulator/jwt.js';
import { createCognitoEmulator } from '../../src/emulator/cognito/index.js';
import { padHex } from '../../src/emulator/cognito/srp.js';
import { formatSrpTimestamp, parseSrpTimestamp } from '../../src/emulator/cognito/timestamp.js';
import { TokenService } from '../../src/emulator/cognito/tokens.js';

const key = generateJwtKeyPair();

describe('jwt', () => {
  it('signs RS256 with {kid, alg} and verifies', () => {
    const token = signJwt({ sub: 'x', n: 1 }, key);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as unknown;
    expect(header).toEqual({ kid: key.kid, alg: 'RS256' });
    expect(verifyJwt(token, key)).toEqual({ ok: true, header, payload: { sub: 'x', n: 1 } });
  });

  it('refuses other keys, altered signatures and non-JWTs', () => {
    const token = signJwt({ sub: 'x' }, key);
    const other = generateJwtKeyPair();
    expect(verifyJwt(signJwt({ sub: 'x' }, { ...other, kid: key.kid }), key)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyJwt(signJwt({ sub: 'x' }, other), key)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyJwt(`${token.slice(0, -4)}AAAA`, key)).toEqual({ ok: false, reason: 'bad-signature' });
    for (const bad of ['', 'a.b', 'a.b.c', `${token}.x`, `${Buffer.from('[1]').toString('base64url')}.e30.sig`]) {
      expect(verifyJwt(bad, key)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('publishes a JWKS that verifies its tokens', () => {
    const token = signJwt({ sub: 'x' }, key);
    const [jwk] = toJwks(key).keys;
    expect(jwk).toMatchObject({ kid: key.kid, alg: 'RS256', kty: 'RSA', use: 'sig' });
    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const dot = token.lastIndexOf('.');
    expect(
      verify('sha256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url')),
    ).toBe(true);
  });
});

describe('TokenService.verify', () => {
  it('refuses a correctly signed token that is neither an ID nor an access token', () => {
    let now = 1_700_000_000_000;
    const service = new TokenService({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X',
      now: () => now,
      ttls: { idTokenTtlSec: 600, accessTokenTtlSec: 600, refreshTokenTtlSec: 3600, oauthTokenTtlSec: 3600 },
    });
    const exp = Math.floor(now / 1000) + 60;
    expect(service.verify(signJwt({ token_use: 'refresh', exp, jti: 'j' }, service.key))).toEqual({
      ok: false,
      reason: 'wrong-use',
    });
    expect(service.verify(signJwt({ token_use: 'id', jti: 'j' }, service.key))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const good = signJwt({ token_use: 'id', exp, jti: 'j' }, service.key);
    expect(service.verify(good).ok).toBe(true);
    now += 60_000; // exp is exclusive: a token is dead at its exp second
    expect(service.verify(good)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('SRP TIMESTAMP', () => {
  // The library's own output is exercised by every SRP login of the integration test.
  it('formats like the library (DateHelper.getNowString): day unpadded, time padded', () => {
    expect(formatSrpTimestamp(Date.UTC(2024, 8, 5, 7, 3, 9))).toBe('Thu Sep 5 07:03:09 UTC 2024');
    expect(formatSrpTimestamp(Date.UTC(2025, 11, 31, 23, 59, 59))).toBe('Wed Dec 31 23:59:59 UTC 2025');
  });

  it('tells unparseable from noncanonical', () => {
    expect(parseSrpTimestamp('Thu Sep 5 07:03:09 UTC 2024')).toEqual({ ms: Date.UTC(2024, 8, 5, 7, 3, 9) });
    expect(parseSrpTimestamp('Thu Sep 05 07:03:09 UTC 2024')).toBe('noncanonical');
    expect(parseSrpTimestamp('Fri Sep 5 07:03:09 UTC 2024')).toBe('noncanonical');
    expect(parseSrpTimestamp('2024-09-05T07:03:09Z')).toBe('unparseable');
    expect(parseSrpTimestamp('Thu Foo 5 07:03:09 UTC 2024')).toBe('unparseable');
  });
});

describe('padHex', () => {
  it('matches the examples of AuthenticationHelper.padHex for non-negative values', () => {
    expect(padHex(20n)).toBe('14');
    expect(padHex(236n)).toBe('00ec');
    expect(padHex(200n)).toBe('00c8');
    expect(padHex(0x1ffn)).toBe('01ff');
  });
});

describe('CognitoEmulator.verifyToken', () => {
  let clockOffsetMs = 0;
  const emulator = createCognitoEmulator({
    userPoolId: 'eu-west-1_Emu1ator',
    appClientId: 'emu-app-client',
    users: [{ username: 'alice', password: 'pw' }],
    now: () => Date.now() + clockOffsetMs,
  });
  const payload = (jwt: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

  it('accepts ID and access tokens, refuses forged, tampered, expired and revoked ones', () => {
    const { idToken, accessToken } = emulator.mintTokens('alice');
    expect(emulator.verifyToken(idToken)).toMatchObject({ ok: true, claims: { token_use: 'id' } });
    expect(emulator.verifyToken(accessToken)).toMatchObject({ ok: true, claims: { token_use: 'access' } });
    expect(emulator.verifyToken('')).toEqual({ ok: false, reason: 'missing' });
    expect(emulator.verifyToken('not.a-jwt')).toEqual({ ok: false, reason: 'malformed' });

    const [header = '', body = '', signature = ''] = idToken.split('.');
    const claims = { ...payload(idToken), 'cognito:username': 'mallory' };
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(emulator.verifyToken(tampered)).toEqual({ ok: false, reason: 'bad-signature' });
    const forgedKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = `${header}.${body}.${sign('sha256', Buffer.from(`${header}.${body}`), forgedKey).toString('base64url')}`;
    expect(emulator.verifyToken(forged)).toEqual({ ok: false, reason: 'bad-signature' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(emulator.verifyToken(none)).toEqual({ ok: false, reason: 'bad-signature' });

    clockOffsetMs = 601_000;
    expect(emulator.verifyToken(idToken)).toEqual({ ok: false, reason: 'expired' });
    clockOffsetMs = 0;
    emulator.revokeAccessTokens();
    expect(emulator.verifyToken(idToken)).toEqual({ ok: false, reason: 'revoked' });
    expect(emulator.verifyToken(accessToken)).toEqual({ ok: false, reason: 'revoked' });
    expect(emulator.verifyToken(emulator.mintTokens('alice').idToken).ok).toBe(true);
  });
});
