/**
 * The retry policy as data, built once from configuration for every caller that retries: the API client
 * and the three token providers. Also which faults are worth another try.
 */
import type { RetryConfig } from '../config/types.js';
import { HttpError, NetworkError } from '../errors.js';

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

/** Longest backoff between two attempts (unless the configured first delay is longer). */
const MAX_DELAY_MS = 30_000;
/** Longest Retry-After honoured in one wait: a rate limiter asking for minutes is waited in steps. */
const MAX_RETRY_AFTER_MS = 120_000;

/** The policy for SPEAKUP_MAX_ATTEMPTS, SPEAKUP_RETRY_BASE_MS and SPEAKUP_MAX_RETRY_TIME_MS. */
export function retryPolicy(config: RetryConfig): RetryPolicy {
  return {
    maxAttempts: config.maxAttempts,
    baseDelayMs: config.baseDelayMs,
    maxDelayMs: Math.max(config.baseDelayMs, MAX_DELAY_MS),
    maxRetryTimeMs: config.maxRetryTimeMs,
    maxRetryAfterMs: MAX_RETRY_AFTER_MS,
  };
}

/** HTTP statuses worth another try: timeouts, throttling and server faults (RFC 9110 §15.6). */
export const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** True for faults that may pass: network errors, timeouts, RETRYABLE_STATUS and any other 5xx. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  if (err instanceof HttpError) return RETRYABLE_STATUS.has(err.status) || err.status >= 500;
  return false;
}
