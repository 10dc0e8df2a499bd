/**
 * A gate a test closes in front of the emulated API: matching requests are counted on arrival, then wait
 * until the test releases the gate, and only then are authenticated and answered. A test can so observe
 * "a request is in flight" and change the world (revoke tokens, start a reader, send a signal) before the
 * answer leaves, with no sleep and no latency guess.
 */
import type { RequestKind } from './counters.js';

export interface Hold {
  /** Route kinds held; every kind when empty. */
  readonly kinds: readonly RequestKind[];
  /** Requests that arrived while the gate was closed and are waiting on it now. */
  waiting: number;
  /** Requests that arrived while the gate was closed, in total. */
  arrived: number;
  /** Settles when release() is called. */
  readonly released: Promise<void>;
  /** Whether release() was called. */
  isOpen(): boolean;
  /** Opens the gate: every waiting request goes on, and later ones pass at once. */
  release(): void;
}

/** A closed gate for `kinds` (every route kind when none is given). Set it as `knobs.hold`. */
export function createHold(kinds: readonly RequestKind[] = []): Hold {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let open = false;
  const hold: Hold = {
    kinds,
    waiting: 0,
    arrived: 0,
    released,
    isOpen: () => open,
    release() {
      open = true;
      release();
    },
  };
  return hold;
}

/** Whether a request of `kind` must wait on `hold`. */
export function holds(hold: Hold | null, kind: RequestKind): hold is Hold {
  if (hold === null || hold.isOpen()) return false;
  return hold.kinds.length === 0 || hold.kinds.includes(kind);
}
