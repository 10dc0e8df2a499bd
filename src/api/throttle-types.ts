/** The options and figures of the throttle (throttle.ts). */
import type { BoundsWarning } from './bounds.js';

export interface ThrottleOptions {
  /** Timer of the pacing (tests inject a simulated clock's). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Longest pause a server may impose at once (SPEAKUP_MAX_RETRY_TIME_MS). Default 300000. */
  maxPauseMs?: number;
  /** Told once per kind when the server asks for something out of bounds. */
  warn?: (w: BoundsWarning) => void;
}

export interface ThrottleStats {
  throttled: number;
  /** Current paced rate in requests/s (Infinity = not pacing). */
  rate: number;
  /** The learnt limit in requests/s (Infinity = none seen). */
  limit: number;
}

/** A request in flight: when it started, whether it caught up a late timer, and the pace then. */
export interface Start {
  at: number;
  caughtUp: boolean;
  pace: number;
}
