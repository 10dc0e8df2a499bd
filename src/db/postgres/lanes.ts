/**
 * Batches of one run written on up to `lanes` connections at once: PostgreSQL works on one batch while the
 * next is mapped and sent, or on two batches with two of the host's cores. Batches start in the order
 * given, and a batch starts only when no batch in flight holds one of its issue ids: the history of an
 * issue compares each version with the one stored before it, and a new issue is inserted by the first
 * batch that holds it, so two versions of one issue must be written one after the other.
 *
 * With disjoint ids no deadlock is possible: two batches' transactions lock no common row except the
 * run's row of sync_runs, which each takes FOR KEY SHARE (the foreign key of issue_changes), a lock that
 * conflicts neither with itself nor with the run log's updates of the row's counters.
 */

/** Runs write tasks in call order, at most `lanes` at once, never two holding a common id. */
export interface Lanes {
  /** Resolves with `task`'s result once it has run; `task` starts when a lane is free and `ids` are. */
  run<T>(ids: readonly number[], task: () => Promise<T>): Promise<T>;
}

interface Flight {
  ids: ReadonlySet<number>;
  /** Settles (never rejects) once the task has settled and the flight has left the set. */
  done: Promise<void>;
}

export function createLanes(lanes: number): Lanes {
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes must be a positive integer, got ${lanes}`);
  const inFlight = new Set<Flight>();
  // Each task waits for the previous one to have started: tasks start in call order.
  let turn: Promise<void> = Promise.resolve();
  const blocked = (ids: readonly number[]): boolean =>
    inFlight.size >= lanes || [...inFlight].some((f) => ids.some((id) => f.ids.has(id)));
  return {
    run(ids, task) {
      const previous = turn;
      let started!: () => void;
      turn = new Promise((resolve) => (started = resolve));
      // Neither `previous` nor a flight's `done` rejects, so the wait cannot throw and `started` is called.
      return (async () => {
        await previous;
        while (blocked(ids)) await Promise.race([...inFlight].map((f) => f.done));
        const running = Promise.resolve().then(task);
        const flight: Flight = { ids: new Set(ids), done: Promise.resolve() };
        const leave = (): void => void inFlight.delete(flight);
        flight.done = running.then(leave, leave);
        inFlight.add(flight);
        started();
        return running;
      })();
    },
  };
}
