/**
 * amazon-cognito-identity-js computes SRP with a pure-JavaScript big-integer library (jsbn): the three
 * modular exponentiations of a login, over the 3072-bit SRP group, are most of the CPU time a start-up
 * spends on the main thread. This hands them to OpenSSL through node:crypto's Diffie-Hellman, which
 * computes exactly `base^exponent mod prime` (the emulator's server side does the same): the same numbers,
 * in a fraction of the time. Whatever OpenSSL refuses (a base of 0, 1 or prime − 1, a small or even
 * modulus) stays with jsbn, so every input gives jsbn's answer.
 */
import { createDiffieHellman } from 'node:crypto';
import { createRequire } from 'node:module';

/** The part of the library's jsbn BigInteger this uses. */
interface Jsbn {
  toString(radix: number): string;
  compareTo(other: Jsbn): number;
  bitLength(): number;
  mod(m: Jsbn): Jsbn;
  modPow: (this: Jsbn, e: Jsbn, m: Jsbn, callback?: (err: unknown, result: Jsbn) => void) => Jsbn;
}
interface JsbnClass {
  new (value: string, radix: number): Jsbn;
  prototype: Jsbn;
  ZERO: Jsbn;
}

// The library is CommonJS: its BigInteger module, required here, is the instance its SRP helper uses.
const require = createRequire(import.meta.url);
// Marks the replacement and keeps jsbn's own function on it (a second copy of this module finds it there).
const JSBN = Symbol.for('speakup-sync.jsbnModPow');
type ModPow = Jsbn['modPow'] & { [JSBN]?: Jsbn['modPow'] };

/** The library's BigInteger class and its own (jsbn) modPow, whether or not it has been replaced. */
export function srpLibrary(): { BigInteger: JsbnClass; jsbnModPow: Jsbn['modPow'] } {
  const BigInteger = (require('amazon-cognito-identity-js/lib/BigInteger.js') as { default: JsbnClass }).default;
  const current = BigInteger.prototype.modPow as ModPow;
  return { BigInteger, jsbnModPow: current[JSBN] ?? current };
}

/** Routes the library's modPow to OpenSSL (once per process; later calls do nothing). */
export function useOpenSslModPow(): void {
  let lib: ReturnType<typeof srpLibrary>;
  try {
    lib = srpLibrary();
  } catch {
    // A release of the library laid out differently: its own arithmetic stays, slower but the same.
    return;
  }
  const { BigInteger, jsbnModPow } = lib;
  if (BigInteger.prototype.modPow !== jsbnModPow) return;
  const modPow: ModPow = function modPow(this: Jsbn, e, m, callback) {
    const result = openSslModPow(BigInteger, this, e, m);
    if (result === undefined) return jsbnModPow.call(this, e, m, callback);
    callback?.(null, result);
    return result;
  };
  modPow[JSBN] = jsbnModPow;
  BigInteger.prototype.modPow = modPow;
}

/** `base^e mod m` through OpenSSL, or undefined when it does not apply or refuses. */
export function openSslModPow(BigInteger: JsbnClass, base: Jsbn, e: Jsbn, m: Jsbn): Jsbn | undefined {
  const modulus = m.toString(16);
  if (m.bitLength() < 2048 || !/[13579bdf]$/.test(modulus) || e.compareTo(BigInteger.ZERO) <= 0) return undefined;
  try {
    const dh = createDiffieHellman(bytes(modulus), Buffer.from([2]));
    dh.setPrivateKey(bytes(e.toString(16)));
    // mod() is never negative: a negative base (the library's B − k·g^x can be) is reduced first, as jsbn does.
    const secret = dh.computeSecret(bytes(base.mod(m).toString(16)));
    return new BigInteger(secret.toString('hex'), 16);
  } catch {
    return undefined;
  }
}

const bytes = (hex: string): Buffer => Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
