import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.js';
import { startFetchPool, type FetchPoolOptions } from '../../src/sync/fetch-pool.js';
import type { FetchedBody, WireDetail } from '../../src/sync/ports.js';
import { createWriteBatcher } from '../../src/sync/write-batcher.js';
import { deferred, fakeSource, fakeWriter, turns, until, type Deferred } from './sync-fakes.js';

const clock = () => new Date('2025-01-01T00:00:00.000Z');

/** A source whose detail requests stay in flight until the test answers them (or the signal aborts). */
function heldSource() {
  const inFlight = new Map<number, Deferred<FetchedBody>>();
  let most = 0;
  const source = fakeSource({
    pages: [],
    detail: (id, signal) => {
      const d = deferred<FetchedBody>();
      inFlight.set(id, d);
      most = Math.max(most, inFlight.size);
      signal?.addEventListener('abort', () => d.reject(new SyncError('ABORTED', 'stopped by signal')), { once: true });
      return d.promise.finally(() => inFlight.delete(id));
    },
  });
  const answer = (id: number) => inFlight.get(id)?.resolve({ raw: `{"id":${id}}`, path: `/v1/public/issues/${id}` });
  return { source, inFlight, answer, most: () => most };
}

function pool(source: FetchPoolOptions['source'], more: Partial<FetchPoolOptions> = {}) {
  const delivered: WireDetail[] = [];
  const errors: Array<[number, unknown]> = [];
  const abort = new AbortController();
  const p = startFetchPool({
    source,
    concurrency: 3,
    signal: abort.signal,
    clock,
    deliver: (d) => void delivered.push(d),
    room: () => undefined,
    onError: (id, err) => void errors.push([id, err]),
    ...more,
  });
  return { p, delivered, errors, abort };
}

describe('startFetchPool', () => {
  it('never has more than `concurrency` fetches in flight, and fetches every queued id', async () => {
    const s = heldSource();
    const { p, delivered } = pool(s.source);
    for (let id = 1; id <= 10; id++) p.push(id);
    p.wake();
    p.end();
    for (let id = 1; id <= 10; id++) {
      await until(() => s.inFlight.has(id), `issue ${id} to be fetched`);
      expect(s.inFlight.size).toBeLessThanOrEqual(3);
      s.answer(id);
    }
    await p.done;
    expect(s.most()).toBe(3);
    expect(delivered.map((d) => d.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(delivered[0]).toEqual({
      id: 1,
      raw: '{"id":1}',
      path: '/v1/public/issues/1',
      syncedAt: '2025-01-01T00:00:00.000Z',
    });
    expect(p.pending).toBe(0);
  });

  it('counts queued and in-flight ids as pending', async () => {
    const s = heldSource();
    const { p } = pool(s.source, { concurrency: 2 });
    for (const id of [1, 2, 3, 4, 5]) p.push(id);
    p.wake();
    await until(() => s.inFlight.size === 2, 'two fetches in flight');
    expect(p.pending).toBe(5);
    s.answer(1);
    await until(() => s.inFlight.has(3), 'the next fetch');
    expect(p.pending).toBe(4);
    p.end();
    for (const id of [2, 3, 4, 5]) {
      await until(() => s.inFlight.has(id), `issue ${id}`);
      s.answer(id);
    }
    await p.done;
  });

  it('idle workers wait for ids and wake when told; end() lets them stop', async () => {
    const source = fakeSource({ pages: [] });
    const { p, delivered } = pool(source);
    await turns(5);
    expect(source.fetched).toEqual([]);
    p.push(7);
    p.wake();
    await until(() => delivered.length === 1, 'the woken worker to fetch');
    p.end();
    await p.done;
    expect(source.fetched).toEqual([7]);
  });

  it('reports a failed fetch and goes on with the others', async () => {
    const boom = new SyncError('HTTP_STATUS', '[GET] "/v1/public/issues/2": 500 Internal Server Error (attempt 4/4)');
    const source = fakeSource({
      pages: [],
      detail: (id) => (id === 2 ? Promise.reject(boom) : Promise.resolve({ raw: '{}', path: `/${id}` })),
    });
    const { p, delivered, errors } = pool(source);
    for (const id of [1, 2, 3]) p.push(id);
    p.end();
    await p.done;
    expect(errors).toEqual([[2, boom]]);
    expect(delivered.map((d) => d.id).sort()).toEqual([1, 3]);
  });

  it('stops every worker on abort, reporting nothing for the fetches it cut short', async () => {
    const s = heldSource();
    const { p, delivered, errors, abort } = pool(s.source);
    for (let id = 1; id <= 10; id++) p.push(id);
    p.wake();
    await until(() => s.inFlight.size === 3, 'three fetches in flight');
    abort.abort();
    await p.done;
    expect(delivered).toEqual([]);
    expect(errors).toEqual([]);
    expect(p.pending).toBe(7);
  });

  it('waits for room before the next fetch', async () => {
    const s = heldSource();
    let room: Deferred<void> | undefined;
    const { p, delivered } = pool(s.source, {
      concurrency: 1,
      room: () => room?.promise,
      deliver: (d) => {
        delivered.push(d);
        if (d.id === 1) room = deferred<void>();
      },
    });
    p.push(1);
    p.push(2);
    p.end();
    await until(() => s.inFlight.has(1), 'the first fetch');
    s.answer(1);
    await until(() => delivered.length === 1, 'the first delivery');
    // Let several turns pass: the worker must still be waiting for room, not fetching issue 2.
    await turns(50);
    expect(s.inFlight.has(2)).toBe(false);
    const full = room!;
    room = undefined;
    full.resolve();
    await until(() => s.inFlight.has(2), 'the second fetch once there is room');
    s.answer(2);
    await p.done;
    expect(delivered.map((d) => d.id)).toEqual([1, 2]);
  });

  it('reads no body while the write queue is over its byte budget, then hands the reservation on', async () => {
    // A source like the HTTP one: headers first (announcing the size), the body read once admitted.
    const reading: number[] = [];
    const source = fakeSource({
      pages: [],
      detail: async (id, _signal, admit) => {
        await admit?.(1000);
        reading.push(id);
        return { raw: 'x'.repeat(1000), path: `/${id}` };
      },
    });
    const w = fakeWriter(undefined, (batch) => ({ stored: batch.length, failures: [] }));
    w.hold = true;
    const fatal: unknown[] = [];
    const b = createWriteBatcher({
      writer: w,
      runId: 1,
      batchSize: 1,
      maxChars: 1_000_000,
      flushMs: 3_600_000,
      maxPending: 10,
      maxQueuedBytes: 1500,
      onWritten: () => undefined,
      onFatal: (err) => void fatal.push(err),
    });
    const reserved: number[] = [];
    const { p } = pool(source, {
      concurrency: 4,
      room: () => b.room(),
      reserve: (bytes, signal) => b.reserve(bytes, signal),
      unreserve: (bytes) => b.unreserve(bytes),
      deliver: (d, bytes) => {
        reserved.push(bytes);
        b.add(d, bytes);
      },
    });
    for (const id of [1, 2, 3, 4]) p.push(id);
    p.end();
    // One body fills 1000 of the 1500 bytes: the other three fetchers have their headers and wait.
    await until(() => w.held.length === 1, 'the first detail to wait for the writer');
    await turns(50);
    expect(reading).toEqual([1]);
    expect(b.queuedBytes).toBe(1000);
    w.held[0]!.resolve();
    await until(() => w.held.length === 2, 'a second body once the write frees room');
    await turns(50);
    expect(reading).toEqual([1, 2]);
    for (let i = 1; i < 4; i++) {
      await until(() => w.held.length > i, `write ${i + 1}`);
      w.held[i]!.resolve();
    }
    await p.done;
    await b.close();
    expect(reserved).toEqual([1000, 1000, 1000, 1000]);
    expect(b.queuedBytes).toBe(0);
    expect(fatal).toEqual([]);
  });

  it('gives a reservation back when the fetch fails after it', async () => {
    const given: number[] = [];
    const source = fakeSource({
      pages: [],
      detail: async (id, _signal, admit) => {
        await admit?.(500);
        throw new SyncError('HTTP_NETWORK', `[GET] "/${id}": connection lost mid-body`);
      },
    });
    const { p, errors } = pool(source, {
      reserve: () => Promise.resolve(true),
      unreserve: (bytes) => void given.push(bytes),
    });
    p.push(1);
    p.end();
    await p.done;
    expect(errors).toHaveLength(1);
    expect(given).toEqual([500]);
  });
});
