/**
 * Runs an operation under a RetryPolicy with p-retry: exponential backoff with jitter for passing faults,
 * bounded by attempts and by elapsed time. A server-requested wait (Retry-After) is honoured exactly and
 * does not consume an attempt; p-retry has no notion of Retry-After, so the wait happens in its
 * onFailedAttempt hook.
 */
import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortedError, SyncError } from '../errors.js';
import { isRetryable, type RetryPolicy } from './policy.js';

export interface RetryHooks {
  signal?: AbortSignal | undefined;
  /** Called before each retry (logging, counters). */
  onRetry?: (err: unknown, attempt: number) => void;
  /** A server-requested delay for this error, in ms; such a wait consumes no attempt. */
  serverWaitMs?: (err: unknown) => number | undefined;
  /** Which errors are worth another try; default isRetryable (HTTP and network faults). */
  retryable?: (err: unknown) => boolean;
}

/** Run `fn` under `policy`. The final error is the last attempt's, noting how many attempts were made. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  // Fast path: nearly every call succeeds at once, and p-retry's per-call bookkeeping is a noticeable
  // share of a cheap request's CPU cost. p-retry takes over after a first failure, which it sees as its
  // own first attempt (replayed), so waits, counting and messages stay its.
  let first: { error: unknown } | undefined;
  try {
    return await fn(1);
  } catch (error) {
    first = { error };
  }
  return retrying(
    (attempt) => {
      if (first) {
        const { error } = first;
        first = undefined;
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return fn(attempt);
    },
    policy,
    hooks,
  );
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
          if (wait !== undefined && wait > 0)
            await sleep(wait, undefined, hooks.signal ? { signal: hooks.signal } : {});
        },
        shouldConsumeRetry: ({ error }) => serverWait(error) === undefined,
        shouldRetry: ({ error }) => retryable(error),
      },
    );
  } catch (err) {
    if (hooks.signal?.aborted) throw abortedError(err);
    if (err instanceof SyncError && attempts > 1 && retryable(err)) {
      err.message = `${err.message} (gave up after ${attempts} attempts)`;
    }
    throw err;
  }
}
