/**
 * The tuning of the client-side flow control (throttle.ts): shares, quiet times, growth rates and
 * measurement horizons of the learnt limit and the pace, in one place.
 */
/** Share of the learnt limit the pace keeps to: under it by a margin for timer and network jitter. */
export const PACE_SHARE = 0.95;
/**
 * Refusals at the pace mean the limit fell only when they are a fair share of the last answers; fewer
 * are jitter against a small burst allowance, answered by a small step back.
 */
export const DROP_MIN_SHARE = 0.1;
export const DROP_MIN_REFUSALS = 3;
export const JITTER_STEP_BACK = 0.9;
/** Quiet time before probing above the learnt limit, and the growth of the probe per second. */
export const PLATEAU_MS = 3000;
export const FIRST_PLATEAU_MS = 1000;
export const PROBE_GROWTH = 0.04;
/** Seconds of probing after which the probe's growth has doubled. */
export const PROBE_ACCEL_S = 2;
/** After a cut below the pace: quiet time before recovering, and how fast (doubling time). */
export const RECOVER_AFTER_MS = 200;
export const RECOVER_DOUBLING_MS = 100;
/** Growth of the first guess until the first 429 (doubling time). */
export const STARTUP_DOUBLING_MS = 400;
export const STARTUP_MEASURE_MIN_MS = 250;
/** The fast first probe overshoots by at most a round trip's growth: the limit is at least this share of where it got. */
export const STARTUP_FLOOR = 0.75;
/** Requests in flight at the start, before any answer. */
export const INITIAL_WINDOW = 2;
/** A burst allowance is taken to be at most this much of the limit's time. */
export const FIRST_ESTIMATE_MIN_MS = 1000;
/** Measurement horizon of the limit (active time), and the least that makes a measurement. */
export const MEASURE_MS = 1000;
export const MEASURE_MIN_MS = 500;
export const MIN_RATE = 0.5;
/** Longest sleep of the pacer between looks at the pace. */
export const PACER_STEP_MS = 100;
/**
 * How far the paced timeline may lag behind the clock and still be caught up (a timer firing late, on a
 * busy machine), at most half an interval: two starts are never closer than that.
 */
export const CATCH_UP_MS = 25;
/** A Retry-After at least this long pauses every request. */
export const GLOBAL_PAUSE_THRESHOLD_MS = 2000;
