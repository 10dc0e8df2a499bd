/**
 * Bounded, abortable detail fetching: `concurrency` workers take ids from a queue the listing fills,
 * fetch each detail and hand it on, waiting while the writer has no room. A failed fetch is reported
 * and the worker goes on; an abort stops every worker at its next step.
 */
import { Fifo } from './fifo.js';
import type { Clock, FetchedDetail, IssuesSource } from './ports.js';

export interface FetchPoolOptions {
  source: Pick<IssuesSource, 'getIssue'>;
  concurrency: number;
  signal: AbortSignal;
  /** Stamps each detail's syncedAt. */
  clock: Clock;
  deliver(detail: FetchedDetail): void;
  /** Undefined while the receiver has room; else a promise to wait on before the next fetch. */
  room(): Promise<void> | undefined;
  /** A fetch failed (not called once the signal has aborted). */
  onError(id: number, err: unknown): void;
}

export interface FetchPool {
  push(id: number): void;
  /** Wakes idle workers after pushes. */
  wake(): void;
  /** No more ids will come: workers finish the queue and stop. */
  end(): void;
  /** Ids queued or being fetched. */
  readonly pending: number;
  /** Settles when every worker has stopped. */
  readonly done: Promise<void>;
}

export function startFetchPool(o: FetchPoolOptions): FetchPool {
  const queue = new Fifo();
  let active = 0;
  let ended = false;
  const idle: Array<() => void> = [];
  const wake = (): void => {
    for (const resume of idle.splice(0)) resume();
  };
  o.signal.addEventListener('abort', wake, { once: true });

  const worker = async (): Promise<void> => {
    for (;;) {
      if (o.signal.aborted) return;
      const id = queue.shift();
      if (id === undefined) {
        if (ended) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      active++;
      try {
        const { raw, path } = await o.source.getIssue(id, o.signal);
        o.deliver({ id, raw, path, syncedAt: o.clock().toISOString() });
        for (let wait = o.room(); wait !== undefined && !o.signal.aborted; wait = o.room()) await wait;
      } catch (err) {
        if (o.signal.aborted) return;
        o.onError(id, err);
      } finally {
        active--;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, o.concurrency) }, worker);
  const done = Promise.all(workers).then(() => o.signal.removeEventListener('abort', wake));
  return {
    push: (id) => queue.push(id),
    wake,
    end() {
      ended = true;
      wake();
    },
    get pending() {
      return queue.length + active;
    },
    done,
  };
}
