/**
 * Bounded, abortable detail fetching: `concurrency` workers take ids from a queue the listing fills,
 * fetch each detail and hand it on. A worker waits for room at the writer before it asks for a detail,
 * and again, for the body's announced size, before it reads the body: a body read while the writer is
 * behind would sit in memory until the writer catches up. A failed fetch is reported and the worker
 * goes on; an abort stops every worker at its next step.
 */
import { Fifo } from './fifo.js';
import type { Clock, IssuesSource, WireDetail } from './ports.js';

export interface FetchPoolOptions {
  source: Pick<IssuesSource, 'getIssue'>;
  concurrency: number;
  signal: AbortSignal;
  /** Stamps each detail's syncedAt. */
  clock: Clock;
  /** A fetched detail, with the bytes reserved for it (0 when `reserve` is not given). */
  deliver(detail: WireDetail, reserved: number): void;
  /** Undefined while the receiver has room; else a promise to wait on before the next fetch. */
  room(): Promise<void> | undefined;
  /**
   * Waits until a body of `bytes` (0: not announced) may be read, reserving them (true at once when
   * there is room); false if the signal aborted first. Absent: bodies are read at once.
   */
  reserve?(bytes: number, signal: AbortSignal): Promise<boolean> | boolean;
  /** Gives back a reservation whose detail will not be delivered. */
  unreserve?(bytes: number): void;
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
      for (let wait = o.room(); wait !== undefined && !o.signal.aborted; wait = o.room()) await wait;
      if (o.signal.aborted) return;
      const id = queue.shift();
      if (id === undefined) {
        if (ended) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      active++;
      try {
        await fetchOne(o, id);
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

/** One detail: the body read once the receiver has room for it, then delivered with its reservation. */
async function fetchOne(o: FetchPoolOptions, id: number): Promise<void> {
  let reserved = 0;
  const giveBack = (): void => {
    if (reserved > 0) o.unreserve?.(reserved);
    reserved = 0;
  };
  // Called once per attempt (a retried request announces its body again): the previous reservation goes back.
  // Room at once (the usual case) answers undefined: the body is read without a pause.
  const admit =
    o.reserve &&
    ((bytes: number): Promise<void> | undefined => {
      giveBack();
      const got = o.reserve?.(bytes, o.signal);
      if (got === true) reserved = bytes;
      if (typeof got !== 'object') return undefined;
      return got.then((ok) => {
        if (ok) reserved = bytes;
      });
    });
  try {
    const { raw, path } = await o.source.getIssue(id, o.signal, admit);
    const given = reserved;
    reserved = 0;
    o.deliver({ id, raw, path, syncedAt: o.clock().toISOString() }, given);
  } finally {
    giveBack();
  }
}
