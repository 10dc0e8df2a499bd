/** The SRP arithmetic handed to OpenSSL gives jsbn's answers, and the library's login helper uses it. */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openSslModPow, srpLibrary, useOpenSslModPow } from '../../src/auth/srp-openssl.js';

const { BigInteger, jsbnModPow } = srpLibrary();
type Big = InstanceType<typeof BigInteger>;
const big = (n: bigint): Big => new BigInteger(n.toString(16), 16);
const random = (bytes: number): bigint => BigInt(`0x${randomBytes(bytes).toString('hex')}`);
const jsbn = (base: Big, e: Big, m: Big): string => jsbnModPow.call(base, e, m, () => undefined).toString(16);
// The 3072-bit SRP group the library logs in with, from its own login helper.
const { AuthenticationHelper } = createRequire(import.meta.url)('amazon-cognito-identity-js') as {
  AuthenticationHelper: new (pool: string) => { N: Big };
};
const N = new AuthenticationHelper('pool').N;
const n = BigInt(`0x${N.toString(16)}`);

describe('openSslModPow', () => {
  it("equals jsbn's modPow for the exponents a login uses, and for negative and oversized bases", () => {
    const cases: [bigint, bigint][] = [
      [2n, random(128)],
      [random(384), random(32)],
      [random(300), random(160)],
      [random(384) - 3n * n, random(128)],
      [n + random(100), random(64)],
    ];
    for (const [base, e] of cases) {
      expect(openSslModPow(BigInteger, big(base), big(e), N)?.toString(16)).toBe(jsbn(big(base), big(e), N));
    }
  });

  it('leaves to jsbn what OpenSSL refuses or does not apply to: trivial bases, small or even moduli, a zero exponent', () => {
    const e = big(random(32));
    expect(openSslModPow(BigInteger, big(1n), e, N)).toBeUndefined();
    expect(openSslModPow(BigInteger, big(n - 1n), e, N)).toBeUndefined();
    expect(openSslModPow(BigInteger, big(0n), e, N)).toBeUndefined();
    expect(openSslModPow(BigInteger, big(2n), big(0n), N)).toBeUndefined();
    expect(openSslModPow(BigInteger, big(2n), e, big(0xfffffffbn))).toBeUndefined();
    expect(openSslModPow(BigInteger, big(2n), e, big(n + 1n))).toBeUndefined();
  });
});

describe('useOpenSslModPow', () => {
  it("replaces the library's modPow once, keeping jsbn's answers, the trivial bases included", () => {
    useOpenSslModPow();
    const replaced = BigInteger.prototype.modPow;
    expect(replaced).not.toBe(jsbnModPow);
    useOpenSslModPow();
    expect(BigInteger.prototype.modPow).toBe(replaced);
    const e = big(random(128));
    for (const base of [2n, 1n, n - 1n, random(200)]) {
      let viaCallback: string | undefined;
      const returned = big(base).modPow(e, N, (_err, r) => (viaCallback = r.toString(16)));
      expect(returned.toString(16)).toBe(jsbn(big(base), e, N));
      expect(viaCallback).toBe(returned.toString(16));
    }
  });
});
