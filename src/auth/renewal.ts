/**
 * Small pieces every token provider shares: waiting on a renewal shared by many callers without losing
 * one caller's own cancellation, and bounding a library call that has no timeout of its own.
 */

/** Wait for a shared promise, but let this caller leave early on its own signal. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Settle with `p`, or reject with `onTimeout()` after `ms`. The underlying call is not cancelled (the
 * libraries give us no handle to do so); its late result is ignored.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * The part of a token's nominal lifetime we can count on. JWT iat/exp and expires_in have one-second
 * resolution, so a token may have lost up to a second before it reached us; short test lifetimes keep half.
 */
export function usableLifetimeMs(nominalMs: number): number {
  const ms = Math.max(0, nominalMs);
  return Math.max(ms - 1000, ms / 2);
}
