import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.js';
import { startFetchPool, type FetchPoolOptions } from '../../src/sync/fetch-pool.js';
import type { FetchedBody, FetchedDetail } from '../../src/sync/ports.js';
import { deferred, fakeSource, turns, until, type Deferred } from './sync-fakes.js';

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
  const delivered: FetchedDetail[] = [];
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
    let room: Deferred<void> | undefined = deferred<void>();
    const { p, delivered } = pool(s.source, { concurrency: 1, room: () => room?.promise });
    p.push(1);
    p.push(2);
    p.end();
    await until(() => s.inFlight.has(1), 'the first fetch');
    s.answer(1);
    await until(() => delivered.length === 1, 'the first delivery');
    // Let several turns pass: the worker must still be waiting for room, not fetching issue 2.
    await turns(50);
    expect(s.inFlight.has(2)).toBe(false);
    const full = room;
    room = undefined;
    full.resolve();
    await until(() => s.inFlight.has(2), 'the second fetch once there is room');
    s.answer(2);
    await p.done;
    expect(delivered.map((d) => d.id)).toEqual([1, 2]);
  });
});
