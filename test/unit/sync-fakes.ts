/**
 * Plain in-memory implementations of the sync core's ports, for the core's unit tests: no HTTP, no
 * database. Each records what the core asked of it, so a test can assert on the conversation.
 */
import type {
  DetailWriter,
  FetchedBody,
  FetchedDetail,
  IssuesSource,
  ListEnd,
  ListPage,
  RunEnd,
  RunStart,
  SyncStore,
  WriteOutcome,
} from '../../src/sync/ports.js';

/** A promise with its resolve and reject at hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `check` is true, re-checking after each settled promise turn (no timers). */
export async function until(check: () => boolean, what: string, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

/** Lets `n` loop turns pass (no timer): work that was going to happen on its own has happened. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export const page = (
  n: number,
  items: Array<[id: number, updatedAt: string]>,
  extra: Partial<ListPage> = {},
): ListPage => ({
  page: n,
  items: items.map(([id, updatedAt]) => ({ id, updatedAt })),
  invalid: [],
  ...extra,
});

export interface FakeSourceOptions {
  pages: ListPage[];
  end?: ListEnd;
  /** Thrown after the pages instead of ending. */
  listError?: Error;
  /** The answer for one detail (default: a JSON object with the id). */
  detail?: (
    id: number,
    signal: AbortSignal | undefined,
    admit: ((bytes: number) => Promise<void> | undefined) | undefined,
  ) => Promise<FetchedBody>;
  /** The answer to a deletion's confirmation (default: gone). */
  gone?: (id: number) => Promise<boolean>;
}

export interface FakeSource extends IssuesSource {
  fetched: number[];
}

export function fakeSource(o: FakeSourceOptions): FakeSource {
  const fetched: number[] = [];
  return {
    fetched,
    async *listPages() {
      // Each page arrives on a later turn, as from a server.
      for (const p of o.pages) yield await Promise.resolve(p);
      if (o.listError !== undefined) throw o.listError;
      return o.end ?? 'empty-page';
    },
    getIssue(id, signal, admit) {
      fetched.push(id);
      if (o.detail) return o.detail(id, signal, admit);
      return Promise.resolve({ raw: JSON.stringify({ id }), path: `/v1/public/issues/${id}` });
    },
    isGone: (id) => (o.gone ? o.gone(id) : Promise.resolve(true)),
    stats: () => ({ requests: fetched.length, retries: 0, throttled: 0 }),
  };
}

export interface FakeStore extends SyncStore {
  /** id -> stored updatedAt and deletion. */
  issues: Map<number, { updatedAt: string | null; deleted: boolean; listedRun: number }>;
  runs: Array<RunStart & { id: number; end?: RunEnd; progress: number }>;
  calls: string[];
  staleRuns: number;
}

/** An issue table and a run log in memory, with the SQLite store's semantics. */
export function fakeStore(initial: Array<[id: number, updatedAt: string]> = []): FakeStore {
  const issues: FakeStore['issues'] = new Map(
    initial.map(([id, updatedAt]) => [id, { updatedAt, deleted: false, listedRun: 0 }]),
  );
  const runs: FakeStore['runs'] = [];
  const calls: string[] = [];
  const missingOf = (runId: number) => [...issues.values()].filter((i) => !i.deleted && i.listedRun < runId);
  const store: FakeStore = {
    issues,
    runs,
    calls,
    staleRuns: 0,
    interruptStaleRuns() {
      calls.push('interruptStaleRuns');
      return Promise.resolve(store.staleRuns);
    },
    startRun(start) {
      calls.push('startRun');
      runs.push({ ...start, id: runs.length + 1, progress: 0 });
      return Promise.resolve(runs.length);
    },
    updateRunProgress(runId) {
      calls.push('updateRunProgress');
      runs[runId - 1]!.progress++;
      return Promise.resolve();
    },
    finishRun(runId, end) {
      calls.push('finishRun');
      runs[runId - 1]!.end = end;
      return Promise.resolve();
    },
    recordListing(ids, runId) {
      calls.push('recordListing');
      const versions = new Map<number, string | null>();
      for (const id of ids) {
        const stored = issues.get(id);
        if (!stored) continue;
        versions.set(id, stored.updatedAt);
        stored.listedRun = runId;
        stored.deleted = false;
      }
      return Promise.resolve(versions);
    },
    deletionCandidates(runId) {
      calls.push('deletionCandidates');
      return Promise.resolve({
        missing: missingOf(runId).length,
        active: [...issues.values()].filter((i) => !i.deleted).length,
      });
    },
    missingIds(runId) {
      calls.push('missingIds');
      return Promise.resolve([...issues].filter(([, i]) => !i.deleted && i.listedRun < runId).map(([id]) => id));
    },
    softDeleteMissing(runId, _at, ids) {
      calls.push('softDeleteMissing');
      const only = ids && new Set(ids.map((id) => issues.get(id)));
      const gone = missingOf(runId).filter((i) => !only || only.has(i));
      for (const i of gone) i.deleted = true;
      return Promise.resolve(gone.length);
    },
  };
  return store;
}

export interface FakeWriter extends DetailWriter {
  batches: FetchedDetail[][];
  /** While set, each write waits for its own deferred (in `held`) before answering. */
  hold: boolean;
  held: Array<Deferred<void>>;
}

/**
 * Stores each detail's `updatedAt` (from its JSON) in `store`, like the real writer; `outcome` can
 * replace the answer of a write.
 */
export function fakeWriter(
  store?: FakeStore,
  outcome?: (batch: readonly FetchedDetail[]) => WriteOutcome | Promise<WriteOutcome>,
): FakeWriter {
  const w: FakeWriter = {
    batches: [],
    hold: false,
    held: [],
    async write(details, runId) {
      w.batches.push([...details]);
      if (w.hold) {
        const gate = deferred<void>();
        w.held.push(gate);
        await gate.promise;
      }
      if (outcome) return outcome(details);
      for (const d of details) {
        const { updatedAt } = JSON.parse(d.raw) as { updatedAt?: string };
        store?.issues.set(d.id, { updatedAt: updatedAt ?? null, deleted: false, listedRun: runId });
      }
      return { stored: details.length, failures: [] };
    },
  };
  return w;
}

export const detail = (id: number, raw = `{"id":${id}}`): FetchedDetail => ({
  id,
  raw,
  path: `/v1/public/issues/${id}`,
  syncedAt: '2025-01-01T00:00:00.000Z',
});
