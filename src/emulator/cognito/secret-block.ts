/**
 * SECRET_BLOCK: the opaque blob Cognito hands out with the PASSWORD_VERIFIER challenge and expects back.
 * Here it is the SRP state (A, b, u, user, client, time) sealed with AES-256-GCM under a key made at
 * start, so the server keeps no per-login memory and a client cannot forge or alter it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What the server must remember between InitiateAuth and RespondToAuthChallenge. */
export interface SrpState {
  username: string;
  clientId: string;
  A: bigint;
  b: bigint;
  u: bigint;
  issuedAtMs: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens SECRET_BLOCKs with one random key. */
export class SecretBlockSealer {
  private readonly key = randomBytes(32);

  /** Encrypts the state; the result is standard base64, which the library decodes with Buffer.from(.., 'base64'). */
  seal(state: SrpState): string {
    const plain = JSON.stringify({
      n: state.username,
      c: state.clientId,
      A: state.A.toString(16),
      b: state.b.toString(16),
      u: state.u.toString(16),
      t: state.issuedAtMs,
    });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Decrypts a block; undefined when it was not sealed by this sealer or was altered. */
  open(block: string): SrpState | undefined {
    const raw = Buffer.from(block, 'base64');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    let plain: string;
    try {
      plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined; // authentication tag mismatch: forged or altered
    }
    const s = JSON.parse(plain) as { n: string; c: string; A: string; b: string; u: string; t: number };
    return {
      username: s.n,
      clientId: s.c,
      A: BigInt(`0x${s.A}`),
      b: BigInt(`0x${s.b}`),
      u: BigInt(`0x${s.u}`),
      issuedAtMs: s.t,
    };
  }
}
