import { abortedError } from '../errors.js';
import { renewMarginMs } from './token-provider.js';

/**
 * Small pieces every token provider shares: waiting on a renewal shared by many callers without losing
 * one caller's own cancellation, and bounding a library call that has no timeout of its own.
 */

/** Wait for a shared promise, but let this caller leave early on its own signal. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Why `signal` was aborted, as an Error (the reason it was given, when that is one). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : abortedError(reason);
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

/**
 * The token a provider hands out, renewed ahead of expiry. Concurrent callers share one renewal, so
 * parallel requests never trigger parallel logins; each caller can still leave on its own signal.
 */
export class TokenCache {
  private current: { value: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly renew: (signal: AbortSignal | undefined) => Promise<string>,
    private readonly now: () => number,
  ) {}

  /** The cached token while it is fresh, otherwise the (shared) renewal. */
  get(signal?: AbortSignal): Promise<string> {
    const t = this.current;
    if (t && this.now() < t.renewAt) return Promise.resolve(t.value);
    this.pending ??= this.renew(signal).finally(() => {
      this.pending = undefined;
    });
    return abortable(this.pending, signal);
  }

  /**
   * Keep `value`. Its renewal time is measured on the local clock from `since` (when it was asked for or
   * received), so clock skew with the server does not matter; see usableLifetimeMs and renewMarginMs.
   */
  set(value: string, nominalLifetimeMs: number, since: number = this.now()): string {
    const lifetimeMs = usableLifetimeMs(nominalLifetimeMs);
    this.current = { value, renewAt: since + lifetimeMs - renewMarginMs(lifetimeMs) };
    return value;
  }

  /** The server refused `token`: renew on the next get, unless a newer token is already in use. */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current.renewAt = 0;
  }

  /** A renewal in flight, if any (to wait for it before closing). */
  get renewing(): Promise<string> | undefined {
    return this.pending;
  }

  clear(): void {
    this.current = undefined;
  }
}
