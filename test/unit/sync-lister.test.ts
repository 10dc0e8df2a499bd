import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { listIssues, PAGING_WARNING, type ListerOptions } from '../../src/sync/lister.js';
import type { ListPage } from '../../src/sync/ports.js';
import { createTally } from '../../src/sync/tally.js';
import { fakeSource, fakeStore, page, type FakeSourceOptions, type FakeStore } from './sync-fakes.js';

const T1 = '2025-01-01T00:00:00.000Z';
const T2 = '2025-02-01T00:00:00.000Z';

function lister(source: FakeSourceOptions, store: FakeStore, more: Partial<ListerOptions> = {}) {
  const queued: number[] = [];
  let pagesDone = 0;
  const tally = createTally(silentLogger());
  const run = () =>
    listIssues({
      source: fakeSource(source),
      store,
      runId: 2,
      full: false,
      signal: new AbortController().signal,
      clock: () => new Date(T2),
      tally,
      enqueue: (id) => void queued.push(id),
      pageDone: () => void pagesDone++,
      ...more,
    });
  return { run, queued, tally, pagesDone: () => pagesDone };
}

describe('listIssues', () => {
  it('queues new and changed issues, counts unchanged ones, and ends complete and clean', async () => {
    const store = fakeStore([
      [1, T1],
      [2, T1],
    ]);
    const l = lister(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T2],
          ]),
          page(2, [[3, T1]]),
        ],
        end: 'empty-page',
      },
      store,
    );
    expect(await l.run()).toEqual({ complete: true, clean: true, end: 'empty-page' });
    expect(l.queued).toEqual([2, 3]);
    expect(l.tally.counts).toMatchObject({ listed: 3, unchanged: 1, failed: 0 });
    expect(l.pagesDone()).toBe(2);
  });

  it('records each page with one store call, so stored issues are sighted by this run', async () => {
    const store = fakeStore([
      [1, T1],
      [2, T1],
    ]);
    await lister({ pages: [page(1, [[1, T1]]), page(2, [[2, T1]])] }, store).run();
    expect(store.calls).toEqual(['recordListing', 'recordListing']);
    expect(store.issues.get(1)?.listedRun).toBe(2);
    expect(store.issues.get(2)?.listedRun).toBe(2);
  });

  it('compares the listed updatedAt in its stored form (UTC, milliseconds)', async () => {
    const store = fakeStore([[1, '2025-01-01T00:00:00.000Z']]);
    const l = lister({ pages: [page(1, [[1, '2025-01-01T01:00:00+01:00']])] }, store);
    await l.run();
    expect(l.queued).toEqual([]);
    expect(l.tally.counts.unchanged).toBe(1);
  });

  it('queues every listed issue when the run is full', async () => {
    const store = fakeStore([[1, T1]]);
    const l = lister(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
      },
      store,
      { full: true },
    );
    await l.run();
    expect(l.queued).toEqual([1, 2]);
    expect(l.tally.counts.unchanged).toBe(0);
  });

  it('counts an id repeated on a later page once', async () => {
    const l = lister(
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
        ],
      },
      fakeStore(),
    );
    await l.run();
    expect(l.queued).toEqual([1, 2, 3]);
    expect(l.tally.counts.listed).toBe(3);
  });

  it('a page read again repeats ids without overlap; its new ids are queued once', async () => {
    const l = lister(
      {
        pages: [
          page(1, [[1, T1]]),
          page(2, [
            [3, T1],
            [4, T1],
          ]),
          // Page 1 again (a short page repaired): 1 repeats by design, 2 went missing the first time.
          page(1, [
            [1, T1],
            [2, T1],
          ]),
          page(3, [[5, T1]]),
        ],
      },
      fakeStore(),
    );
    expect(await l.run()).toEqual({ complete: true, clean: true, end: 'empty-page' });
    expect(l.queued).toEqual([1, 3, 4, 2, 5]);
    expect(l.tally.counts.listed).toBe(5);
  });

  it('an id a page read again brought in, listed again on a new page, is an overlap', async () => {
    const l = lister(
      {
        pages: [
          page(1, [[1, T1]]),
          page(2, [[3, T1]]),
          page(1, [
            [1, T1],
            [2, T1],
          ]),
          page(3, [[2, T1]]),
        ],
      },
      fakeStore(),
    );
    expect(await l.run()).toMatchObject({ complete: true, clean: false, warning: PAGING_WARNING });
    expect(l.queued).toEqual([1, 3, 2]);
  });

  it('an item on a new page whose id an earlier page listed as unusable is an overlap, and not queued', async () => {
    const bad: ListPage = page(1, [[1, T1]], {
      invalid: [{ page: 1, index: 1, id: 5, reason: 'issue 5: list item has no usable updatedAt (null)' }],
    });
    const l = lister({ pages: [bad, page(2, [[5, T1]])] }, fakeStore());
    expect(await l.run()).toMatchObject({ complete: true, clean: false, warning: PAGING_WARNING });
    expect(l.queued).toEqual([1]);
    expect(l.tally.counts.listed).toBe(2);
  });

  it('tells ids on two pages apart among many thousands, in any order', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 20_011);
    const pages = Array.from({ length: 40 }, (_, p) =>
      page(
        p + 1,
        ids.slice(p * 500, p * 500 + 500).map((id): [number, string] => [id + 1, T1]),
      ),
    );
    const clean = lister({ pages }, fakeStore());
    expect(await clean.run()).toMatchObject({ clean: true });
    expect(clean.queued).toHaveLength(20_000);
    const last = pages[39]!;
    const moved = { ...last, items: [...last.items, { id: ids[123]! + 1, updatedAt: T1 }] };
    const overlapping = lister({ pages: [...pages.slice(0, 39), moved] }, fakeStore());
    expect(await overlapping.run()).toMatchObject({ clean: false, warning: PAGING_WARNING });
    expect(overlapping.queued).toHaveLength(20_000);
  });

  it('an unusable entry with an id fails alone and still counts as listed; the listing stays clean', async () => {
    const store = fakeStore([[5, T1]]);
    const bad: ListPage = page(1, [[1, T1]], {
      invalid: [{ page: 1, index: 1, id: 5, reason: 'issue 5: list item has no usable updatedAt (null)' }],
    });
    const l = lister({ pages: [bad] }, store);
    expect(await l.run()).toMatchObject({ complete: true, clean: true });
    expect(l.queued).toEqual([1]);
    expect(l.tally.counts).toMatchObject({ listed: 2, failed: 1 });
    expect(l.tally.failures).toEqual([
      {
        issueId: 5,
        code: 'BAD_RESPONSE',
        message: 'list page 1, item 1: issue 5: list item has no usable updatedAt (null)',
      },
    ]);
    // Sighted, so a complete listing does not take it for deleted.
    expect(store.issues.get(5)?.listedRun).toBe(2);
  });

  it('an entry without an id makes the listing unclean', async () => {
    const bad: ListPage = page(1, [[1, T1]], {
      invalid: [{ page: 1, index: 0, id: undefined, reason: 'list item has no id' }],
    });
    const l = lister({ pages: [bad] }, fakeStore());
    expect(await l.run()).toMatchObject({ complete: true, clean: false });
    expect(l.tally.failures).toEqual([
      { issueId: undefined, code: 'BAD_RESPONSE', message: 'list page 1, item 0: list item has no id' },
    ]);
  });

  it('a page with a hole makes the listing unclean and is reported', async () => {
    const holed = page(1, [[1, T1]], {
      hole: 'list page 1 held 1 items where other pages held 2, also when read again',
    });
    const l = lister(
      {
        pages: [
          holed,
          page(2, [
            [2, T1],
            [3, T1],
          ]),
        ],
      },
      fakeStore(),
    );
    expect(await l.run()).toMatchObject({ complete: true, clean: false });
    expect(l.queued).toEqual([1, 2, 3]);
    expect(l.tally.failures.map((f) => f.message)).toEqual([
      'list page 1 held 1 items where other pages held 2, also when read again',
    ]);
  });

  it('throws the source error when the listing fails, after queueing the pages it had', async () => {
    const broken = new Error('[GET] "/v1/public/issues?page=2": 500 Internal Server Error (attempt 4/4)');
    const l = lister({ pages: [page(1, [[1, T1]])], listError: broken }, fakeStore());
    await expect(l.run()).rejects.toBe(broken);
    expect(l.queued).toEqual([1]);
  });
});
