/**
 * Minimal RS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form) on node:crypto, no dependencies.
 * Only what the emulator needs: sign with one RSA key, verify against it, decode without trusting.
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** An RSA key pair plus the `kid` that names it in token headers and in the JWKS. */
export interface JwtKeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Result of checking a compact JWS: decoded parts, or why it is not acceptable. */
export type JwtVerifyResult =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

/** Generates a fresh 2048-bit RSA key pair; its `kid` is derived from the public key, as Cognito's are stable per key. */
export function generateJwtKeyPair(): JwtKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const kid = createHash('sha256').update(der).digest('base64');
  return { kid, privateKey, publicKey };
}

/** Base64url without padding (RFC 7515 §2). */
export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs `payload` as an RS256 compact JWS with header `{kid, alg}` (Cognito's header order). */
export function signJwt(payload: Record<string, unknown>, key: Pick<JwtKeyPair, 'kid' | 'privateKey'>): string {
  const signingInput = `${base64url(JSON.stringify({ kid: key.kid, alg: 'RS256' }))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/** Decodes a compact JWS without checking the signature; undefined when it is not one. */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p] = parts as [string, string, string];
  const header = parseJsonObject(h);
  const payload = parseJsonObject(p);
  return header && payload ? { header, payload } : undefined;
}

/** Verifies an RS256 compact JWS against one key: structure, `alg`, `kid` and signature (not claims). */
export function verifyJwt(token: string, key: Pick<JwtKeyPair, 'kid' | 'publicKey'>): JwtVerifyResult {
  const decoded = decodeJwt(token);
  if (!decoded) return { ok: false, reason: 'malformed' };
  // Pin the algorithm: accepting the header's `alg` is the classic "alg: none" / HS256-with-public-key hole.
  if (decoded.header['alg'] !== 'RS256') return { ok: false, reason: 'bad-signature' };
  if (decoded.header['kid'] !== key.kid) return { ok: false, reason: 'bad-signature' };
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const valid = verify('sha256', Buffer.from(token.slice(0, dot)), key.publicKey, signature);
  return valid ? { ok: true, ...decoded } : { ok: false, reason: 'bad-signature' };
}

/** Public keys as a JWKS document, the shape Cognito serves at `/<poolId>/.well-known/jwks.json`. */
export function toJwks(key: Pick<JwtKeyPair, 'kid' | 'publicKey'>): { keys: Record<string, unknown>[] } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { keys: [{ alg: 'RS256', e: jwk.e, kid: key.kid, kty: 'RSA', n: jwk.n, use: 'sig' }] };
}

function parseJsonObject(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
