import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncError } from '../../src/errors.js';
import type { WriteOutcome } from '../../src/sync/ports.js';
import { createWriteBatcher, type WriteBatcherOptions } from '../../src/sync/write-batcher.js';
import { detail, fakeWriter, until, type FakeWriter } from './sync-fakes.js';

const HOUR = 3_600_000;

function batcher(writer: FakeWriter, more: Partial<WriteBatcherOptions> = {}) {
  const outcomes: WriteOutcome[] = [];
  const fatal: SyncError[] = [];
  const b = createWriteBatcher({
    writer,
    runId: 1,
    batchSize: 3,
    maxChars: 1_000_000,
    flushMs: HOUR,
    maxPending: 2,
    onWritten: (out) => void outcomes.push(out),
    onFatal: (err) => void fatal.push(err),
    ...more,
  });
  return { b, outcomes, fatal };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createWriteBatcher', () => {
  it('tells the writer it is done once close() has every write answered, and not before', async () => {
    const w = fakeWriter();
    const told: number[] = [];
    const writer = Object.assign(w, { done: () => void told.push(w.held.length) });
    w.hold = true;
    const { b, outcomes } = batcher(writer);
    for (const id of [1, 2, 3, 4]) b.add(detail(id));
    const closed = b.close();
    await until(() => w.held.length === 1, 'the write to be held');
    expect(told).toEqual([]);
    w.held[0]!.resolve();
    await closed;
    expect(outcomes).toHaveLength(1);
    expect(told).toEqual([1]);
  });

  it('puts every detail added in the same loop turn into the write that turn starts', async () => {
    const w = fakeWriter();
    const { b, outcomes } = batcher(w);
    for (const id of [1, 2, 3, 4]) b.add(detail(id));
    await until(() => outcomes.length === 1, 'the batch to be written');
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1, 2, 3, 4]]);
    await b.close();
  });

  it('writes a batch as soon as it holds batchSize details, without waiting for the timer', async () => {
    const w = fakeWriter();
    const { b, outcomes } = batcher(w);
    for (const id of [1, 2, 3]) b.add(detail(id));
    await until(() => outcomes.length === 1, 'the full batch to be written');
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1, 2, 3]]);
    b.add(detail(4));
    await b.close();
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1, 2, 3], [4]]);
  });

  it('writes a batch when its JSON reaches maxChars, whatever its count', async () => {
    const w = fakeWriter();
    const { b, outcomes } = batcher(w, { maxChars: 20 });
    b.add(detail(1, `{"id":1,"t":"${'x'.repeat(20)}"}`));
    await until(() => outcomes.length === 1, 'the large detail to be written alone');
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1]]);
    await b.close();
  });

  it('writes a partial batch once flushMs has passed', async () => {
    vi.useFakeTimers();
    const w = fakeWriter();
    const { b } = batcher(w, { flushMs: 250 });
    b.add(detail(1));
    await vi.advanceTimersByTimeAsync(249);
    expect(w.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1]]);
    await b.close();
  });

  it('hands outcomes over in write order, and close() waits for every write', async () => {
    const w = fakeWriter(undefined, (batch) => ({ stored: batch.length, failures: [] }));
    w.hold = true;
    const { b, outcomes } = batcher(w, { batchSize: 1, maxPending: 10 });
    // One add per loop turn: a full buffer is written on the next turn, so each detail makes its own write.
    for (const id of [1, 2, 3]) {
      b.add(detail(id));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await until(() => w.held.length === 1, 'the first write to reach the writer');
    let closed = false;
    const closing = b.close().then(() => (closed = true));
    for (let i = 0; i < 3; i++) {
      await until(() => w.held.length === i + 1, `write ${i + 1} to reach the writer`);
      expect(closed).toBe(false);
      w.held[i]!.resolve();
    }
    await closing;
    expect(outcomes).toEqual([1, 2, 3].map(() => ({ stored: 1, failures: [] })));
    expect(w.batches.map((batch) => batch.map((d) => d.id))).toEqual([[1], [2], [3]]);
  });

  it('makes the caller wait while maxPending writes are unanswered (backpressure)', async () => {
    const w = fakeWriter();
    w.hold = true;
    const { b } = batcher(w, { batchSize: 1, maxPending: 1 });
    expect(b.room()).toBeUndefined();
    b.add(detail(1));
    await until(() => w.held.length === 1, 'the write to reach the writer');
    expect(b.pending).toBe(1);
    let roomAgain = false;
    const wait = b.room();
    expect(wait).toBeInstanceOf(Promise);
    void wait?.then(() => (roomAgain = true));
    await until(() => w.batches.length === 1, 'nothing else');
    expect(roomAgain).toBe(false);
    w.held[0]!.resolve();
    await wait;
    expect(b.pending).toBe(0);
    expect(b.room()).toBeUndefined();
    await b.close();
  });

  it('reserve() waits while bodies being read plus details queued exceed maxQueuedBytes; an abort gives up', async () => {
    const w = fakeWriter();
    w.hold = true;
    const { b } = batcher(w, { batchSize: 1, maxPending: 10, maxQueuedBytes: 100 });
    expect(await b.reserve(60)).toBe(true);
    b.add(detail(1, `{"id":1,"pad":"${'x'.repeat(43)}"}`), 60);
    expect(b.queuedBytes).toBe(60);
    await until(() => w.held.length === 1, 'the write to reach the writer');
    let second: boolean | undefined;
    void Promise.resolve(b.reserve(60)).then((ok) => (second = ok));
    const abort = new AbortController();
    let third: boolean | undefined;
    void Promise.resolve(b.reserve(10, abort.signal)).then((ok) => (third = ok));
    await until(() => w.batches.length === 1, 'nothing else');
    // Waiting in turn: the small third one does not overtake the second.
    expect([second, third]).toEqual([undefined, undefined]);
    abort.abort();
    await until(() => third !== undefined, 'the aborted reservation to give up');
    expect(third).toBe(false);
    w.held[0]!.resolve();
    await until(() => second !== undefined, 'room once the write is answered');
    expect(second).toBe(true);
    expect(b.queuedBytes).toBe(60);
    b.unreserve(60);
    expect(b.queuedBytes).toBe(0);
    await b.close();
  });

  it('reports a writer that throws as one fatal DB_ERROR naming the cause', async () => {
    const w = fakeWriter(undefined, () => {
      throw new Error('disk I/O error');
    });
    const { b, fatal } = batcher(w, { batchSize: 1 });
    b.add(detail(1));
    await b.close();
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(SyncError);
    expect(fatal[0]?.code).toBe('DB_ERROR');
    expect(fatal[0]?.message).toBe('writing to the database failed: Error: disk I/O error');
  });

  it('passes a SyncError from the writer on unchanged', async () => {
    const thrown = new SyncError('DB_ERROR', 'the database writer thread stopped');
    const w = fakeWriter(undefined, () => Promise.reject(thrown));
    const { b, fatal } = batcher(w, { batchSize: 1 });
    b.add(detail(1));
    await b.close();
    expect(fatal).toEqual([thrown]);
  });

  it('writes nothing on close when nothing was added', async () => {
    const w = fakeWriter();
    const { b } = batcher(w);
    await b.close();
    expect(w.batches).toEqual([]);
  });
});
