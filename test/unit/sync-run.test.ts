import { describe, expect, it } from 'vitest';
import { AuthError, SyncError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { FetchedBody } from '../../src/sync/ports.js';
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
  type FakeWriter,
} from './sync-fakes.js';

const T1 = '2025-01-01T00:00:00.000Z';
const T2 = '2025-02-01T00:00:00.000Z';
const NOW = '2025-03-01T00:00:00.000Z';
const base: SyncOptions = {
  full: false,
  concurrency: 2,
  trigger: 'manual',
  maxDeleteShare: 0.5,
  allowMassDelete: false,
  batchSize: 2,
  flushMs: 3_600_000,
};

/** Details carry the updatedAt the listing announced, so a second run finds them unchanged. */
const versions = new Map<number, string>();
const detailOf = (id: number): Promise<FetchedBody> =>
  Promise.resolve({ raw: JSON.stringify({ id, updatedAt: versions.get(id) ?? T1 }), path: `/v1/public/issues/${id}` });

function sync(
  source: FakeSourceOptions,
  store: FakeStore,
  opts: Partial<SyncOptions> = {},
  writer: FakeWriter = fakeWriter(store),
) {
  for (const p of source.pages) for (const it of p.items) versions.set(it.id, it.updatedAt);
  return runSync(
    { api: fakeSource({ detail: detailOf, ...source }), store, writer, log: silentLogger(), now: () => new Date(NOW) },
    { ...base, ...opts },
  );
}

describe('runSync over fakes of its ports', () => {
  it('mirrors new issues, records the run from start to finish and succeeds', async () => {
    const store = fakeStore();
    store.staleRuns = 1;
    const result = await sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [3, T1],
          ]),
        ],
      },
      store,
    );
    expect(result).toMatchObject({ runId: 1, status: 'succeeded', error: undefined, fatal: undefined, failures: [] });
    expect(result.counts).toEqual({
      listed: 3,
      fetched: 3,
      unchanged: 0,
      deleted: 0,
      failed: 0,
      requests: 3,
      retries: 0,
      throttled: 0,
    });
    expect([...store.issues.keys()].sort()).toEqual([1, 2, 3]);
    expect(store.calls[0]).toBe('interruptStaleRuns');
    expect(store.calls[1]).toBe('startRun');
    expect(store.calls.at(-1)).toBe('finishRun');
    expect(store.calls).toContain('updateRunProgress');
    expect(store.runs[0]).toMatchObject({
      trigger: 'manual',
      full: false,
      startedAt: NOW,
      end: { status: 'succeeded', finishedAt: NOW, error: null },
    });
  });

  it('fetches only what changed on the next run', async () => {
    const store = fakeStore([
      [1, T1],
      [2, T1],
    ]);
    const source = fakeSource({
      pages: [
        page(1, [
          [1, T1],
          [2, T2],
        ]),
      ],
      detail: detailOf,
    });
    versions.set(2, T2);
    const result = await runSync({ api: source, store, writer: fakeWriter(store), log: silentLogger() }, base);
    expect(source.fetched).toEqual([2]);
    expect(result.counts).toMatchObject({ listed: 2, fetched: 1, unchanged: 1 });
    expect(store.issues.get(2)?.updatedAt).toBe(T2);
  });

  it('soft-deletes what a complete listing no longer holds, within the guard', async () => {
    const store = fakeStore([
      [1, T1],
      [2, T1],
      [3, T1],
      [9, T1],
    ]);
    const result = await sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [3, T1],
          ]),
        ],
      },
      store,
    );
    expect(result.status).toBe('succeeded');
    expect(result.counts.deleted).toBe(1);
    expect(store.issues.get(9)?.deleted).toBe(true);
  });

  it('refuses a mass deletion: partial, with the refusal as the error, nothing deleted', async () => {
    const store = fakeStore([
      [1, T1],
      [2, T1],
      [3, T1],
    ]);
    const result = await sync({ pages: [page(1, [[4, T1]])] }, store);
    expect(result.status).toBe('partial');
    expect(result.error).toBe(
      'refused to soft-delete 3 of 4 issues (more than 50%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete',
    );
    expect(store.calls).not.toContain('softDeleteMissing');
    const allowed = await sync({ pages: [page(1, [[4, T1]])] }, store, { allowMassDelete: true });
    expect(allowed).toMatchObject({ status: 'succeeded' });
    expect(allowed.counts.deleted).toBe(3);
  });

  it('deletes nothing after an incomplete listing, and fails with the listing error', async () => {
    const store = fakeStore([
      [1, T1],
      [9, T1],
    ]);
    const broken = new SyncError(
      'HTTP_STATUS',
      '[GET] "/v1/public/issues?page=2": 500 Internal Server Error (attempt 4/4)',
    );
    const result = await sync({ pages: [page(1, [[1, T1]])], listError: broken }, store);
    expect(result).toMatchObject({ status: 'failed', fatal: broken, error: broken.message });
    expect(store.calls).not.toContain('deletionCandidates');
    expect(store.issues.get(9)?.deleted).toBe(false);
    expect(store.runs[0]?.end).toMatchObject({ status: 'failed', error: broken.message });
  });

  it('counts a failed detail, stores the rest and ends partial', async () => {
    const store = fakeStore();
    const broken = new SyncError('HTTP_STATUS', '[GET] "/v1/public/issues/2": 500 Internal Server Error (attempt 4/4)');
    const result = await sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
            [3, T1],
          ]),
        ],
        detail: (id) => (id === 2 ? Promise.reject(broken) : detailOf(id)),
      },
      store,
    );
    expect(result.status).toBe('partial');
    expect(result.failures).toEqual([{ issueId: 2, code: 'HTTP_STATUS', message: broken.message }]);
    expect(result.error).toBe(`1 issue failed; they are retried next run (first: ${broken.message})`);
    expect([...store.issues.keys()].sort()).toEqual([1, 3]);
  });

  it('stops at an authentication failure: failed, with the AuthError as fatal', async () => {
    const store = fakeStore();
    const denied = new AuthError('AUTH_NOT_AUTHORIZED', 'Cognito refused the login: Incorrect username or password');
    const result = await sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
        detail: () => Promise.reject(denied),
      },
      store,
    );
    expect(result).toMatchObject({ status: 'failed', fatal: denied, error: denied.message, failures: [] });
  });

  it('stops when the writer reports the database as broken', async () => {
    const store = fakeStore();
    const writer = fakeWriter(store, () => ({
      stored: 0,
      failures: [],
      fatal: { code: 'DB_ERROR', message: 'writing to the database failed: disk full' },
    }));
    const result = await sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
      },
      store,
      {},
      writer,
    );
    expect(result.status).toBe('failed');
    expect(result.fatal).toBeInstanceOf(SyncError);
    expect(result.error).toBe('writing to the database failed: disk full');
  });

  it('is interrupted by the caller, keeps what it stored and deletes nothing', async () => {
    const store = fakeStore([[9, T1]]);
    const abort = new AbortController();
    const second = deferred<FetchedBody>();
    const detail = (id: number, signal?: AbortSignal): Promise<FetchedBody> => {
      if (id === 1) return detailOf(1);
      signal?.addEventListener('abort', () => second.reject(new SyncError('ABORTED', 'stopped by signal')), {
        once: true,
      });
      return second.promise;
    };
    const running = sync(
      {
        pages: [
          page(1, [
            [1, T1],
            [2, T1],
          ]),
        ],
        detail,
      },
      store,
      { concurrency: 1, batchSize: 1, signal: abort.signal },
    );
    await until(() => store.issues.has(1), 'the first issue to be stored');
    abort.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'interrupted', error: 'stopped by signal before the run finished' });
    expect(store.issues.has(2)).toBe(false);
    expect(store.issues.get(9)?.deleted).toBe(false);
    expect(store.calls).not.toContain('deletionCandidates');
  });

  it('reports progress while it runs', async () => {
    const store = fakeStore();
    const seen: number[] = [];
    const gate = deferred<FetchedBody>();
    const detail = (id: number) => (id === 1 ? gate.promise : detailOf(id));
    const running = sync({ pages: [page(1, [[1, T1]])], detail }, store, {
      onProgress: (p) => void seen.push(p.pending),
      progressMs: 1,
    });
    await until(() => seen.length > 0, 'a progress report', 1_000_000);
    gate.resolve(await detailOf(1));
    await running;
    expect(seen[0]).toBe(1);
  });
});
