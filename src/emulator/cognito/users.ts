/**
 * The pool's users as the server keeps them: the SRP salt and verifier computed once at creation,
 * so no login (SRP or USER_PASSWORD_AUTH) ever needs the plain password again.
 */
import { createHash } from 'node:crypto';
import type { EmuUser } from '../types.js';
import { createVerifier, type SrpVerifier } from './srp.js';
import type { TokenSubject } from './tokens.js';

/** A user of the emulated pool. */
export interface PoolUser extends TokenSubject {
  confirmed: boolean;
  srp: SrpVerifier;
}

/** Builds the stored form of a configured user; `poolName` is the part of the pool id after "_". */
export function toPoolUser(poolName: string, user: EmuUser): PoolUser {
  return {
    username: user.username,
    sub: user.sub ?? subFor(user.username),
    email: user.email,
    confirmed: user.confirmed ?? true,
    srp: createVerifier(poolName, user.username, user.password),
  };
}

/** A stable UUID-shaped `sub` for a username, so restarts of the emulator keep the same subjects. */
export function subFor(username: string): string {
  const h = createHash('sha256').update(`sub:${username}`).digest('hex');
  // Version nibble 4 and variant bits 10xx make it look like the v4 UUIDs Cognito hands out.
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
