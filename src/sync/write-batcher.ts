/**
 * Fetched details wait here until a batch is full (by count or by size of their JSON) or the oldest has
 * waited long enough, then go to the detail writer as one write. Writes are chained, so outcomes arrive
 * in order, and at most `maxPending` wait for the writer: beyond that, room() makes the fetchers wait,
 * so fetching never outruns writing by much and memory stays bounded.
 */
import { describeError, SyncError } from '../errors.js';
import type { DetailWriter, FetchedDetail, WriteOutcome } from './ports.js';

export interface WriteBatcherOptions {
  writer: DetailWriter;
  runId: number;
  /** Details per write (one transaction each). Small batches keep each write short. */
  batchSize: number;
  /** Characters of detail JSON per write: bounds a batch of unusually large details. */
  maxChars: number;
  /** The longest a detail waits before its batch is written. */
  flushMs: number;
  /** Writes asked for and not answered, beyond which room() makes the caller wait. */
  maxPending: number;
  /**
   * Characters of detail JSON buffered or waiting for the writer, beyond which room() makes the caller
   * wait too (default: maxChars × maxPending): a few huge details bound memory as many small ones do.
   */
  maxQueuedChars?: number;
  /** Each write's outcome, in order; the next outcome waits for a returned promise. */
  onWritten(outcome: WriteOutcome): Promise<void> | void;
  /** A write (or onWritten) failed as a whole: the run must stop. */
  onFatal(err: SyncError): void;
}

export interface WriteBatcher {
  add(detail: FetchedDetail): void;
  /** Undefined while there is room; else a promise that settles when a pending write is answered. */
  room(): Promise<void> | undefined;
  /** Writes asked for and not answered yet. */
  readonly pending: number;
  /** Characters of detail JSON buffered or waiting for the writer. */
  readonly queuedChars: number;
  /** Stops the timer, writes what is buffered and settles once every write is answered. */
  close(): Promise<void>;
}

export function createWriteBatcher(o: WriteBatcherOptions): WriteBatcher {
  let buffer: FetchedDetail[] = [];
  let chars = 0;
  let writes: Promise<void> = Promise.resolve();
  let pending = 0;
  let queued = 0;
  const maxQueued = o.maxQueuedChars ?? o.maxChars * o.maxPending;
  const waiting: Array<() => void> = [];
  const answered = (size: number): void => {
    pending--;
    queued -= size;
    for (const wake of waiting.splice(0)) wake();
  };
  const flush = (): void => {
    if (buffer.length === 0) return;
    const batch = buffer;
    const size = chars;
    buffer = [];
    chars = 0;
    pending++;
    writes = writes
      .then(() => o.writer.write(batch, o.runId))
      .then((out) => o.onWritten(out))
      .catch((err: unknown) => o.onFatal(asWriteError(err)))
      .finally(() => answered(size));
  };
  const timer = setInterval(flush, o.flushMs);
  // A full buffer is written on the next loop turn, not by the fetcher that filled it: that fetcher's
  // next request (and any others started in this turn) is on the wire first, so the write overlaps them.
  let soon = false;
  const flushSoon = (): void => {
    if (soon) return;
    soon = true;
    setImmediate(() => {
      soon = false;
      flush();
    });
  };
  // A waiting fetcher is woken by an answered write; with nothing pending, a flush is what frees room.
  const full = (): boolean => pending >= o.maxPending || (queued >= maxQueued && pending > 0);
  return {
    add(detail) {
      buffer.push(detail);
      chars += detail.raw.length;
      queued += detail.raw.length;
      if (buffer.length >= o.batchSize || chars >= o.maxChars) flushSoon();
    },
    room() {
      if (queued >= maxQueued && pending === 0) flush();
      return full() ? new Promise<void>((resolve) => waiting.push(resolve)) : undefined;
    },
    get pending() {
      return pending;
    },
    get queuedChars() {
      return queued;
    },
    async close() {
      clearInterval(timer);
      flush();
      await writes;
    },
  };
}

function asWriteError(err: unknown): SyncError {
  return err instanceof SyncError
    ? err
    : new SyncError('DB_ERROR', `writing to the database failed: ${describeError(err)}`, { cause: err });
}
