/**
 * Fetched details wait here until a batch is full (by count or by size of their JSON) or the oldest has
 * waited long enough, then go to the detail writer as one write. Writes are chained, so outcomes arrive
 * in order, and at most `maxPending` wait for the writer: beyond that, room() makes the fetchers wait,
 * so fetching never outruns writing by much and memory stays bounded.
 *
 * Memory is bounded in bytes too, from the moment a body starts to be read: a fetcher reserves the
 * body's announced size before reading it, and waits while the bodies being read plus the details
 * buffered or being written would exceed the budget. Waiting after the read would be too late: every
 * fetch in flight would already hold its whole body.
 */
import { describeError, SyncError } from '../errors.js';
import { bodyText } from '../json-body.js';
import type { DetailWriter, WireDetail, WriteOutcome } from './ports.js';

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
   * Bytes of detail JSON reserved (bodies being read), buffered or waiting for the writer, beyond which
   * reserve() and room() make the caller wait (default: maxChars × maxPending): a few huge details bound
   * memory as many small ones do. A single body larger than this goes alone.
   */
  maxQueuedBytes?: number;
  /** Each write's outcome, in order; the next outcome waits for a returned promise. */
  onWritten(outcome: WriteOutcome): Promise<void> | void;
  /** A write (or onWritten) failed as a whole: the run must stop. */
  onFatal(err: SyncError): void;
}

export interface WriteBatcher {
  /** A fetched detail; `reserved` is what its fetcher reserved for it (given back, its length counted instead). */
  add(detail: WireDetail, reserved?: number): void;
  /** Undefined while there is room; else a promise that settles when a pending write is answered. */
  room(): Promise<void> | undefined;
  /**
   * True once `bytes` fit in the byte budget, counted as queued from then on: at once when they fit now,
   * else a promise (callers wait in turn), false, reserving nothing, if `signal` aborts first.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<boolean> | boolean;
  /** Gives back a reservation whose detail will not come (its fetch failed). */
  unreserve(bytes: number): void;
  /** Writes asked for and not answered yet. */
  readonly pending: number;
  /** Bytes reserved, buffered or waiting for the writer. */
  readonly queuedBytes: number;
  /**
   * Stops the timer, writes what is buffered and settles once every write is answered; the writer is
   * then told it is done (DetailWriter.done).
   */
  close(): Promise<void>;
}

export function createWriteBatcher(o: WriteBatcherOptions): WriteBatcher {
  let buffer: WireDetail[] = [];
  let chars = 0;
  let writes: Promise<void> = Promise.resolve();
  let pending = 0;
  const bytes = createByteGate(o.maxQueuedBytes ?? o.maxChars * o.maxPending);
  const waiting: Array<() => void> = [];
  const answered = (size: number): void => {
    pending--;
    bytes.free(size);
    for (const wake of waiting.splice(0)) wake();
  };
  const flush = (): void => {
    if (buffer.length === 0) return;
    const batch = buffer;
    const size = chars;
    buffer = [];
    chars = 0;
    pending++;
    // A concurrent writer gets the batch now (it works on it while earlier ones are written); any
    // other gets it once the previous write is answered.
    const early = o.writer.concurrent ? Promise.resolve().then(() => writeBatch(o.writer, batch, o.runId)) : undefined;
    early?.catch(() => undefined);
    writes = writes
      .then(() => early ?? writeBatch(o.writer, batch, o.runId))
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
  // With nothing pending, only a flush frees room: a waiting caller is woken by an answered write.
  const full = (): boolean => pending >= o.maxPending || (bytes.over() && pending > 0);
  return {
    add(detail, reserved = 0) {
      buffer.push(detail);
      chars += detail.raw.length;
      bytes.swap(reserved, detail.raw.length);
      if (buffer.length >= o.batchSize || chars >= o.maxChars || bytes.waiters() > 0) flushSoon();
    },
    room() {
      if (bytes.over() && pending === 0) flush();
      return full() ? new Promise<void>((resolve) => waiting.push(resolve)) : undefined;
    },
    reserve(size, signal) {
      const got = bytes.take(size, signal);
      // The budget is held by details waiting in the buffer: write them, their answer frees it.
      if (bytes.waiters() > 0 && pending === 0) flushSoon();
      return got;
    },
    unreserve: (size) => bytes.free(size),
    get pending() {
      return pending;
    },
    get queuedBytes() {
      return bytes.used();
    },
    async close() {
      clearInterval(timer);
      flush();
      await writes;
      o.writer.done?.();
    },
  };
}

/**
 * Bytes held against a budget; takers wait in turn (a large one is not overtaken forever by small
 * ones), and one larger than the whole budget goes alone.
 */
function createByteGate(total: number) {
  let used = 0;
  const waiting: Array<{ size: number; go: (ok: boolean) => void }> = [];
  const fits = (size: number): boolean => used === 0 || used + size <= total;
  const wake = (): void => {
    while (waiting.length > 0 && fits(waiting[0]!.size)) {
      const next = waiting.shift()!;
      used += next.size;
      next.go(true);
    }
  };
  return {
    used: () => used,
    over: () => used >= total,
    waiters: () => waiting.length,
    take(size: number, signal?: AbortSignal): Promise<boolean> | boolean {
      if (signal?.aborted) return false;
      if (waiting.length === 0 && fits(size)) {
        used += size;
        return true;
      }
      return new Promise<boolean>((resolve) => {
        const abort = (): void => {
          const at = waiting.indexOf(entry);
          if (at < 0) return;
          waiting.splice(at, 1);
          resolve(false);
          wake();
        };
        const entry = {
          size,
          go: (ok: boolean) => {
            signal?.removeEventListener('abort', abort);
            resolve(ok);
          },
        };
        waiting.push(entry);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },
    free(size: number): void {
      used -= size;
      wake();
    },
    /** A reservation replaced by what it became (a body's length as read). */
    swap(reserved: number, size: number): void {
      used += size - reserved;
      if (size < reserved) wake();
    },
  };
}

/** Bodies still bytes go as such to a writer that takes them (it decodes them where it stores them). */
function writeBatch(writer: DetailWriter, batch: WireDetail[], runId: number): Promise<WriteOutcome> {
  if (writer.writeWire) return writer.writeWire(batch, runId);
  return writer.write(
    batch.map((d) =>
      typeof d.raw === 'string' ? (d as WireDetail & { raw: string }) : { ...d, raw: bodyText(d.raw) },
    ),
    runId,
  );
}

function asWriteError(err: unknown): SyncError {
  return err instanceof SyncError
    ? err
    : new SyncError('DB_ERROR', `writing to the database failed: ${describeError(err)}`, { cause: err });
}
