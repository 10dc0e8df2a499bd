/**
 * The server half of Cognito's SRP-6a, byte for byte what amazon-cognito-identity-js's
 * AuthenticationHelper computes on the client (lib/AuthenticationHelper.js): 3072-bit group of RFC 5054,
 * g = 2, k = H(padHex(N) | padHex(g)), u = H(padHex(A) | padHex(B)),
 * x = H(padHex(salt) | hex(H(poolName + username + ":" + password))), key = HKDF(S, salt = u, "Caldera Derived Key").
 *
 * Modular exponentiation goes through OpenSSL (node:crypto Diffie-Hellman objects): ~0.6 ms for a
 * 256-bit exponent against ~4 ms in pure BigInt, so a whole server-side login costs ~2 ms.
 */
import { createDiffieHellman, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';

/** The SRP group modulus N (RFC 5054 3072-bit group). */
export const N = BigInt(`0x${N_HEX}`);
const N_BYTES = Buffer.from(N_HEX, 'hex');
const G = 2n;
/** Longest SRP_A we accept, in hex digits: N plus a sign byte; longer values are refused before any math. */
export const MAX_SRP_A_HEX = N_HEX.length + 2;

/**
 * Hex of a non-negative integer as the library's padHex writes it: even length, plus a "00" sign byte
 * when the top bit is set (Java BigInteger.toByteArray compatible). Negative values never occur server-side.
 */
export function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

/** SHA-256 of the bytes a hex string denotes, as 64 hex digits (the library's hexHash). */
export function hexHash(hex: string): string {
  return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
}

const K = BigInt(`0x${hexHash(padHex(N) + padHex(G))}`);

/** base^exp mod N through OpenSSL; falls back to BigInt for the trivial bases OpenSSL refuses as DH keys. */
export function modPowN(base: bigint, exp: bigint): bigint {
  const b = ((base % N) + N) % N;
  if (exp === 0n) return 1n;
  if (b <= 1n || b >= N - 1n) return bigintModPow(b, exp);
  const dh = createDiffieHellman(N_BYTES, Buffer.from([2]));
  dh.setPrivateKey(toBytes(exp));
  // computeSecret(y) = y^private mod p: the same exponentiation, without the DH meaning.
  return fromBytes(dh.computeSecret(toBytes(b)));
}

/** g^exp mod N. */
function powG(exp: bigint): bigint {
  const dh = createDiffieHellman(N_BYTES, Buffer.from([2]));
  dh.setPrivateKey(toBytes(exp));
  return fromBytes(dh.generateKeys());
}

/** What the pool stores per user instead of the password. */
export interface SrpVerifier {
  /** Salt as the hex string sent in ChallengeParameters.SALT. */
  saltHex: string;
  verifier: bigint;
}

/** x = H(padHex(salt) | H(poolName + username + ":" + password)), the library's getPasswordAuthenticationKey. */
function passwordExponent(poolName: string, username: string, password: string, saltHex: string): bigint {
  const inner = createHash('sha256').update(`${poolName}${username}:${password}`, 'utf8').digest('hex');
  return BigInt(`0x${hexHash(padHex(BigInt(`0x${saltHex}`)) + inner)}`);
}

/** Creates a random salt and the verifier v = g^x for a user, at user creation time. */
export function createVerifier(poolName: string, username: string, password: string): SrpVerifier {
  const saltHex = randomBytes(16).toString('hex');
  return { saltHex, verifier: powG(passwordExponent(poolName, username, password, saltHex)) };
}

/** Whether `password` matches a stored verifier (for USER_PASSWORD_AUTH; costs one exponentiation). */
export function passwordMatches(poolName: string, username: string, password: string, stored: SrpVerifier): boolean {
  return powG(passwordExponent(poolName, username, password, stored.saltHex)) === stored.verifier;
}

/** The server's ephemeral values for one login. */
export interface ServerEphemeral {
  /** Secret b (never leaves the server except sealed in SECRET_BLOCK). */
  b: bigint;
  /** Public B = k*v + g^b mod N, sent as SRP_B. */
  B: bigint;
}

/** Picks b and computes B for a user's verifier; retries in the (negligible) case B mod N = 0. */
export function createServerEphemeral(verifier: bigint): ServerEphemeral {
  for (;;) {
    const b = fromBytes(randomBytes(32));
    const B = (K * verifier + powG(b)) % N;
    if (B !== 0n && b !== 0n) return { b, B };
  }
}

/** u = H(padHex(A) | padHex(B)); the login must be refused when it is 0. */
export function scramble(A: bigint, B: bigint): bigint {
  return BigInt(`0x${hexHash(padHex(A) + padHex(B))}`);
}

/**
 * The 16-byte key both sides derive: S = (A * v^u)^b mod N, then the library's one-block HKDF
 * (PRK = HMAC(padHex(u), padHex(S)); OKM = HMAC(PRK, "Caldera Derived Key" | 0x01)[0..16)).
 */
export function serverSessionKey(A: bigint, verifier: bigint, u: bigint, b: bigint): Buffer {
  const S = modPowN((A * modPowN(verifier, u)) % N, b);
  const prk = createHmac('sha256', Buffer.from(padHex(u), 'hex'))
    .update(Buffer.from(padHex(S), 'hex'))
    .digest();
  return createHmac('sha256', prk).update(Buffer.from('Caldera Derived Key\u0001', 'utf8')).digest().subarray(0, 16);
}

/** Checks PASSWORD_CLAIM_SIGNATURE = base64(HMAC(key, poolName | userId | SECRET_BLOCK bytes | TIMESTAMP)). */
export function signatureMatches(
  key: Buffer,
  parts: { poolName: string; userId: string; secretBlock: string; timestamp: string },
  signatureB64: string,
): boolean {
  const expected = createHmac('sha256', key)
    .update(Buffer.from(parts.poolName, 'utf8'))
    .update(Buffer.from(parts.userId, 'utf8'))
    .update(Buffer.from(parts.secretBlock, 'base64'))
    .update(Buffer.from(parts.timestamp, 'utf8'))
    .digest();
  const given = Buffer.from(signatureB64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Parses an unsigned hex string (SRP_A); undefined when it is not one. */
export function parseHex(hex: string): bigint | undefined {
  return /^[0-9a-fA-F]+$/.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

function bigintModPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % N;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % N;
    b = (b * b) % N;
  }
  return result;
}

function toBytes(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

function fromBytes(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}
