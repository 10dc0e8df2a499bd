/**
 * A gate a test closes in front of the emulated API: matching requests are counted on arrival, then wait
 * until the test releases the gate, and only then are authenticated and answered. A test can so observe
 * "a request is in flight" and change the world (revoke tokens, read the database, send a signal) before
 * the answer leaves, with no sleep and no latency guess.
 */
import type { RequestKind } from './counters.js';

export interface Hold {
  /** Route kinds held; every kind when empty. */
  readonly kinds: readonly RequestKind[];
  /** Requests waiting on the gate now. */
  waiting: number;
  /** Requests that have waited on the gate, in total. */
  arrived: number;
  /** Settles when release() is called. */
  readonly released: Promise<void>;
  /** Whether a request of `kind` arriving now must wait (counts the ones let through by `after`). */
  mustWait(kind: RequestKind): boolean;
  /** Opens the gate: every waiting request goes on, and later ones pass at once. */
  release(): void;
}

export interface HoldOptions {
  /** Let this many matching requests through before closing (a run stopped part-way, deterministically). */
  after?: number;
}

/** A closed gate for `kinds` (every route kind when none is given). Set it as `knobs.hold`. */
export function createHold(kinds: readonly RequestKind[] = [], opts: HoldOptions = {}): Hold {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let open = false;
  let passed = 0;
  return {
    kinds,
    waiting: 0,
    arrived: 0,
    released,
    mustWait(kind) {
      if (open || (kinds.length > 0 && !kinds.includes(kind))) return false;
      if (passed < (opts.after ?? 0)) {
        passed += 1;
        return false;
      }
      return true;
    },
    release() {
      open = true;
      release();
    },
  };
}
