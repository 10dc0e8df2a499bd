/**
 * The run's safety rules over fakes of its ports: deletions confirmed by the source, listings whose
 * pages overlap or repeat, a lost or failing lease, and duplicate ids within one page.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { FetchedBody, Lease } from '../../src/sync/ports.js';
import { runSync, type SyncOptions } from '../../src/sync/run-sync.js';
import {
  deferred,
  fakeSource,
  fakeStore,
  fakeWriter,
  page,
  until,
  type FakeSourceOptions,
  type FakeStore,
} from './sync-fakes.js';

const T1 = '2025-01-01T00:00:00.000Z';
const base: SyncOptions = {
  full: false,
  concurrency: 2,
  trigger: 'manual',
  maxDeleteShare: 0.5,
  allowMassDelete: false,
  batchSize: 2,
  flushMs: 3_600_000,
};
const detailOf = (id: number): Promise<FetchedBody> =>
  Promise.resolve({ raw: JSON.stringify({ id, updatedAt: T1 }), path: `/v1/public/issues/${id}` });

function sync(source: FakeSourceOptions, store: FakeStore, opts: Partial<SyncOptions> = {}) {
  const api = fakeSource({ detail: detailOf, ...source });
  const run = runSync({ api, store, writer: fakeWriter(store), log: silentLogger() }, { ...base, ...opts });
  return { api, run };
}

const stored = (...ids: number[]) => fakeStore(ids.map((id) => [id, T1]));

/** A lease the test controls: `lose()` aborts it; heartbeats answer `beat()`. */
function testLease(beat: () => Promise<boolean> = () => Promise.resolve(true)) {
  const lost = new AbortController();
  const lease: Pick<Lease, 'lost' | 'heartbeat'> = { lost: lost.signal, heartbeat: beat };
  return { lease, lose: () => lost.abort(new Error('taken over')) };
}

describe('deletions are confirmed by the source', () => {
  it('deletes a missing issue whose detail answers 404 and keeps, as unconfirmed, one that still answers', async () => {
    const store = stored(1, 2, 3, 4, 5, 6);
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [3, T1],
            [4, T1],
          ]),
        ],
        gone: (id) => Promise.resolve(id === 5),
      },
      store,
    );
    const r = await run;
    expect(r.counts).toMatchObject({ deleted: 1, unconfirmed: 1 });
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(/1 issue missing from the listing still answered/);
    expect(store.issues.get(5)?.deleted).toBe(true);
    expect(store.issues.get(6)?.deleted).toBe(false);
  });

  it('keeps an issue whose confirmation request fails (not a 404), counted as unconfirmed', async () => {
    const store = stored(1, 2, 3);
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
        gone: () => Promise.reject(new Error('HTTP 503')),
      },
      store,
    );
    const r = await run;
    expect(r.counts).toMatchObject({ deleted: 0, unconfirmed: 1 });
    expect(store.issues.get(3)?.deleted).toBe(false);
  });

  it('asks nothing when the mass-delete guard refuses', async () => {
    const store = stored(1, 2, 3, 4);
    let asked = 0;
    const { run } = sync({ pages: [page(1, [[1, T1]])], gone: () => (asked++, Promise.resolve(true)) }, store);
    expect((await run).status).toBe('partial');
    expect(asked).toBe(0);
  });
});

describe('a listing that moved cannot justify deletions', () => {
  it('pages that overlap (one id on two pages): nothing deleted, a warning naming SPEAKUP_PAGE_PARAM', async () => {
    const store = stored(1, 2, 3, 4, 9);
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
          page(2, [
            [2, T1],
            [3, T1],
          ]),
          page(3, [[4, T1]]),
        ],
      },
      store,
    );
    const r = await run;
    expect(r.status).toBe('partial');
    expect(r.error).toContain('SPEAKUP_PAGE_PARAM');
    expect(r.counts.deleted).toBe(0);
    expect(store.issues.get(9)?.deleted).toBe(false);
  });

  it('a listing that ended on a repeated page: nothing deleted', async () => {
    const store = stored(1, 2, 9);
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
        end: 'repeated-page',
      },
      store,
      { allowMassDelete: true },
    );
    const r = await run;
    expect(r.error).toContain('SPEAKUP_PAGE_PARAM');
    expect(store.issues.get(9)?.deleted).toBe(false);
  });

  it('an id twice on one page is listed and fetched once, and is no overlap', async () => {
    const store = stored();
    const { api, run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [1, T1],
          ]),
          page(2, [[3, T1]]),
        ],
      },
      store,
    );
    const r = await run;
    expect(r.status).toBe('succeeded');
    expect(r.counts.listed).toBe(3);
    expect(api.fetched.sort()).toEqual([1, 2, 3]);
  });
});

describe('a run that loses its lease', () => {
  it('stops fetching, writes what it has, deletes nothing and ends interrupted with a clear message', async () => {
    const store = stored(1, 2, 3, 9);
    const { lease, lose } = testLease();
    const gate = deferred<void>();
    const asked: number[] = [];
    const detail = async (id: number) => {
      asked.push(id);
      if (id === 3) await gate.promise;
      return detailOf(id);
    };
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [3, T1],
          ]),
        ],
        detail,
      },
      store,
      { full: true, lease, concurrency: 1 },
    );
    await until(() => asked.includes(3), 'the third detail requested');
    lose();
    gate.resolve();
    const r = await run;
    expect(r.status).toBe('interrupted');
    expect(r.error).toMatch(/sync lock was taken over by another process.*deleted nothing/);
    expect(r.counts.fetched).toBeGreaterThanOrEqual(2);
    expect(store.calls).not.toContain('softDeleteMissing');
    expect(store.issues.get(9)?.deleted).toBe(false);
  });

  it('a heartbeat that fails before the deletions: the run fails and deletes nothing', async () => {
    const store = stored(1, 2, 9);
    const { lease } = testLease(() => Promise.reject(new Error('database is locked')));
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
      },
      store,
      { lease },
    );
    const r = await run;
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/database is locked/);
    expect(store.issues.get(9)?.deleted).toBe(false);
  });

  it('a heartbeat that finds the lease taken before the deletions: nothing deleted', async () => {
    const store = stored(1, 2, 9);
    const { lease, lose } = testLease(() => (lose(), Promise.resolve(false)));
    const { run } = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
      },
      store,
      { lease },
    );
    const r = await run;
    expect(r.status).toBe('interrupted');
    expect(store.issues.get(9)?.deleted).toBe(false);
  });
});
