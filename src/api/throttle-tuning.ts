/**
 * The tuning of the client-side flow control (throttle.ts): shares, quiet times, growth rates and
 * measurement horizons of the learnt limit and the pace, in one place.
 */
/** Share of the learnt limit the pace keeps to: under it by a margin for network and server jitter. */
export const PACE_SHARE = 0.95;
/**
 * Refusals at the pace mean the limit fell only when they are a fair share of the last answers; fewer
 * are jitter against a small burst allowance, answered by a small step back.
 */
export const DROP_MIN_SHARE = 0.1;
export const DROP_MIN_REFUSALS = 3;
export const JITTER_STEP_BACK = 0.9;
/**
 * Refusals at the pace within REPEATED_MS of active time (MEASURE_MS from a server that stores nothing)
 * that take the learnt limit down a notch, and the notch. Seconds, not one: a limit learnt a shade high
 * against a bucket that other clients share is refused once every second or two, each time after the
 * pace stepped back and recovered.
 */
export const REPEATED_REFUSALS = 2;
export const REPEATED_MS = 3000;
export const JITTER_LIMIT_SHARE = 0.97;
/** A fall seen too soon after the limit was learnt to measure the new one: the limit steps down so much. */
export const FALL_STEP = 0.8;
/** ... unless the last second accepted under this share of the limit: then the limit is at most that. */
export const GROSS_FALL_SHARE = 0.5;
/** Quiet time before probing above the learnt limit, and the growth of the probe per second. */
export const PLATEAU_MS = 3000;
export const FIRST_PLATEAU_MS = 1000;
/** A probe that finds the limit where it was (within this factor) doubles the plateau, up to MAX_PLATEAU_MS. */
export const SAME_LIMIT = 1.02;
export const MAX_PLATEAU_MS = 12_000;
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
export const STARTUP_FLOOR = 0.85;
/** Requests in flight at the start, before any answer. */
export const INITIAL_WINDOW = 2;
/** A burst allowance is taken to be at most this much of the limit's time. */
export const FIRST_ESTIMATE_MIN_MS = 1000;
/** Measurement horizon of the limit (active time), and the least that makes a measurement. */
export const MEASURE_MS = 1000;
export const MEASURE_MIN_MS = 500;
/**
 * A probe climbs slowly: the rate the server was sent over its last second, refusals included, is its
 * level when it met the limit (a second spans a whole 1 s window; a bucket that holds one request refuses
 * now and then below its limit, so counting acceptances alone would learn a limit too low).
 */
export const PROBE_MEASURE_MS = 1000;
export const MIN_RATE = 0.5;
/** Longest sleep of the pacer between looks at the pace. */
export const PACER_STEP_MS = 100;
/**
 * How far the paced timeline may lag behind the clock and still be caught up (timers firing late, on a
 * busy machine). The closest two starts may be while catching up, as a share of the pace interval:
 * LOOSE_GAP_SHARE until TIGHTEN_AFTER_REFUSALS starts that caught up have been refused (one may be bad
 * luck at the start of a run), then MIN_GAP_SHARE, the learnt limit's own spacing, so catching up never
 * outruns a server that holds no burst. A start closer than MIN_GAP_SHARE of an interval caught up.
 */
export const CATCH_UP_MS = 250;
export const LOOSE_GAP_SHARE = 0.5;
export const MIN_GAP_SHARE = PACE_SHARE;
export const TIGHTEN_AFTER_REFUSALS = 2;
/** A Retry-After at least this long pauses every request. */
export const GLOBAL_PAUSE_THRESHOLD_MS = 2000;
