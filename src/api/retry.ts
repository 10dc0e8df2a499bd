/**
 * Retry policy as data, executed by p-retry: exponential backoff with jitter for passing faults, bounded
 * by attempts and by elapsed time. A server-requested wait (Retry-After) is honoured exactly and does not
 * consume an attempt (p-retry 7 has no Retry-After support: we wait in onFailedAttempt, see anchors §4.2).
 */
import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, NetworkError, SyncError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up after this long, waits included. */
  maxRetryTimeMs: number;
  /** Longest server-requested wait honoured at once; longer ones are capped to this. */
  maxRetryAfterMs: number;
}

/** HTTP statuses worth another try: timeouts, throttling and server faults (RFC 9110 §15.6). */
export const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** True for faults that may pass: network errors, timeouts, RETRYABLE_STATUS and any other 5xx. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  if (err instanceof HttpError) return RETRYABLE_STATUS.has(err.status) || err.status >= 500;
  return false;
}

export interface RetryHooks {
  signal?: AbortSignal | undefined;
  /** Called before each retry (logging, counters). */
  onRetry?: (err: unknown, attempt: number) => void;
  /** A server-requested delay for this error, in ms; such a wait consumes no attempt. */
  serverWaitMs?: (err: unknown) => number | undefined;
  retryable?: (err: unknown) => boolean;
}

/** Run `fn` under `policy`. The final error is the last attempt's, noting how many attempts were made. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  // Fast path: nearly every request succeeds at once, and p-retry's bookkeeping costs ~20 µs a call
  // (measured), a tenth of a detail's whole CPU budget. p-retry takes over after a first failure, which
  // it sees as its own first attempt (replayed), so waits, counting and messages stay its.
  let first: { error: unknown } | undefined;
  try {
    return await fn(1);
  } catch (error) {
    first = { error };
  }
  return retrying((attempt) => {
    if (first) {
      const { error } = first;
      first = undefined;
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return fn(attempt);
  }, policy, hooks);
}

async function retrying<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  const retryable = hooks.retryable ?? isRetryable;
  const serverWait = (err: unknown) => {
    const ms = hooks.serverWaitMs?.(err);
    return ms === undefined ? undefined : Math.min(ms, policy.maxRetryAfterMs);
  };
  let attempts = 0;
  try {
    return await pRetry(
      (attempt) => {
        attempts = attempt;
        return fn(attempt);
      },
      {
        retries: Math.max(0, policy.maxAttempts - 1),
        factor: 2,
        minTimeout: policy.baseDelayMs,
        maxTimeout: policy.maxDelayMs,
        randomize: true,
        maxRetryTime: policy.maxRetryTimeMs,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          if (!retryable(error)) return;
          hooks.onRetry?.(error, attemptNumber);
          const wait = serverWait(error);
          if (wait !== undefined && wait > 0) await sleep(wait, undefined, hooks.signal ? { signal: hooks.signal } : {});
        },
        shouldConsumeRetry: ({ error }) => serverWait(error) === undefined,
        shouldRetry: ({ error }) => retryable(error),
      },
    );
  } catch (err) {
    if (hooks.signal?.aborted) throw new SyncError('ABORTED', 'stopped by signal', { cause: err });
    if (err instanceof SyncError && attempts > 1 && retryable(err)) {
      err.message = `${err.message} (gave up after ${attempts} attempts)`;
    }
    throw err;
  }
}
